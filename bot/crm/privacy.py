"""Personal-data rights (Indonesia's UU PDP, Law 27/2022): export, erase, retention purge.

A customer may ask for everything we hold about them (``export``) and for its deletion
(``erase``). Deleting rows outright would break accounting and the business's own records
(a calibration request's reference, quantities and amounts must stay), so erasure is an
irreversible anonymisation: every personal value (name, company, phone, e-mail, address,
free text the customer typed, the conversation itself) is replaced by a marker or NULL,
channel sender ids (a WhatsApp id IS the phone number) are replaced by random pseudonyms
consistently in every table, and references and non-personal figures are kept.

The Rasa tracker (``events`` table of Rasa's SQLTrackerStore, in the CRM database or its
own SQLite file) is read and rewritten as plain SQL and JSON, so this module needs no Rasa.

The retention purge (``PERSONAL_DATA_RETENTION_DAYS``) runs the same erasure on data whose
conversations have been inactive, with no open handoff, for longer than the retention period.

Every export, erase and purge writes one ``privacy_audit`` row: who, what, when, which
customer ids and how many rows, never the personal values.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.crm.contact import normalize_email, normalize_phone
from bot.crm.db import get_engine, run_in_transaction, session_scope
from bot.crm.models import (
    CalibrationRequest,
    CalibrationRequestItem,
    Case,
    CaseEvent,
    Complaint,
    ComplaintStageEvent,
    Consent,
    Conversation,
    Customer,
    CustomerIdentity,
    Feedback,
    FinancingRequest,
    Handoff,
    HandoffMessage,
    IdentityChallenge,
    InboundMessage,
    Interaction,
    Notification,
    PrivacyAudit,
)
from bot.crm.references import REFERENCE_RE, normalize_reference
from bot.crm.sqltypes import utcnow

ERASED = "[erased]"
PSEUDONYM_PREFIX = "erased-"
TRACKER_TABLE = "events"
# Handoffs in these states still need the customer's details (an agent is on it).
_OPEN_HANDOFF = ("waiting", "active", "callback")
# Notification payload keys that never hold personal data (the rest is dropped on erasure).
_NOTIFICATION_KEEP = frozenset({"stage", "handoff_message_id"})
# Strings kept at the top level of a tracker event: event type, action/slot/form names.
_EVENT_KEEP = frozenset({"event", "name", "policy", "input_channel", "intent"})


class SubjectNotFound(LookupError):
    """No customer, request or conversation matches the given phone, e-mail or reference."""


@dataclass
class Subject:
    """The data of one person: their customer records and the conversations they used."""

    kind: str  # phone, email, reference, retention
    reference: str | None = None
    customer_ids: set[int] = field(default_factory=set)
    sender_ids: set[str] = field(default_factory=set)
    # Requests carrying the phone/e-mail as a per-request contact, under another customer.
    calibration_ids: set[int] = field(default_factory=set)
    financing_ids: set[int] = field(default_factory=set)
    complaint_ids: set[int] = field(default_factory=set)
    handoff_ids: set[int] = field(default_factory=set)
    # Sender ids found in CRM rows (conversations, handoffs, identities), not just guessed
    # from a phone number (a WhatsApp id is the number): those count only if the tracker
    # holds events for them.
    known_sender_ids: set[str] = field(default_factory=set)
    # E-mail addresses (lower case): notifications and consents are kept per address.
    emails: set[str] = field(default_factory=set)

    def has_crm_rows(self) -> bool:
        return bool(
            self.customer_ids
            or self.known_sender_ids
            or self.calibration_ids
            or self.financing_ids
            or self.complaint_ids
            or self.handoff_ids
        )


# --- finding the subject -------------------------------------------------------------------


def classify(query: str) -> tuple[str, str]:
    """(kind, normalised value) of a phone number, e-mail address or reference."""
    text = (query or "").strip()
    if REFERENCE_RE.match(normalize_reference(text)):
        return "reference", normalize_reference(text)
    if "@" in text:
        return "email", normalize_email(text)
    try:
        return "phone", normalize_phone(text)
    except ValueError:
        raise ValueError(
            "expected a phone number, an e-mail address or a reference (e.g. KAL-2026-000123)"
        ) from None


def find_subject(session: Session, query: str) -> Subject:
    kind, value = classify(query)
    subject = Subject(kind=kind, reference=value if kind == "reference" else None)
    if kind == "reference":
        for model in (CalibrationRequest, FinancingRequest, Complaint, Handoff):
            row = session.execute(
                sa.select(model.id, model.customer_id).where(model.reference == value)
            ).first()
            if row is not None and row[1] is not None:
                subject.customer_ids.add(int(row[1]))
            elif row is not None and model is Handoff:  # a handoff of an unknown customer
                subject.handoff_ids.add(int(row[0]))
    else:
        if kind == "email":
            subject.emails.add(value.lower())
        kinds = ("email",) if kind == "email" else ("phone", "whatsapp")
        subject.customer_ids.update(
            session.execute(
                sa.select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.kind.in_(kinds), CustomerIdentity.value == value
                )
            ).scalars()
        )
        column = CalibrationRequest.email if kind == "email" else CalibrationRequest.phone
        subject.calibration_ids.update(
            session.execute(sa.select(CalibrationRequest.id).where(column == value)).scalars()
        )
        complaint_column = Complaint.contact_email if kind == "email" else Complaint.contact_phone
        subject.complaint_ids.update(
            session.execute(sa.select(Complaint.id).where(complaint_column == value)).scalars()
        )
        # A conversation that asked for a one-time code to this contact is theirs too.
        subject.sender_ids.update(
            session.execute(
                sa.select(IdentityChallenge.sender_id).where(
                    IdentityChallenge.contact_value == value
                )
            ).scalars()
        )
        if kind == "phone":
            subject.financing_ids.update(
                session.execute(
                    sa.select(FinancingRequest.id).where(FinancingRequest.phone == value)
                ).scalars()
            )
            digits = value.lstrip("+")  # a WhatsApp id is the number without "+"
            subject.sender_ids.update({digits, value, f"whatsapp:{value}"})
    _expand(session, subject)
    return subject


def _expand(session: Session, subject: Subject) -> None:
    """Add the conversations and handoffs of the subject's customers and sender ids."""
    if subject.customer_ids:
        ids = sorted(subject.customer_ids)
        # Records elsewhere that carry one of their contacts as a per-request snapshot.
        contacts = set(
            session.execute(
                sa.select(CustomerIdentity.value).where(
                    CustomerIdentity.customer_id.in_(ids),
                    CustomerIdentity.kind.in_(("phone", "whatsapp", "email")),
                )
            ).scalars()
        )
        for column in (CalibrationRequest.phone, CalibrationRequest.email):
            contacts.update(
                v
                for v in session.execute(
                    sa.select(column).where(CalibrationRequest.customer_id.in_(ids))
                ).scalars()
                if v
            )
        for column in (Complaint.contact_phone, Complaint.contact_email):
            contacts.update(
                v
                for v in session.execute(
                    sa.select(column).where(Complaint.customer_id.in_(ids))
                ).scalars()
                if v
            )
        values = sorted(contacts)
        subject.calibration_ids.update(
            session.execute(
                sa.select(CalibrationRequest.id).where(
                    sa.or_(
                        CalibrationRequest.phone.in_(values), CalibrationRequest.email.in_(values)
                    )
                )
            ).scalars()
        )
        subject.financing_ids.update(
            session.execute(
                sa.select(FinancingRequest.id).where(FinancingRequest.phone.in_(values))
            ).scalars()
        )
        subject.complaint_ids.update(
            session.execute(
                sa.select(Complaint.id).where(
                    sa.or_(Complaint.contact_phone.in_(values), Complaint.contact_email.in_(values))
                )
            ).scalars()
        )
        subject.sender_ids.update(
            session.execute(
                sa.select(Conversation.sender_id).where(Conversation.customer_id.in_(ids))
            ).scalars()
        )
        for kind, value in session.execute(
            sa.select(CustomerIdentity.kind, CustomerIdentity.value).where(
                CustomerIdentity.customer_id.in_(ids),
                CustomerIdentity.kind.in_(("web", "whatsapp", "email")),
            )
        ):
            if kind == "web":
                subject.sender_ids.add(value)
            elif kind == "email":
                subject.emails.add(value.lower())
            else:
                subject.sender_ids.update({value, value.lstrip("+"), f"whatsapp:{value}"})
        subject.handoff_ids.update(
            session.execute(sa.select(Handoff.id).where(Handoff.customer_id.in_(ids))).scalars()
        )
    if subject.handoff_ids:
        subject.sender_ids.update(
            session.execute(
                sa.select(Handoff.sender_id).where(Handoff.id.in_(sorted(subject.handoff_ids)))
            ).scalars()
        )
    if subject.sender_ids:
        subject.handoff_ids.update(
            session.execute(
                sa.select(Handoff.id).where(Handoff.sender_id.in_(sorted(subject.sender_ids)))
            ).scalars()
        )
    subject.sender_ids = {s for s in subject.sender_ids if s}
    if subject.sender_ids:
        senders = sorted(subject.sender_ids)
        subject.known_sender_ids = set(
            session.execute(
                sa.select(Conversation.sender_id).where(Conversation.sender_id.in_(senders))
            ).scalars()
        ) | set(
            session.execute(
                sa.select(Handoff.sender_id).where(Handoff.sender_id.in_(senders))
            ).scalars()
        )


