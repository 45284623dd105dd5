"""Personal-data rights (UU PDP): export everything held about a person, then erase it.

After an erasure no personal value may remain ANYWHERE: the test dumps every table of the
CRM database and of the tracker (every column, as text) and searches the dump for the
person's phone (in each written form), e-mail, name, company and address. Another
customer's data, references and figures must survive untouched.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.crm import consents, privacy
from bot.crm.complaints import advance_stage, create_complaint
from bot.crm.customers import resolve_customer, resolve_in
from bot.crm.db import dispose_engine, get_engine, session_scope
from bot.crm.dedupe import claim_inbound_message
from bot.crm.feedback import record_feedback
from bot.crm.handoffs import add_message, mark_callback, open_handoff
from bot.crm.models import Customer, CustomerIdentity, IdentityChallenge, PrivacyAudit
from bot.crm.requests import create_calibration_request, create_financing_request
from bot.crm.sqltypes import utcnow
from bot.crm.types import (
    CalibrationItemInput,
    CalibrationRequestInput,
    ComplaintInput,
    FeedbackInput,
    FinancingRequestInput,
)
from bot.notify.outbox import enqueue


def log_interaction(sender_id: str, channel: str, direction: str, text: str, *, url: str) -> None:
    """One logged message (the interaction log's rows, as the analytics consumer writes them)."""
    from bot.crm.models import Conversation, Interaction

    now = utcnow()
    with session_scope(url) as session:
        customer = resolve_in(session, channel, sender_id)
        conversation = session.execute(
            sa.select(Conversation).where(
                Conversation.channel == channel, Conversation.sender_id == sender_id
            )
        ).scalar_one_or_none()
        if conversation is None:
            conversation = Conversation(
                sender_id=sender_id, channel=channel, created_at=now, last_activity_at=now
            )
            session.add(conversation)
        conversation.customer_id = customer.id
        session.flush()
        session.add(
            Interaction(
                conversation_id=conversation.id, direction=direction, text=text, created_at=now
            )
        )


WA_ID = "6281234567890"
PHONE_E164 = "+6281234567890"
PHONE_TYPED = "0812-3456-7890"
EMAIL = "budi.santoso@pt-maju.co.id"
NAME = "Budi Santoso"
COMPANY = "PT Maju Sentosa"
ADDRESS = "Jl. Melati Indah 17"
# Every form the person's data may be stored in; the dump is searched case-insensitively.
PERSONAL = [
    "81234567890",  # +6281234567890, 6281234567890, 081234567890
    "812-3456-7890",
    "812 3456 7890",
    EMAIL,
    "budi.santoso",
    NAME,
    "Santoso",
    COMPANY,
    "Maju Sentosa",
    ADDRESS,
    "Melati",
]
OTHER_NAME = "Siti Rahmawati"
OTHER_PHONE = "+6285711112222"


# --- a tracker table like Rasa's SQLTrackerStore writes (no Rasa needed here) -----------------

EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def _events(sender: str, ts: float, who: str, phone: str, email: str) -> list[dict[str, Any]]:
    text = f"nama saya {who}, hp {phone}, email {email}"
    return [
        {"event": "session_started", "timestamp": ts, "metadata": {"wa_id": sender}},
        {"event": "action", "timestamp": ts, "name": "action_listen", "policy": None},
        {
            "event": "user",
            "timestamp": ts + 1,
            "text": text,
            "input_channel": "whatsapp",
            "message_id": f"wamid.{sender}",
            "metadata": {"profile_name": who},
            "parse_data": {
                "text": text,
                "intent": {"name": "inform", "confidence": 0.98},
                "entities": [{"entity": "phone", "value": phone, "start": 0, "end": 5}],
                "intent_ranking": [{"name": "inform", "confidence": 0.98}],
                "message_id": f"wamid.{sender}",
            },
        },
        {"event": "slot", "timestamp": ts + 2, "name": "contact_name", "value": who},
        {"event": "slot", "timestamp": ts + 2, "name": "phone", "value": phone},
        {"event": "slot", "timestamp": ts + 2, "name": "email", "value": email},
        {"event": "slot", "timestamp": ts + 2, "name": "quantity", "value": 12},
        {"event": "active_loop", "timestamp": ts + 2, "name": "calibration_form"},
        {
            "event": "bot",
            "timestamp": ts + 3,
            "text": f"Terima kasih, {who}. Kami hubungi {phone}.",
            "data": {"buttons": [{"title": who, "payload": "/affirm"}]},
            "metadata": {"utter_action": "utter_thanks"},
        },
    ]


def _add_tracker(url: str, sender: str, events: list[dict[str, Any]]) -> None:
    with get_engine(url).begin() as connection:
        EVENTS.create(connection, checkfirst=True)
        for event in events:
            connection.execute(
                EVENTS.insert().values(
                    sender_id=sender,
                    type_name=event["event"],
                    timestamp=event["timestamp"],
                    intent_name=(event.get("parse_data") or {}).get("intent", {}).get("name"),
                    action_name=event.get("name") if event["event"] == "action" else None,
                    data=json.dumps(event),
                )
            )


@pytest.fixture
def tracker_url(crm_url: str, tmp_path: Path) -> Iterator[str]:
    """SQLite: the tracker's own file (as in production); PostgreSQL: the CRM database."""
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}" if crm_url.startswith("sqlite") else crm_url
    yield url
    with get_engine(url).begin() as connection:
        EVENTS.drop(connection, checkfirst=True)
    if url != crm_url:
        dispose_engine(url)


