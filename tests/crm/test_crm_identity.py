"""One-time codes: hashed, 10 minutes, 5 tries, rate-limited; a proof links, a claim does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.crm import identity
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.identity import check_code, mask_email, mask_phone, start_challenge
from bot.crm.models import IdentityChallenge, Notification
from bot.crm.requests import create_calibration_request
from bot.crm.sqltypes import utcnow
from bot.crm.status import access, status_attempt_allowed
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput

PHONE = "+6281234567890"


def _request(url: str, sender: str = "owner-web") -> str:
    owner = resolve_customer("rest", sender, url=url)
    data = CalibrationRequestInput(
        company_name="PT Alpha",
        contact_name="Ani",
        phone="0812-3456-7890",
        email="ani@alpha.co.id",
        service_type="kalibrasi",
        service_location="lab",
        items=(CalibrationItemInput(instrument_type="gauge", quantity=1),),
    )
    return str(create_calibration_request(owner.id, data, f"{sender}:1", url=url).reference)


def _start(url: str, sender: str, key: str, value: str = PHONE, kind: str = "phone"):
    return start_challenge(
        channel="rest",
        sender_id=sender,
        contact_kind=kind,
        contact_value=value,
        idempotency_key=key,
        reference=None,
        url=url,
    )


def _sent_code(url: str, notification_id: int | None) -> str:
    with session_scope(url, readonly=True) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        assert (row.kind, row.channel, row.recipient) == ("otp_code", "whatsapp", PHONE[1:])
        return str(row.payload["code"])


def test_masks_show_enough_to_recognise_and_not_to_use() -> None:
    assert mask_phone("+6281234567890") == "08**-****-7890"
    assert mask_phone("+628123456789") == "08**-***-6789"
    assert mask_email("budi@example.com") == "b***@example.com"


def test_the_code_is_stored_hashed_and_sent_through_the_outbox(crm_url: str) -> None:
    started = _start(crm_url, "s1", "k1")
    assert (started.status, started.masked) == ("sent", "08**-****-7890")
    code = _sent_code(crm_url, started.notification_id)
    assert len(code) == 6 and code.isdigit()
    with session_scope(crm_url, readonly=True) as session:
        row = session.execute(sa.select(IdentityChallenge)).scalar_one()
        stored = " ".join(str(v) for v in (row.code_hash, row.code_salt, row.idempotency_key))
    assert code not in stored and row.code_hash == identity.hash_code(row.code_salt, code)
    # A retried action (same key) adds no challenge and no second message.
    assert _start(crm_url, "s1", "k1").challenge_id == started.challenge_id
    with session_scope(crm_url, readonly=True) as session:
        assert session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 1


def test_the_right_code_proves_the_phone_and_the_conversation_then_owns_its_records(
    crm_url: str,
) -> None:
    kal = _request(crm_url)
    newcomer = resolve_customer("rest", "owner-new-device", url=crm_url)
    assert not access(kal, newcomer.id, url=crm_url).owner
    started = _start(crm_url, "owner-new-device", "k1")
    result = check_code(
        _sent_code(crm_url, started.notification_id),
        channel="rest",
        sender_id="owner-new-device",
        url=crm_url,
    )
    assert result.status == "verified"
    assert access(kal, result.customer_id, url=crm_url).owner
    # Used once: the same code does not work again.
    again = check_code("000000", channel="rest", sender_id="owner-new-device", url=crm_url)
    assert again.status == "none"


def test_five_wrong_tries_lock_the_code(crm_url: str) -> None:
    started = _start(crm_url, "s1", "k1")
    code = _sent_code(crm_url, started.notification_id)
    wrong = "111111" if code != "111111" else "222222"
    results = [check_code(wrong, channel="rest", sender_id="s1", url=crm_url) for _ in range(5)]
    assert [(r.status, r.remaining) for r in results] == [
        ("wrong", 4),
        ("wrong", 3),
        ("wrong", 2),
        ("wrong", 1),
        ("locked", 0),
    ]
    assert check_code(code, channel="rest", sender_id="s1", url=crm_url).status == "none"


def test_a_code_expires_after_ten_minutes(crm_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _start(crm_url, "s1", "k1")
    code = _sent_code(crm_url, started.notification_id)
    later = utcnow() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(identity, "utcnow", lambda: later)
    assert check_code(code, channel="rest", sender_id="s1", url=crm_url).status == "expired"


def test_another_conversations_code_does_not_work_here(crm_url: str) -> None:
    started = _start(crm_url, "owner", "k1")
    code = _sent_code(crm_url, started.notification_id)
    _start(crm_url, "stranger", "k2")
    assert check_code(code, channel="rest", sender_id="stranger", url=crm_url).status in (
        "wrong",
        "verified",  # one chance in a million that both codes are equal
    )
    assert check_code(code, channel="rest", sender_id="owner", url=crm_url).status == "verified"


def test_a_new_code_replaces_the_previous_one(crm_url: str) -> None:
    first = _sent_code(crm_url, _start(crm_url, "s1", "k1").notification_id)
    second = _sent_code(crm_url, _start(crm_url, "s1", "k2").notification_id)
    if first != second:
        assert check_code(first, channel="rest", sender_id="s1", url=crm_url).status == "wrong"
    assert check_code(second, channel="rest", sender_id="s1", url=crm_url).status == "verified"


def test_codes_are_rate_limited_per_conversation(crm_url: str) -> None:
    statuses = [_start(crm_url, "s1", f"k{i}", value=f"+62812000000{i}").status for i in range(4)]
    assert statuses == ["sent", "sent", "sent", "rate_limited"]


def test_codes_are_rate_limited_per_contact_across_conversations(crm_url: str) -> None:
    statuses = [_start(crm_url, f"s{i}", f"k{i}").status for i in range(4)]
    assert statuses == ["sent", "sent", "sent", "rate_limited"]
    with session_scope(crm_url, readonly=True) as session:
        assert session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 3


def test_status_look_ups_are_limited_per_reference_without_locking_out_the_owner(
    crm_url: str,
) -> None:
    kal = _request(crm_url)
    strangers = [
        status_attempt_allowed(kal, "rest", f"stranger-{i}", owner=False, url=crm_url)
        for i in range(6)
    ]
    assert strangers == [True] * 5 + [False]
    assert status_attempt_allowed(kal, "rest", "owner-web", owner=True, url=crm_url)


def test_status_look_ups_are_limited_per_conversation(crm_url: str) -> None:
    allowed = [
        status_attempt_allowed(f"KAL-2026-{i:06d}", "rest", "prober", owner=False, url=crm_url)
        for i in range(21)
    ]
    assert allowed == [True] * 20 + [False]