# --- export --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in sa.inspect(obj).mapper.column_attrs}


def _rows(session: Session, model: Any, *conditions: Any) -> list[Any]:
    return list(session.execute(sa.select(model).where(*conditions).order_by(model.id)).scalars())


def _collect(session: Session, subject: Subject) -> dict[str, Any]:
    ids = sorted(subject.customer_ids)
    senders = sorted(subject.sender_ids)
    data: dict[str, Any] = {}
    data["customers"] = [
        {
            **_row(c),
            "identities": [
                _row(i)
                for i in _rows(session, CustomerIdentity, CustomerIdentity.customer_id == c.id)
            ],
        }
        for c in _rows(session, Customer, Customer.id.in_(ids))
    ]
    data["conversations"] = [
        {
            **_row(c),
            "interactions": [
                _row(i) for i in _rows(session, Interaction, Interaction.conversation_id == c.id)
            ],
        }
        for c in _rows(
            session,
            Conversation,
            sa.or_(Conversation.customer_id.in_(ids), Conversation.sender_id.in_(senders)),
        )
    ]
    data["calibration_requests"] = [
        {
            **_row(r),
            "items": [
                _row(i)
                for i in _rows(
                    session, CalibrationRequestItem, CalibrationRequestItem.request_id == r.id
                )
            ],
        }
        for r in _rows(
            session,
            CalibrationRequest,
            _of_subject(CalibrationRequest, ids, subject.calibration_ids),
        )
    ]
    data["financing_requests"] = [
        _row(r)
        for r in _rows(
            session,
            FinancingRequest,
            _of_subject(FinancingRequest, ids, subject.financing_ids),
        )
    ]
    data["complaints"] = [
        {
            **_row(c),
            "stage_events": [
                _row(e)
                for e in _rows(
                    session, ComplaintStageEvent, ComplaintStageEvent.complaint_id == c.id
                )
            ],
        }
        for c in _rows(
            session,
            Complaint,
            _of_subject(Complaint, ids, subject.complaint_ids),
        )
    ]
    case_rows = _rows(session, Case, _cases_of(session, subject))
    data["cases"] = [
        {
            **_row(c),
            "events": [_row(e) for e in _rows(session, CaseEvent, CaseEvent.case_id == c.id)],
        }
        for c in case_rows
    ]
    data["identity_challenges"] = [
        {k: v for k, v in _row(c).items() if k not in ("code_salt", "code_hash")}
        for c in _rows(session, IdentityChallenge, _challenges_of(subject))
    ]
    data["feedback"] = [_row(f) for f in _rows(session, Feedback, Feedback.customer_id.in_(ids))]
    handoffs = _rows(session, Handoff, Handoff.id.in_(sorted(subject.handoff_ids)))
    # A handoff in status "callback" is a callback ticket: listed with the handoffs.
    data["handoffs"] = [
        {
            **_row(h),
            "messages": [
                _row(m) for m in _rows(session, HandoffMessage, HandoffMessage.handoff_id == h.id)
            ],
        }
        for h in handoffs
    ]
    data["notifications"] = [
        _row(n) for n in _rows(session, Notification, _notifications_of(subject))
    ]
    data["consents"] = [_row(c) for c in _rows(session, Consent, _consents_of(subject))]
    data["inbound_messages"] = [
        _row(m)
        for m in session.execute(
            sa.select(InboundMessage)
            .where(InboundMessage.sender_id.in_(senders))
            .order_by(InboundMessage.received_at)
        ).scalars()
    ]
    return data