# --- the person's data, in every table -------------------------------------------------------


def _populate(crm_url: str, tracker_url: str) -> dict[str, Any]:
    now = utcnow().timestamp()
    budi = resolve_customer("whatsapp", WA_ID, url=crm_url)
    web = resolve_customer("socketio", "web-budi-1", url=crm_url)
    with session_scope(crm_url) as session:
        customer = session.get(Customer, budi.id)
        assert customer is not None
        customer.name, customer.company, customer.city = NAME, COMPANY, "Bekasi"
        session.add(CustomerIdentity(customer_id=budi.id, kind="email", value=EMAIL))
        # The web conversation is the same person (linked earlier, e.g. after verification).
        session.execute(
            sa.update(CustomerIdentity)
            .where(CustomerIdentity.customer_id == web.id)
            .values(customer_id=budi.id)
        )
        session.execute(sa.delete(Customer).where(Customer.id == web.id))
    from bot.crm.models import Conversation

    log_interaction(WA_ID, "whatsapp", "in", f"halo, saya {NAME} {PHONE_TYPED}", url=crm_url)
    log_interaction(WA_ID, "whatsapp", "out", f"Terima kasih Bapak {NAME}", url=crm_url)
    log_interaction("web-budi-1", "socketio", "in", f"email saya {EMAIL}", url=crm_url)
    with session_scope(crm_url) as session:
        session.execute(
            sa.update(Conversation)
            .where(Conversation.sender_id == "web-budi-1")
            .values(customer_id=budi.id)
        )
    calibration = create_calibration_request(
        budi.id,
        CalibrationRequestInput(
            company_name=COMPANY,
            contact_name=NAME,
            phone=PHONE_TYPED,
            email=EMAIL,
            service_type="kalibrasi",
            service_location="onsite",
            site_address=ADDRESS,
            preferred_date=date(2026, 12, 5),
            items=(CalibrationItemInput(instrument_type="pressure gauge", quantity=12),),
        ),
        "calibration:budi-1",
        url=crm_url,
    )
    financing = create_financing_request(
        budi.id,
        FinancingRequestInput(
            product_type="car",
            amount=Decimal("150000000.00"),
            name=NAME,
            phone="+62 812 3456 7890",
            consent=True,
            city="Bekasi",
            preferred_contact_time=f"sore, telepon {PHONE_TYPED}",
        ),
        "financing:budi-1",
        url=crm_url,
    )
    complaint = create_complaint(
        budi.id,
        ComplaintInput(
            category="service",
            description=f"Teknisi tidak datang ke {ADDRESS}. Hubungi {NAME} {PHONE_TYPED}",
            severity="high",
            desired_resolution=f"telepon saya di {PHONE_E164}",
        ),
        "complaint:budi-1",
        url=crm_url,
    )
    advance_stage(complaint.reference, "identified", note=f"called {NAME}", url=crm_url)
    # A stranger's complaint that names Budi as its contact (a per-request snapshot), and a
    # one-time code Budi asked for on the web: both hold his details.
    stranger = resolve_customer("socketio", "web-stranger-9", url=crm_url)
    create_complaint(
        stranger.id,
        ComplaintInput(
            category="service",
            description="Alat belum kembali",
            severity="low",
            contact_name=NAME,
            contact_phone=PHONE_E164,
            contact_email=EMAIL,
        ),
        "complaint:stranger-1",
        url=crm_url,
    )
    with session_scope(crm_url) as session:
        session.add(
            IdentityChallenge(
                channel="socketio",
                sender_id="web-budi-1",
                customer_id=budi.id,
                contact_kind="email",
                contact_value=EMAIL,
                code_salt="s" * 32,
                code_hash="h" * 64,
                attempts=0,
                status="pending",
                idempotency_key="challenge:budi-1",
                expires_at=utcnow(),
            )
        )
    handoff = open_handoff(
        WA_ID,
        "whatsapp",
        budi.id,
        "request_human",
        captured_fields={"contact_name": NAME, "phone": PHONE_E164, "email": EMAIL},
        transcript=[{"from": "customer", "text": f"saya {NAME}, {EMAIL}"}],
        idempotency_key="handoff:budi-1",
        url=crm_url,
    )
    add_message(handoff.id, "customer", f"tolong telepon {PHONE_TYPED}", url=crm_url)
    add_message(handoff.id, "agent", f"Baik Bapak {NAME}", url=crm_url)
    mark_callback(handoff.id, "phone", f"besok pagi ke {PHONE_TYPED}", url=crm_url)
    record_feedback(
        budi.id,
        FeedbackInput(rating=4, kind="saran", comment=f"{NAME} puas, email {EMAIL}"),
        "feedback:budi-1",
        url=crm_url,
    )
    _add_tracker(tracker_url, WA_ID, _events(WA_ID, now, NAME, PHONE_TYPED, EMAIL))
    _add_tracker(tracker_url, "web-budi-1", _events("web-budi-1", now, NAME, PHONE_E164, EMAIL))

    # Notifications (issue 15): addresses and texts in the outbox, consents, inbound senders.
    with session_scope(crm_url) as session:
        enqueue(
            session, kind="agent_reply", channel="email", recipient=EMAIL.upper(),
            idempotency_key="n:budi-1", customer_id=budi.id,
            payload={"text": f"Baik Bapak {NAME}, kami telepon {PHONE_TYPED}"},
        )  # fmt: skip
        # No customer id: found by its recipient (the WhatsApp id).
        enqueue(
            session, kind="stage_changed", channel="whatsapp", recipient=WA_ID,
            idempotency_key="n:budi-2", payload={"stage": "scheduled"},
        )  # fmt: skip
        enqueue(
            session, kind="agent_reply", channel="widget", recipient="web-budi-1",
            idempotency_key="n:budi-3", payload={"text": f"Halo {NAME} dari {COMPANY}"},
        )  # fmt: skip
        consents.record(
            session, channel="whatsapp", address=WA_ID, customer_id=budi.id, purpose="all",
            granted=False, source="keyword", via="whatsapp", keyword="stop",
        )  # fmt: skip
        consents.record(
            session, channel="email", address=EMAIL, purpose="reminders", granted=True,
            source="asked", via="socketio",
        )  # fmt: skip
    claim_inbound_message("whatsapp", "wamid.budi.1", sender_id=WA_ID, url=crm_url)

    # Someone else, who must keep every detail.
    siti = resolve_customer("whatsapp", OTHER_PHONE.lstrip("+"), url=crm_url)
    with session_scope(crm_url) as session:
        other = session.get(Customer, siti.id)
        assert other is not None
        other.name = OTHER_NAME
    log_interaction(OTHER_PHONE.lstrip("+"), "whatsapp", "in", f"saya {OTHER_NAME}", url=crm_url)
    _add_tracker(
        tracker_url,
        OTHER_PHONE.lstrip("+"),
        _events(OTHER_PHONE.lstrip("+"), now, OTHER_NAME, OTHER_PHONE, "siti@example.id"),
    )
    return {
        "customer_id": budi.id,
        "calibration": calibration.reference,
        "financing": financing.reference,
        "complaint": complaint.reference,
        "handoff": handoff.reference,
    }


