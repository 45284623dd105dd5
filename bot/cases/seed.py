"""Fill a CRM database with many realistic cases, for measuring the back office's lists.

Why bulk inserts and not the repository functions: 100,000 cases through one transaction
each would take the better part of an hour; the lists only need rows shaped like real ones
(requests, their contact data, cases at every stage, assignees, due times, events). Use it
on a scratch database only: ``scripts/seed_cases.py`` and ``bench/cases_query.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from bot.cases.contact import search_haystack
from bot.crm.db import get_engine
from bot.crm.models import (
    Agent,
    CalibrationRequest,
    CalibrationRequestItem,
    Case,
    CaseEvent,
    Complaint,
    Customer,
    FinancingRequest,
)
from bot.profile import get_profile

_COMPANY_WORDS = (
    "Maju Jaya",
    "Sinar Abadi",
    "Karya Mandiri",
    "Sumber Makmur",
    "Tirta Sejahtera",
    "Mega Teknik",
    "Cahaya Utama",
    "Bumi Persada",
    "Prima Medika",
    "Nusa Energi",
    "Samudra Logam",
    "Indah Kiat",
    "Sentosa Farma",
    "Putra Mining",
    "Graha Mall",
)
_PEOPLE = (
    "Sari",
    "Budi",
    "Joko",
    "Ani",
    "Rudi",
    "Wati",
    "Agus",
    "Dewi",
    "Eko",
    "Rina",
    "Hendra",
    "Yuni",
    "Bambang",
    "Siti",
    "Andi",
    "Putri",
    "Fajar",
    "Lestari",
)
_SURNAMES = ("Santoso", "Wijaya", "Saputra", "Hidayat", "Kurniawan", "Pratama", "Siregar")
_CHANNELS = ("socketio", "socketio", "whatsapp", "whatsapp", "twilio", "rest")
_MIX = (("calibration", 0.45), ("financing", 0.30), ("complaint", 0.25))


def seed_cases(url: str, count: int, *, seed: int = 14, batch: int = 5000) -> int:
    """Insert ``count`` requests with their cases (plus 20 agents); returns rows inserted."""
    rng = random.Random(seed)
    engine = get_engine(url)
    profile = get_profile()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        agent_ids = _agents(connection)
        start = int(
            connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(Customer.id), 0))
            ).scalar_one()
        )
    made = 0
    for chunk_start in range(0, count, batch):
        size = min(batch, count - chunk_start)
        rows = list(_rows(rng, profile, now, start + chunk_start, size, agent_ids))
        with engine.begin() as connection:
            connection.execute(sa.insert(Customer), [r["customer"] for r in rows])
            for kind, model in (
                ("calibration", CalibrationRequest),
                ("financing", FinancingRequest),
                ("complaint", Complaint),
            ):
                typed = [r["request"] for r in rows if r["type"] == kind]
                if typed:
                    connection.execute(sa.insert(model), typed)
            items = [r["item"] for r in rows if r["type"] == "calibration"]
            if items:
                ids: dict[str, int] = dict(
                    (str(ref), int(pk))
                    for ref, pk in connection.execute(
                        sa.select(CalibrationRequest.reference, CalibrationRequest.id).where(
                            CalibrationRequest.reference.in_([i["reference"] for i in items])
                        )
                    ).all()
                )
                connection.execute(
                    sa.insert(CalibrationRequestItem),
                    [
                        {k: v for k, v in i.items() if k != "reference"}
                        | {"request_id": ids[i["reference"]]}
                        for i in items
                    ],
                )
            connection.execute(sa.insert(Case), [r["case"] for r in rows])
            case_ids: dict[str, int] = dict(
                (str(ref), int(pk))
                for ref, pk in connection.execute(
                    sa.select(Case.reference, Case.id).where(
                        Case.reference.in_([r["case"]["reference"] for r in rows])
                    )
                ).all()
            )
            connection.execute(
                sa.insert(CaseEvent),
                [
                    {
                        "case_id": case_ids[r["case"]["reference"]],
                        "kind": "created",
                        "to_stage": profile.pipeline(r["type"]).initial,
                        "fields": {},
                        "version": 1,
                        "at": r["case"]["created_at"],
                    }
                    for r in rows
                ],
            )
        made += size
    return made


def _agents(connection: sa.engine.Connection) -> list[int]:
    existing = list(
        connection.execute(sa.select(Agent.id).where(Agent.username.like("seed-%"))).scalars()
    )
    if existing:
        return existing
    now = datetime.now(UTC)
    connection.execute(
        sa.insert(Agent),
        [
            {
                "username": f"seed-{i:02d}",
                "display_name": f"Petugas {i:02d}",
                "role": "supervisor" if i < 3 else "agent",
                "password_hash": "!",  # cannot log in
                "active": True,
                "created_at": now,
            }
            for i in range(20)
        ],
    )
    return list(
        connection.execute(sa.select(Agent.id).where(Agent.username.like("seed-%"))).scalars()
    )


def _rows(
    rng: random.Random,
    profile: Any,
    now: datetime,
    first: int,
    size: int,
    agent_ids: list[int],
) -> Iterator[dict[str, Any]]:
    for n in range(first + 1, first + size + 1):
        roll = rng.random()
        case_type = next(kind for kind, share in _cumulative() if roll < share)
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        company: str | None = (
            f"{rng.choice(('PT', 'CV', 'RS', 'PT'))} {rng.choice(_COMPANY_WORDS)} {n % 997}"
        )
        person = f"{rng.choice(_PEOPLE)} {rng.choice(_SURNAMES)}"
        phone = f"+628{rng.randint(11, 99)}{rng.randint(10_000_000, 99_999_999)}"
        email: str | None = (
            f"{person.split()[0].lower()}{n}@example.co.id" if rng.random() < 0.7 else None
        )
        prefix = {"calibration": "KAL", "financing": "FIN", "complaint": "CMP"}[case_type]
        reference = f"{prefix}-2025-{n:06d}"
        pipeline = profile.pipeline(case_type)
        stage = rng.choice(list(pipeline.stages))
        final = pipeline.is_final(stage)
        changed = created + timedelta(hours=rng.randint(0, 24 * 20))
        due = None if final else changed + timedelta(days=rng.randint(-5, 10))
        common = {
            "customer_id": n,
            "reference": reference,
            "idempotency_key": f"seed:{n}",
            "created_at": created,
            "updated_at": changed,
        }
        row: dict[str, Any] = {
            "type": case_type,
            "customer": {
                "id": n,
                "name": person,
                "company": company if case_type == "calibration" else None,
                "created_at": created,
                "updated_at": created,
                "first_seen": created,
                "last_seen": created,
            },
        }
        amount = None
        severity = None
        if case_type == "calibration":
            location = rng.choice(("onsite", "lab"))
            row["request"] = common | {
                "company_name": company,
                "contact_name": person,
                "phone": phone,
                "email": email,
                "service_type": "kalibrasi",
                "service_location": location,
                "status": stage,
            }
            row["item"] = {
                "reference": reference,
                "instrument_type": rng.choice(("pressure_gauge", "thermometer", "scale")),
                "quantity": rng.randint(1, 30),
                "spec": None,
            }
            fields: dict[str, Any] = {"service_location": location}
        elif case_type == "financing":
            amount = Decimal(rng.randint(10, 900)) * Decimal(1_000_000)
            row["request"] = common | {
                "product_type": "car",
                "amount": amount,
                "name": person,
                "phone": phone,
                "consent": True,
                "consent_at": created,
                "status": stage,
            }
            company, email = None, None
            fields = {"product_type": "car"}
        else:
            severity = rng.choice(("low", "medium", "high"))
            stage = rng.choice(
                ("received", "identified", "analysed", "negotiating", "resolved", "closed")
            )
            final = stage == "closed"
            due = None if final else created + timedelta(days=rng.randint(1, 5))
            row["request"] = common | {
                "category": "other",
                "description": "Keluhan contoh",
                "severity": severity,
                "stage": stage,
            }
            fields = {"severity": severity, "category": "other"}
        row["case"] = {
            "reference": reference,
            "type": case_type,
            "stage": stage,
            "is_open": not final,
            "assignee_id": rng.choice(agent_ids) if rng.random() < 0.6 else None,
            "customer_id": n,
            "company": company,
            "contact_name": person,
            "phone": phone,
            "email": email,
            "search_text": search_haystack(reference, company, person, phone, email),
            "channel": rng.choice(_CHANNELS),
            "language": "en" if rng.random() < 0.1 else "id",
            "severity": severity,
            "amount": amount,
            "fields": fields,
            "created_at": created,
            "stage_changed_at": changed,
            "due_at": due,
            "version": 1,
            "escalated": case_type == "complaint" and rng.random() < 0.05,
            "updated_at": changed,
        }
        yield row


def _cumulative() -> list[tuple[str, float]]:
    total = 0.0
    result = []
    for kind, share in _MIX:
        total += share
        result.append((kind, total))
    result[-1] = (result[-1][0], 1.01)
    return result