def _of_subject(model: Any, customer_ids: list[int], row_ids: set[int]) -> Any:
    """Rows of the subject's customers, plus rows found through a contact snapshot."""
    return sa.or_(model.customer_id.in_(customer_ids), model.id.in_(sorted(row_ids)))


def _cases_of(session: Session, subject: Subject) -> Any:
    """The back-office cases of the subject's requests, complaints, tickets and customers."""
    references: set[str] = set()
    for model, ids in (
        (CalibrationRequest, subject.calibration_ids),
        (FinancingRequest, subject.financing_ids),
        (Complaint, subject.complaint_ids),
        (Handoff, subject.handoff_ids),
    ):
        if ids:
            references.update(
                r
                for r in session.execute(
                    sa.select(model.reference).where(model.id.in_(sorted(ids)))
                ).scalars()
                if r
            )
    return sa.or_(
        Case.customer_id.in_(sorted(subject.customer_ids)), Case.reference.in_(sorted(references))
    )


def _challenges_of(subject: Subject) -> Any:
    """The one-time-code rows of the subject: their customers' and their conversations'."""
    return sa.or_(
        IdentityChallenge.customer_id.in_(sorted(subject.customer_ids)),
        IdentityChallenge.sender_id.in_(sorted(subject.sender_ids)),
    )