def _dump(url: str) -> str:
    """Every row of every table (all columns, as text); SQLite also as its raw file bytes."""
    engine = get_engine(url)
    parts: list[str] = []
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path
        with sqlite3.connect(path) as connection:
            parts.extend(connection.iterdump())
        for suffix in ("", "-wal"):
            file = Path(path + suffix)
            if file.exists():  # what someone copying the file would read (freed pages too)
                parts.append(file.read_bytes().decode("latin-1"))
        return "\n".join(parts)
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(bind=connection)
        for table in metadata.sorted_tables:
            columns = [sa.cast(c, sa.Text) for c in table.columns]
            parts.extend(
                f"{table.name}: " + " | ".join(str(v) for v in row)
                for row in connection.execute(sa.select(*columns))
            )
    return "\n".join(parts)


def _leaks(url: str, values: list[str]) -> list[str]:
    dump = _dump(url).lower()
    return [value for value in values if value.lower() in dump]


def test_export_holds_everything_then_erase_leaves_no_personal_value(
    crm_url: str, tracker_url: str
) -> None:
    refs = _populate(crm_url, tracker_url)
    assert _leaks(crm_url, PERSONAL), "the test data must be in the database to begin with"

    export = privacy.export_subject(
        PHONE_TYPED, actor="dpo-test", url=crm_url, tracker_url=tracker_url
    )
    text = json.dumps(export, ensure_ascii=False)
    for value in (PHONE_E164, EMAIL, NAME, COMPANY, ADDRESS, PHONE_TYPED):
        assert value in text
    assert [c["name"] for c in export["customers"]] == [NAME]
    assert {i["value"] for i in export["customers"][0]["identities"]} >= {PHONE_E164, EMAIL}
    assert [r["reference"] for r in export["calibration_requests"]] == [refs["calibration"]]
    assert export["calibration_requests"][0]["items"][0]["quantity"] == 12
    assert [r["reference"] for r in export["financing_requests"]] == [refs["financing"]]
    complaints = {c["reference"]: c for c in export["complaints"]}
    assert refs["complaint"] in complaints and complaints[refs["complaint"]]["stage_events"]
    # The stranger's complaint is exported only for its contact snapshot naming Budi.
    assert [
        c["contact_email"] for c in complaints.values() if c["reference"] != refs["complaint"]
    ] == [EMAIL]
    assert [c["contact_value"] for c in export["identity_challenges"]] == [EMAIL]
    assert export["feedback"][0]["rating"] == 4
    handoff = export["handoffs"][0]
    assert handoff["reference"] == refs["handoff"] and handoff["status"] == "callback"
    assert handoff["transcript"] and len(handoff["messages"]) == 2
    assert {c["sender_id"] for c in export["conversations"]} == {WA_ID, "web-budi-1"}
    assert set(export["tracker_events"]) == {WA_ID, "web-budi-1"}
    # The three written here, and the complaint's stage-change notice the back office queued.
    assert {n["idempotency_key"] for n in export["notifications"]} == {
        "n:budi-1",
        "n:budi-2",
        "n:budi-3",
        f"case:{refs['complaint']}:v2:identified",
    }
    assert refs["complaint"] in {c["reference"] for c in export["cases"]}
    assert [(c["channel"], c["granted"]) for c in export["consents"]] == [
        ("whatsapp", False),
        ("email", True),
    ]
    assert [m["sender_id"] for m in export["inbound_messages"]] == [WA_ID]
    assert OTHER_NAME not in text  # only this person's data
    # The same person is found by e-mail and by any of their references.
    for query in (EMAIL.upper(), refs["complaint"], refs["calibration"].lower()):
        found = privacy.export_subject(
            query, actor="dpo-test", url=crm_url, tracker_url=tracker_url
        )
        assert [c["id"] for c in found["customers"]] == [refs["customer_id"]]

    counts = privacy.erase_subject(
        PHONE_E164, actor="dpo-test", url=crm_url, tracker_url=tracker_url
    )
    assert counts["tracker_events"] == 2 * len(_events("x", 0, "", "", ""))

    assert _leaks(crm_url, PERSONAL) == []
    assert _leaks(tracker_url, PERSONAL) == []
    # Kept for accounting: references and non-personal figures.
    after = privacy.export_subject(
        refs["calibration"], actor="dpo-test", url=crm_url, tracker_url=tracker_url
    )
    assert after["calibration_requests"][0]["reference"] == refs["calibration"]
    assert after["calibration_requests"][0]["items"][0]["quantity"] == 12
    assert Decimal(after["financing_requests"][0]["amount"]) == Decimal("150000000.00")
    assert after["feedback"][0]["rating"] == 4
    assert after["complaints"][0]["severity"] == "high"
    assert after["handoffs"][0]["reference"] == refs["handoff"]
    # The anonymised tracker events still say what happened, without what was said.
    events = [e for evs in after["tracker_events"].values() for e in evs]
    assert [e["event"] for e in events].count("user") == 2
    assert {e.get("name") for e in events if e["event"] == "slot"} >= {"phone", "email"}
    assert all(e.get("value") is None for e in events if e["event"] == "slot")
    # The other customer is untouched.
    assert OTHER_NAME.lower() in _dump(crm_url).lower()
    assert OTHER_NAME.lower() in _dump(tracker_url).lower()
    # Nobody can find the person by their phone or e-mail any more.
    for query in (PHONE_TYPED, EMAIL):
        with pytest.raises(privacy.SubjectNotFound):
            privacy.export_subject(query, actor="dpo-test", url=crm_url, tracker_url=tracker_url)
    with session_scope(crm_url, readonly=True) as session:
        audit = list(session.execute(sa.select(PrivacyAudit).order_by(PrivacyAudit.id)).scalars())
    assert [a.action for a in audit].count("erase") == 1
    assert {a.actor for a in audit} == {"dpo-test"}
    assert audit[-2].action == "erase" and audit[-2].customer_ids == [refs["customer_id"]]