def _addresses(subject: Subject) -> list[str]:
    """Every address notifications and consents may be kept under (the WhatsApp digits,
    session ids and e-mail addresses)."""
    return sorted(subject.sender_ids | subject.emails)


def _notifications_of(subject: Subject) -> Any:
    return sa.or_(
        Notification.customer_id.in_(sorted(subject.customer_ids)),
        Notification.recipient.in_(_addresses(subject)),
        sa.func.lower(Notification.recipient).in_(sorted(subject.emails)),
    )


def _consents_of(subject: Subject) -> Any:
    return sa.or_(
        Consent.customer_id.in_(sorted(subject.customer_ids)),
        Consent.address.in_(_addresses(subject)),
        sa.func.lower(Consent.address).in_(sorted(subject.emails)),
    )


def _counts(data: Mapping[str, Any]) -> dict[str, int]:
    return {key: len(value) for key, value in data.items() if isinstance(value, list | dict)}


def export_subject(
    query: str,
    *,
    actor: str,
    url: str | None = None,
    tracker_url: str | None = None,
) -> dict[str, Any]:
    """Everything held about the person behind ``query`` (phone, e-mail or reference)."""
    with session_scope(url, readonly=True) as session:
        subject = find_subject(session, query)
        data = _collect(session, subject)
    data["tracker_events"] = _tracker_export(tracker_url, subject.sender_ids)
    if not subject.has_crm_rows() and not data["tracker_events"]:
        raise SubjectNotFound("no customer, request or conversation matches")
    _audit("export", actor, subject, _counts(data), url)
    return {
        "generated_at": utcnow().isoformat(),
        "subject": {"kind": subject.kind, "customer_ids": sorted(subject.customer_ids)},
        **data,
    }