def test_retention_purge_anonymises_only_expired_closed_conversations(
    crm_url: str, tracker_url: str
) -> None:
    refs = _populate(crm_url, tracker_url)
    from bot.crm.handoffs import close

    later = utcnow() + timedelta(days=400)
    # Siti's conversation has expired; Budi's callback ticket is still open: his data stay.
    privacy.purge_expired(365, actor="retention", url=crm_url, tracker_url=tracker_url, now=later)
    assert _leaks(crm_url, [OTHER_NAME]) == [] and _leaks(tracker_url, [OTHER_NAME]) == []
    assert _leaks(crm_url, [NAME, EMAIL]) == [NAME, EMAIL]
    assert _leaks(tracker_url, [NAME, EMAIL]) == [NAME, EMAIL]
    with session_scope(crm_url, readonly=True) as session:
        handoff_id = session.execute(
            sa.text("SELECT id FROM handoffs WHERE reference = :r"), {"r": refs["handoff"]}
        ).scalar_one()
    assert close(handoff_id, None, url=crm_url)
    # Not yet expired: nothing goes.
    privacy.purge_expired(365, actor="retention", url=crm_url, tracker_url=tracker_url)
    assert NAME.lower() in _dump(crm_url).lower()

    counts = privacy.purge_expired(
        365, actor="retention", url=crm_url, tracker_url=tracker_url, now=later
    )
    assert counts["customers"] == 1 and counts["conversations"] == 2  # WhatsApp and web
    assert _leaks(crm_url, PERSONAL) == []
    assert _leaks(tracker_url, PERSONAL) == []
    with session_scope(crm_url, readonly=True) as session:
        actions = list(session.execute(sa.select(PrivacyAudit.action)).scalars())
    assert actions.count("purge") == 3