# --- erase ---------------------------------------------------------------------------------


def _pseudonym() -> str:
    return PSEUDONYM_PREFIX + secrets.token_hex(10)


def _new_key() -> str:
    return f"erased:{secrets.token_hex(16)}"


def _erase_crm(session: Session, subject: Subject) -> tuple[dict[str, int], dict[str, str]]:
    """Anonymise the subject's CRM rows; returns row counts and the sender-id pseudonyms."""
    ids = sorted(subject.customer_ids)
    senders = sorted(subject.sender_ids)
    counts: dict[str, int] = {}
    pseudonyms = {s: _pseudonym() for s in senders if not s.startswith(PSEUDONYM_PREFIX)}

    def update(model: Any, condition: Any, values: Mapping[str, Any], name: str) -> None:
        result = session.execute(
            sa.update(model)
            .where(condition)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        counts[name] = counts.get(name, 0) + int(getattr(result, "rowcount", 0) or 0)

    update(
        Customer, Customer.id.in_(ids), {"name": None, "company": None, "city": None}, "customers"
    )
    result = session.execute(
        sa.delete(CustomerIdentity)
        .where(CustomerIdentity.customer_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    counts["customer_identities"] = int(getattr(result, "rowcount", 0) or 0)

    conversation_ids = list(
        session.execute(
            sa.select(Conversation.id).where(
                sa.or_(Conversation.customer_id.in_(ids), Conversation.sender_id.in_(senders))
            )
        ).scalars()
    )
    update(
        Interaction,
        Interaction.conversation_id.in_(conversation_ids),
        {"text": ERASED},
        "interactions",
    )
    for conversation in _rows(session, Conversation, Conversation.id.in_(conversation_ids)):
        conversation.sender_id = pseudonyms.get(conversation.sender_id) or _pseudonym()
    counts["conversations"] = len(conversation_ids)

    for request in _rows(
        session,
        CalibrationRequest,
        _of_subject(CalibrationRequest, ids, subject.calibration_ids),
    ):
        request.company_name = ERASED
        request.contact_name = ERASED
        request.phone = ERASED
        request.email = None
        request.site_address = None
        request.idempotency_key = _new_key()
        counts["calibration_requests"] = counts.get("calibration_requests", 0) + 1
    for financing in _rows(
        session,
        FinancingRequest,
        _of_subject(FinancingRequest, ids, subject.financing_ids),
    ):
        financing.name = ERASED
        financing.phone = ERASED
        financing.city = None
        financing.preferred_contact_time = None
        financing.idempotency_key = _new_key()
        counts["financing_requests"] = counts.get("financing_requests", 0) + 1

    complaint_ids = list(
        session.execute(
            sa.select(Complaint.id).where(_of_subject(Complaint, ids, subject.complaint_ids))
        ).scalars()
    )
    for complaint in _rows(session, Complaint, Complaint.id.in_(complaint_ids)):
        complaint.description = ERASED
        complaint.desired_resolution = None
        complaint.contact_name = None
        complaint.contact_phone = None
        complaint.contact_email = None
        complaint.idempotency_key = _new_key()
    counts["complaints"] = len(complaint_ids)
    update(
        ComplaintStageEvent,
        ComplaintStageEvent.complaint_id.in_(complaint_ids),
        {"note": None},
        "complaint_stage_events",
    )
    for feedback in _rows(session, Feedback, Feedback.customer_id.in_(ids)):
        feedback.comment = None
        feedback.idempotency_key = _new_key()
        counts["feedback"] = counts.get("feedback", 0) + 1

    case_ids = [c.id for c in _rows(session, Case, _cases_of(session, subject))]
    update(
        Case,
        Case.id.in_(case_ids),
        {"company": None, "contact_name": None, "phone": None, "email": None},
        "cases",
    )
    for case in _rows(session, Case, Case.id.in_(case_ids)):
        case.search_text = case.reference.lower()  # the search copy held the contact details
    update(CaseEvent, CaseEvent.case_id.in_(case_ids), {"note": None}, "case_events")

    result = session.execute(
        sa.delete(IdentityChallenge)
        .where(_challenges_of(subject))
        .execution_options(synchronize_session=False)
    )
    counts["identity_challenges"] = int(getattr(result, "rowcount", 0) or 0)

    handoff_ids = sorted(subject.handoff_ids)
    for handoff in _rows(session, Handoff, Handoff.id.in_(handoff_ids)):
        handoff.sender_id = pseudonyms.get(handoff.sender_id) or _pseudonym()
        handoff.captured_fields = {}
        handoff.transcript = []
        handoff.callback_time = None
        handoff.idempotency_key = _new_key()
    counts["handoffs"] = len(handoff_ids)
    update(
        HandoffMessage,
        HandoffMessage.handoff_id.in_(handoff_ids),
        {"text": ERASED},
        "handoff_messages",
    )
    # Notifications: the address and the texts go; kind, stage, times and outcome stay.
    # One not sent yet is cancelled (its address is gone).
    for notification in _rows(session, Notification, _notifications_of(subject)):
        notification.recipient = pseudonyms.get(notification.recipient) or ERASED
        notification.payload = {
            k: v for k, v in (notification.payload or {}).items() if k in _NOTIFICATION_KEEP
        }
        if notification.status in ("pending", "sending"):
            notification.status = "cancelled"
            notification.last_error = "cancelled: the recipient's personal data was erased"
        counts["notifications"] = counts.get("notifications", 0) + 1
    for consent in _rows(session, Consent, _consents_of(subject)):
        consent.address = pseudonyms.get(consent.address) or ERASED
        counts["consents"] = counts.get("consents", 0) + 1
    update(
        InboundMessage,
        InboundMessage.sender_id.in_(senders),
        {"sender_id": None},
        "inbound_messages",
    )
    session.flush()
    return counts, pseudonyms


def erase_subject(
    query: str,
    *,
    actor: str,
    url: str | None = None,
    tracker_url: str | None = None,
) -> dict[str, int]:
    """Irreversibly anonymise the personal data of the person behind ``query``; row counts."""

    def work(session: Session) -> tuple[Subject, dict[str, int], dict[str, str]]:
        subject = find_subject(session, query)
        if not subject.has_crm_rows() and not _tracker_export(tracker_url, subject.sender_ids):
            raise SubjectNotFound("no customer, request or conversation matches")
        counts, pseudonyms = _erase_crm(session, subject)
        return subject, counts, pseudonyms

    subject, counts, pseudonyms = run_in_transaction(work, url)
    counts["tracker_events"] = _tracker_erase(tracker_url, pseudonyms)
    _audit("erase", actor, subject, counts, url)
    _flush_old_pages(url, tracker_url)
    return counts


# --- retention -----------------------------------------------------------------------------


def purge_expired(
    retention_days: int,
    *,
    actor: str,
    url: str | None = None,
    tracker_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Anonymise the data of conversations inactive for ``retention_days`` with no open handoff.

    A customer is purged once all their conversations are that old; conversations without a
    customer record, and tracker conversations the CRM never saw, on their own.
    """
    if retention_days <= 0:
        raise ValueError("retention_days must be positive")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    open_senders = (
        sa.select(Handoff.sender_id).where(Handoff.status.in_(_OPEN_HANDOFF)).scalar_subquery()
    )

    def select(session: Session) -> Subject:
        subject = Subject(kind="retention")
        recent = sa.select(Conversation.customer_id).where(
            Conversation.last_activity_at >= cutoff, Conversation.customer_id.is_not(None)
        )
        open_customers = sa.select(Handoff.customer_id).where(
            Handoff.status.in_(_OPEN_HANDOFF), Handoff.customer_id.is_not(None)
        )
        has_personal = sa.or_(
            Customer.name.is_not(None),
            Customer.company.is_not(None),
            Customer.city.is_not(None),
            sa.exists().where(CustomerIdentity.customer_id == Customer.id),
        )
        subject.customer_ids.update(
            session.execute(
                sa.select(Customer.id).where(
                    Customer.last_seen < cutoff,
                    Customer.id.not_in(recent),
                    Customer.id.not_in(open_customers),
                    has_personal,
                )
            ).scalars()
        )
        subject.sender_ids.update(
            session.execute(
                sa.select(Conversation.sender_id).where(
                    Conversation.customer_id.is_(None),
                    Conversation.last_activity_at < cutoff,
                    Conversation.sender_id.not_like(f"{PSEUDONYM_PREFIX}%"),
                    Conversation.sender_id.not_in(open_senders),
                )
            ).scalars()
        )
        subject.handoff_ids.update(
            session.execute(
                sa.select(Handoff.id).where(
                    Handoff.customer_id.is_(None),
                    Handoff.status == "closed",
                    Handoff.updated_at < cutoff,
                    Handoff.sender_id.not_like(f"{PSEUDONYM_PREFIX}%"),
                )
            ).scalars()
        )
        _expand(session, subject)
        # Never a conversation that is still paused for an agent.
        subject.sender_ids -= _open_senders(session)
        return subject

    def work(session: Session) -> tuple[Subject, dict[str, int], dict[str, str]]:
        subject = select(session)
        counts, pseudonyms = _erase_crm(session, subject)
        return subject, counts, pseudonyms

    subject, counts, pseudonyms = run_in_transaction(work, url)
    # Tracker conversations the CRM never saw (e.g. a REST chat that stored nothing); those
    # it knows were judged above, with their customer.
    with session_scope(url, readonly=True) as session:
        known = set(session.execute(sa.select(Conversation.sender_id)).scalars())
        known |= set(session.execute(sa.select(Handoff.sender_id)).scalars())
    stale = _tracker_stale_senders(tracker_url, cutoff.timestamp(), excluded=known)
    extra = {s: _pseudonym() for s in stale if s not in pseudonyms}
    counts["tracker_events"] = _tracker_erase(tracker_url, {**pseudonyms, **extra})
    _audit("purge", actor, subject, counts, url)
    _flush_old_pages(url, tracker_url)
    return counts


def _open_senders(session: Session) -> set[str]:
    return set(
        session.execute(
            sa.select(Handoff.sender_id).where(Handoff.status.in_(_OPEN_HANDOFF))
        ).scalars()
    )


# --- the Rasa tracker (plain SQL and JSON) ---------------------------------------------------


def anonymise_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """A tracker event with every personal value removed, still loadable by Rasa.

    Kept: event type, action/slot/form/intent names, timestamps, confidences, flags.
    Gone: texts (marked ``[erased]``), slot values, entities, metadata, message ids, buttons.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "parse_data" and isinstance(value, Mapping):
            out[key] = _anonymise_parse_data(value)
        elif key == "text":
            out[key] = None if value is None else ERASED
        elif key == "value":
            out[key] = None
        elif isinstance(value, str):
            out[key] = value if key in _EVENT_KEEP else None
        elif isinstance(value, Mapping):
            out[key] = {}
        elif isinstance(value, list):
            out[key] = []
        else:
            out[key] = value  # numbers, booleans, None: timestamps, confidences, flags
    return out


def _anonymise_parse_data(parse_data: Mapping[str, Any]) -> dict[str, Any]:
    def intent(raw: Any) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            return {}
        return {k: raw[k] for k in ("name", "confidence") if k in raw}

    result: dict[str, Any] = {"text": ERASED, "intent": intent(parse_data.get("intent"))}
    result["entities"] = []
    if isinstance(parse_data.get("intent_ranking"), list):
        result["intent_ranking"] = [intent(i) for i in parse_data["intent_ranking"]]
    return result


def _tracker_table(connection: Connection) -> sa.Table | None:
    if not sa.inspect(connection).has_table(TRACKER_TABLE):
        return None
    return sa.Table(TRACKER_TABLE, sa.MetaData(), autoload_with=connection)


def _tracker_export(tracker_url: str | None, senders: Iterable[str]) -> dict[str, list[Any]]:
    wanted = sorted(set(senders))
    if not wanted:
        return {}
    result: dict[str, list[Any]] = {}
    with _tracker_engine(tracker_url).connect() as connection:
        table = _tracker_table(connection)
        if table is None:
            return {}
        rows = connection.execute(
            sa.select(table.c.sender_id, table.c.data)
            .where(table.c.sender_id.in_(wanted))
            .order_by(table.c.id)
        )
        for sender_id, data in rows:
            result.setdefault(sender_id, []).append(json.loads(data) if data else None)
    return result


def _tracker_erase(tracker_url: str | None, pseudonyms: Mapping[str, str]) -> int:
    """Rewrite the events of the given senders: anonymised JSON, sender id -> pseudonym."""
    if not pseudonyms:
        return 0
    count = 0
    with _tracker_engine(tracker_url).begin() as connection:
        table = _tracker_table(connection)
        if table is None:
            return 0
        rows = connection.execute(
            sa.select(table.c.id, table.c.sender_id, table.c.data).where(
                table.c.sender_id.in_(sorted(pseudonyms))
            )
        ).all()
        for row_id, sender_id, data in rows:
            try:
                event = json.loads(data) if data else {}
            except ValueError:
                event = {}
            clean = anonymise_event(event) if isinstance(event, dict) else {}
            connection.execute(
                sa.update(table)
                .where(table.c.id == row_id)
                .values(sender_id=pseudonyms[sender_id], data=json.dumps(clean))
            )
            count += 1
    return count


def _tracker_stale_senders(
    tracker_url: str | None, cutoff_timestamp: float, *, excluded: set[str]
) -> set[str]:
    with _tracker_engine(tracker_url).connect() as connection:
        table = _tracker_table(connection)
        if table is None:
            return set()
        rows = connection.execute(
            sa.select(table.c.sender_id)
            .group_by(table.c.sender_id)
            .having(sa.func.max(table.c.timestamp) < cutoff_timestamp)
        ).scalars()
        return {s for s in rows if s and not s.startswith(PSEUDONYM_PREFIX) and s not in excluded}


def _tracker_engine(tracker_url: str | None) -> sa.engine.Engine:
    if tracker_url is None:
        from bot.config import tracker_database_url

        tracker_url = tracker_database_url()
    return get_engine(tracker_url)


def _flush_old_pages(url: str | None, tracker_url: str | None) -> None:
    """SQLite: move the write-ahead log into the file and empty it.

    The WAL keeps the pages as they were before the erasure until a checkpoint; with
    ``secure_delete`` on (bot/crm/db.py) the checkpointed file keeps no old content either.
    PostgreSQL keeps old row versions until VACUUM (autovacuum, or see docs/privacy.md).
    """
    for engine in {get_engine(url), _tracker_engine(tracker_url)}:
        if engine.dialect.name == "sqlite":
            # Outside any transaction (the engine would open one: a checkpoint inside it
            # cannot complete).
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)", ())
                cursor.close()
            finally:
                connection.close()


# --- audit ---------------------------------------------------------------------------------


def _audit(
    action: str, actor: str, subject: Subject, summary: Mapping[str, int], url: str | None
) -> None:
    def work(session: Session) -> None:
        session.add(
            PrivacyAudit(
                at=datetime.now(UTC),
                action=action,
                actor=(actor or "unknown")[:100],
                subject_kind=subject.kind,
                subject_reference=subject.reference,
                customer_ids=sorted(subject.customer_ids),
                summary=dict(summary),
            )
        )

    run_in_transaction(work, url)