def test_unknown_subject_is_reported_and_nothing_changes(crm_url: str, tracker_url: str) -> None:
    _populate(crm_url, tracker_url)
    with pytest.raises(privacy.SubjectNotFound):
        privacy.erase_subject(
            "0899-0000-1111", actor="dpo-test", url=crm_url, tracker_url=tracker_url
        )
    with pytest.raises(ValueError, match="phone number, an e-mail address or a reference"):
        privacy.export_subject("not a key", actor="dpo-test", url=crm_url, tracker_url=tracker_url)
    assert NAME.lower() in _dump(crm_url).lower()


def test_cli_export_and_erase(
    crm_url: str,
    tracker_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import logging

    from bot.cli import main

    refs = _populate(crm_url, tracker_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker_url)
    monkeypatch.setenv("LOG_FILE", str(tmp_path / "bot.log"))
    try:
        assert main(["customer", "--actor", "dpo-cli", "export", EMAIL]) == 0
        exported = json.loads(capsys.readouterr().out)
        assert exported["calibration_requests"][0]["reference"] == refs["calibration"]
        assert main(["customer", "--actor", "dpo-cli", "erase", "--yes", refs["complaint"]]) == 0
        assert main(["customer", "export", EMAIL]) == 3  # gone
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_layanan_file", False)]:
            root.removeHandler(handler)
            handler.close()
    assert _leaks(crm_url, PERSONAL) == []
