"""CRM tables (research notes section 8.3, trimmed to what the issues need).

Conventions, and why:
- enumerations are short strings with a CHECK constraint, not database ENUM types, so adding
  a value is a one-line migration on both SQLite and PostgreSQL;
- money is ``Money`` (Numeric(18, 2)) and timestamps ``UTCDateTime`` (see sqltypes);
- every write that a customer confirms carries a UNIQUE ``idempotency_key``, so a retried
  action or a duplicated webhook cannot store it twice;
- constraint names follow one naming convention, which Alembic's SQLite batch mode needs;
- types come from SQLAlchemy's mypy plugin: a NOT NULL column is annotated ``Mapped[T]``, a
  nullable one is left unannotated and the plugin infers ``T | None`` from the column type
  (the 1.4 plugin rejects an explicit ``Mapped[T | None]`` under current mypy).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship

from bot.crm.sqltypes import Money, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

IDENTITY_KINDS = ("whatsapp", "web", "email", "phone")
CUSTOMER_TYPES = ("b2b", "b2c")
DIRECTIONS = ("in", "out", "agent", "system")
SERVICE_LOCATIONS = ("onsite", "lab")
SEVERITIES = ("low", "medium", "high")
COMPLAINT_STAGES = ("received", "identified", "analysed", "negotiating", "resolved", "closed")
FEEDBACK_KINDS = ("kritik", "saran", "pujian")
AGENT_ROLES = ("agent", "supervisor", "admin")
# Roles that may do everything a supervisor may (admin: also manages accounts).
SUPERVISOR_ROLES = ("supervisor", "admin")
HANDOFF_STATUSES = ("waiting", "active", "closed", "callback")
OPEN_HANDOFF_STATUSES = ("waiting", "active")  # the bot is paused for the conversation
HANDOFF_SENDERS = ("customer", "agent", "bot", "note")
AGENT_REPLY_DELIVERIES = ("live", "offline", "failed", "none")
CALLBACK_CHANNELS = ("whatsapp", "phone", "email")


def one_of(column: str, values: Sequence[str], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (one_of("type", CUSTOMER_TYPES, "type"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    name = Column(String(200))
    company = Column(String(200))
    type = Column(String(8))
    city = Column(String(100))
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    first_seen: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class CustomerIdentity(Base):
    """A channel address of a customer; UNIQUE(kind, value) makes it point to one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        one_of("kind", IDENTITY_KINDS, "kind"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = Column(String(16), nullable=False)
    value: Mapped[str] = Column(String(320), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    # When the identity was proven (bot/crm/identity.py): channel identities at creation,
    # phones/e-mails by a one-time code. NULL = a claim only, never used to link or pre-fill.
    verified_at = Column(UTCDateTime)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(String(255), nullable=False)
    channel: Mapped[str] = Column(String(32), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_activity_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class Interaction(Base):
    """One event of a conversation, text stored verbatim."""

    __tablename__ = "interactions"
    __table_args__ = (
        one_of("direction", DIRECTIONS, "direction"),
        Index("ix_interactions_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[int] = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    direction: Mapped[str] = Column(String(8), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    intent = Column(String(100))
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class CalibrationRequest(Base):
    __tablename__ = "calibration_requests"
    __table_args__ = (one_of("service_location", SERVICE_LOCATIONS, "service_location"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), nullable=False, unique=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id"), nullable=False, index=True
    )
    company_name: Mapped[str] = Column(String(200), nullable=False)
    contact_name: Mapped[str] = Column(String(200), nullable=False)
    phone: Mapped[str] = Column(String(20), nullable=False)  # E.164
    email = Column(String(320))
    service_type: Mapped[str] = Column(String(20), nullable=False)
    service_location: Mapped[str] = Column(String(8), nullable=False)
    site_address = Column(Text)
    preferred_date = Column(Date)
    status: Mapped[str] = Column(String(20), nullable=False, default="new")
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[CalibrationRequestItem]] = relationship(
        "CalibrationRequestItem", order_by="CalibrationRequestItem.id", cascade="all, delete-orphan"
    )


class CalibrationRequestItem(Base):
    __tablename__ = "calibration_request_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    request_id: Mapped[int] = Column(
        Integer,
        ForeignKey("calibration_requests.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    instrument_type: Mapped[str] = Column(String(120), nullable=False)
    spec = Column(String(120))
    quantity: Mapped[int] = Column(Integer, nullable=False)


class FinancingRequest(Base):
    __tablename__ = "financing_requests"
    # Storing a lead without consent to be contacted is not allowed, so the database refuses it too.
    __table_args__ = (CheckConstraint("consent", name="consent_given"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), nullable=False, unique=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id"), nullable=False, index=True
    )
    product_type: Mapped[str] = Column(String(32), nullable=False)
    vehicle_condition = Column(String(8))
    amount: Mapped[Decimal] = Column(Money, nullable=False)
    down_payment = Column(Money)
    tenor_months = Column(Integer)
    city = Column(String(100))
    name: Mapped[str] = Column(String(200), nullable=False)
    phone: Mapped[str] = Column(String(20), nullable=False)  # E.164
    preferred_contact_time = Column(String(100))
    consent: Mapped[bool] = Column(Boolean, nullable=False)
    consent_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, default="new")
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (one_of("role", AGENT_ROLES, "role"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = Column(String(200), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default="agent")
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    # Desk presence (bot/handoff/presence.py): last desk heartbeat; NULL after logout.
    last_seen_at = Column(UTCDateTime)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        one_of("severity", SEVERITIES, "severity"),
        one_of("stage", COMPLAINT_STAGES, "stage"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), nullable=False, unique=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id"), nullable=False, index=True
    )
    category: Mapped[str] = Column(String(64), nullable=False)
    related_reference = Column(String(20), index=True)
    description: Mapped[str] = Column(Text, nullable=False)
    desired_resolution = Column(Text)
    severity: Mapped[str] = Column(String(8), nullable=False)
    stage: Mapped[str] = Column(String(16), nullable=False, default="received", index=True)
    # Contact details typed in this complaint's form: a snapshot for this record only
    # (personal data, for export/erase: contact_name, contact_phone, contact_email).
    contact_name = Column(String(200))
    contact_phone = Column(String(20))  # E.164
    contact_email = Column(String(320))
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    events: Mapped[list[ComplaintStageEvent]] = relationship(
        "ComplaintStageEvent", order_by="ComplaintStageEvent.id", cascade="all, delete-orphan"
    )


class ComplaintStageEvent(Base):
    __tablename__ = "complaint_stage_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    complaint_id: Mapped[int] = Column(
        Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_stage = Column(String(16))
    to_stage: Mapped[str] = Column(String(16), nullable=False)
    note = Column(Text)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        one_of("status", HANDOFF_STATUSES, "status"),
        one_of("callback_channel", CALLBACK_CHANNELS, "callback_channel"),
        # At most one open handoff per conversation, even when two replicas race to open one.
        Index(
            "uq_handoffs_open_sender",
            "sender_id",
            unique=True,
            sqlite_where=sa.text("status IN ('waiting', 'active')"),
            postgresql_where=sa.text("status IN ('waiting', 'active')"),
        ),
        Index("ix_handoffs_status_queued_at", "status", "queued_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), nullable=False, unique=True)
    sender_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    channel: Mapped[str] = Column(String(32), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = Column(String(64), nullable=False)
    status: Mapped[str] = Column(String(10), nullable=False, default="waiting")
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    captured_fields: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)
    transcript: Mapped[list[Any]] = Column(JSON, nullable=False, default=list)
    queued_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)
    callback_channel = Column(String(16))
    callback_time = Column(String(100))
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class HandoffMessage(Base):
    __tablename__ = "handoff_messages"
    __table_args__ = (
        one_of("sender", HANDOFF_SENDERS, "sender"),
        one_of("delivery", AGENT_REPLY_DELIVERIES, "delivery"),
        Index("ix_handoff_messages_handoff_id_id", "handoff_id", "id"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    handoff_id: Mapped[int] = Column(
        Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False
    )
    sender: Mapped[str] = Column(String(10), nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    # How an agent reply reached the customer (bot/notify/agent_reply.py, issue 15):
    # live / offline (written to the outbox: ``notification_id``) / failed / none (no push
    # path, e.g. REST); ``delivered_at``: shown in the widget when the customer came back.
    delivery = Column(String(8))
    notification_id = Column(Integer, ForeignKey("notifications.id", ondelete="SET NULL"))
    delivered_at = Column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        one_of("kind", FEEDBACK_KINDS, "kind"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id"), nullable=False, index=True
    )
    rating: Mapped[int] = Column(SmallInteger, nullable=False)
    kind = Column(String(8))
    would_recommend = Column(Boolean)
    comment = Column(Text)
    related_reference = Column(String(20))
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="SET NULL"), index=True)
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class ReferenceCounter(Base):
    """Last number handed out per prefix and year; incremented inside the creating transaction."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = Column(String(8), primary_key=True)
    year: Mapped[int] = Column(Integer, primary_key=True)
    last_value: Mapped[int] = Column(Integer, nullable=False)


class InboundMessage(Base):
    """Channel message ids already processed: webhook retries are dropped across replicas."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_sender", "channel", "sender_id", "received_at"),)

    channel: Mapped[str] = Column(String(32), primary_key=True)
    message_id: Mapped[str] = Column(String(255), primary_key=True)
    received_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    # Who wrote it (e.g. the wa_id): the WhatsApp 24-hour window starts at their last message.
    sender_id = Column(String(320))


class RateLimitHit(Base):
    """Fixed-window counters (e.g. desk logins per username and per address)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = Column(String(255), primary_key=True)
    window_start: Mapped[int] = Column(
        Integer, primary_key=True
    )  # Unix seconds, a multiple of the window
    count: Mapped[int] = Column(Integer, nullable=False)


# --- notification outbox (bot/notify/) --------------------------------------------------------
NOTIFICATION_CHANNELS = ("whatsapp", "email", "widget")
# held: a widget notification kept for the customer's return (their widget was closed);
# cancelled: not sent because the recipient opted out (bot/notify/consent.py).
NOTIFICATION_STATUSES = (
    "pending",
    "sending",
    "sent",
    "held",
    "delivered",
    "read",
    "failed",
    "dead",
    "cancelled",
)


class Notification(Base):
    """One message the business owes a customer (or an agent), written in the same transaction
    as the change that causes it and sent later by the worker (``python -m bot worker``).

    ``idempotency_key`` makes the write exactly-once (a retried action or a duplicated stage
    change adds nothing); ``status``/``attempts``/``next_attempt_at`` drive the worker's claims
    and retries; ``provider_message_id`` records what the provider accepted, so a worker that
    dies after sending and before committing can be reconciled instead of sending twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("channel", NOTIFICATION_CHANNELS, "channel"),
        one_of("status", NOTIFICATION_STATUSES, "status"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    kind: Mapped[str] = Column(String(64), nullable=False)  # otp_code, stage_changed, ...
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    recipient: Mapped[str] = Column(String(320), nullable=False)  # wa_id, e-mail, web sender
    language: Mapped[str] = Column(String(2), nullable=False, default="id")
    reference = Column(String(20), index=True)  # the request/complaint it is about, if any
    payload: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    status: Mapped[str] = Column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_by = Column(String(64))
    claimed_at = Column(UTCDateTime)
    provider_message_id = Column(String(255), index=True)
    last_error = Column(Text)
    # Committed just before the provider is called: a reclaimed row with it set may have been
    # sent already (the worker died between send and commit), see bot/notify/worker.py.
    send_started_at = Column(UTCDateTime)
    sent_at = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class ScheduledJobRun(Base):
    """One run of a scheduled job per period (``bot.notify.schedule.run_exclusive``): the
    primary key lets exactly one of several workers start it; ``finished_at`` stays empty
    while it runs, so a run whose worker died can be taken over after a lease."""

    __tablename__ = "scheduled_job_runs"

    job_name: Mapped[str] = Column(String(100), primary_key=True)
    period_start: Mapped[datetime] = Column(UTCDateTime, primary_key=True)
    claimed_by: Mapped[str] = Column(String(64), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    finished_at = Column(UTCDateTime)


# --- personal-data rights (issue 12): audit of exports, erasures and retention purges -----
PRIVACY_ACTIONS = ("export", "erase", "purge")


class PrivacyAudit(Base):
    """Who exported or erased whose data, and when (UU PDP accountability).

    Never the personal values themselves: the subject is named by the kind of key given
    (phone, e-mail, reference) and, for a reference, the reference; plus customer ids and
    row counts.
    """

    __tablename__ = "privacy_audit"
    __table_args__ = (one_of("action", PRIVACY_ACTIONS, "action"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    action: Mapped[str] = Column(String(8), nullable=False)
    actor: Mapped[str] = Column(String(100), nullable=False)
    subject_kind: Mapped[str] = Column(String(16), nullable=False)  # phone, email, reference
    subject_reference = Column(String(20))  # a business reference, never a phone or e-mail
    customer_ids: Mapped[list[Any]] = Column(JSON, nullable=False, default=list)
    summary: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)  # row counts


# ---- desk sessions (issue 12: revocable agent-desk sessions) -------------------------------


class DeskSession(Base):
    """One login on the agent desk, so it can be ended server-side on every replica at once.

    ``id`` is the SHA-256 of the random cookie value: a copy of this table (a backup, a
    read-only database user) cannot be replayed as a cookie.
    """

    __tablename__ = "desk_sessions"

    id: Mapped[str] = Column(String(64), primary_key=True)
    agent_id: Mapped[int] = Column(
        Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    revoked_at = Column(UTCDateTime)
    user_agent = Column(String(255))
    address = Column(String(64))


# --- identity verification (bot/crm/identity.py) ----------------------------------------------
CHALLENGE_CONTACT_KINDS = ("phone", "email")
CHALLENGE_STATUSES = ("pending", "verified", "locked", "superseded")


class IdentityChallenge(Base):
    """A one-time code sent to a claimed phone or e-mail, to be typed back in the conversation.

    Only a salted hash of the code is stored. Personal columns (for export/erase):
    ``contact_value`` (phone E.164 or e-mail) and ``sender_id`` (the conversation's id).
    """

    __tablename__ = "identity_challenges"
    __table_args__ = (
        one_of("contact_kind", CHALLENGE_CONTACT_KINDS, "contact_kind"),
        one_of("status", CHALLENGE_STATUSES, "status"),
        Index(
            "ix_identity_challenges_channel_sender_id_created_at",
            "channel",
            "sender_id",
            "created_at",
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(32), nullable=False)
    sender_id: Mapped[str] = Column(String(255), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reference = Column(String(20))  # the request whose contact is being proven, if any
    contact_kind: Mapped[str] = Column(String(8), nullable=False)
    contact_value: Mapped[str] = Column(String(320), nullable=False)
    code_salt: Mapped[str] = Column(String(32), nullable=False)
    code_hash: Mapped[str] = Column(String(64), nullable=False)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    status: Mapped[str] = Column(String(12), nullable=False, default="pending")
    idempotency_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    verified_at = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


# --- consent and opt-out (issue 15, bot/notify/consent.py) ---------------------------------
# Where the person said it / which address it covers. sms and rest have no notifications of
# their own, but an opt-out there still reaches the customer's other channels.
CONSENT_CHANNELS = ("whatsapp", "email", "widget", "sms", "rest")
# all: everything the worker would send (STOP/START); reminders: re-calibration reminders
# and other non-transactional messages (asked once, off until granted).
CONSENT_PURPOSES = ("all", "reminders")
CONSENT_SOURCES = ("keyword", "asked", "staff")


class Consent(Base):
    """One consent decision, append-only: the latest row per address (and per customer)
    and purpose is in force; older rows are the record of when and where it was given or
    withdrawn (UU PDP: consent must be provable)."""

    __tablename__ = "consents"
    __table_args__ = (
        one_of("channel", CONSENT_CHANNELS, "channel"),
        one_of("purpose", CONSENT_PURPOSES, "purpose"),
        one_of("source", CONSENT_SOURCES, "source"),
        Index("ix_consents_address", "channel", "address", "purpose", "id"),
        Index("ix_consents_customer", "customer_id", "purpose", "id"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    channel: Mapped[str] = Column(String(16), nullable=False)
    address: Mapped[str] = Column(String(320), nullable=False)  # wa_id, e-mail, session id
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))
    purpose: Mapped[str] = Column(String(16), nullable=False)
    granted: Mapped[bool] = Column(Boolean, nullable=False)
    source: Mapped[str] = Column(String(16), nullable=False)
    # The inbound channel the words came in on (socketio, whatsapp, twilio, rest) and the
    # words themselves (a keyword, never free text).
    via: Mapped[str] = Column(String(32), nullable=False)
    keyword = Column(String(32))


# --- back office: cases, their timeline, API tokens (bot/cases/) -----------------------------
CASE_TYPES = ("calibration", "financing", "complaint", "callback")
CASE_EVENT_KINDS = (
    "created",
    "stage_changed",
    "note",
    "assigned",
    "escalated",
    "notification",
    "message",
)
API_TOKEN_SCOPES = ("read", "write")


class Case(Base):
    """One row per captured request, complaint or callback ticket: what the back office lists.

    ``stage`` is the truth for where the case is (the request tables' status columns mirror
    it). Contact fields are denormalised copies for search and lists, written from the
    request's own contact data when the case is created. ``version`` grows by one on every
    change (optimistic concurrency: a stale form gets a 409). ``fields`` accumulates what staff
    entered at each stage plus the attributes stage rules look at (e.g. service_location).
    ``search_text`` is the lower-cased haystack the text search matches (a trigram GIN index
    on PostgreSQL, LIKE elsewhere).
    """

    __tablename__ = "cases"
    __table_args__ = (
        one_of("type", CASE_TYPES, "type"),
        Index("ix_cases_type_stage", "type", "stage"),
        Index("ix_cases_created_at_id", "created_at", "id"),
        Index("ix_cases_type_created_at_id", "type", "created_at", "id"),
        Index("ix_cases_assignee_id_is_open", "assignee_id", "is_open"),
        Index("ix_cases_is_open_due_at", "is_open", "due_at"),
        Index("ix_cases_channel_created_at", "channel", "created_at"),
        Index("ix_cases_escalated_is_open", "escalated", "is_open"),
        Index("ix_cases_stage_changed_at", "stage_changed_at"),
        Index(
            "ix_cases_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(20), nullable=False, unique=True)
    type: Mapped[str] = Column(String(16), nullable=False)
    stage: Mapped[str] = Column(String(20), nullable=False)
    is_open: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    assignee_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="SET NULL"), index=True)
    company = Column(String(200))
    contact_name = Column(String(200))
    phone = Column(String(20))
    email = Column(String(320))
    search_text: Mapped[str] = Column(Text, nullable=False, default="")
    channel = Column(String(32))
    language: Mapped[str] = Column(String(2), nullable=False, default="id")
    severity = Column(String(8))
    amount = Column(Money)
    fields: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    stage_changed_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    due_at = Column(UTCDateTime)
    version: Mapped[int] = Column(Integer, nullable=False, default=1)
    escalated: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    escalated_at = Column(UTCDateTime)
    escalation_reason = Column(Text)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class CaseEvent(Base):
    """The timeline of a case: every stage change, note, assignment, escalation and message."""

    __tablename__ = "case_events"
    __table_args__ = (
        one_of("kind", CASE_EVENT_KINDS, "kind"),
        Index("ix_case_events_case_id_id", "case_id", "id"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    case_id: Mapped[int] = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = Column(String(16), nullable=False)
    from_stage = Column(String(20))
    to_stage = Column(String(20))
    fields: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)
    note = Column(Text)
    assignee_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    notification_id = Column(Integer, ForeignKey("notifications.id", ondelete="SET NULL"))
    actor_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    version: Mapped[int] = Column(Integer, nullable=False)  # the case's version after it
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class ApiToken(Base):
    """A bearer token for integrations; only its SHA-256 is stored (shown once at creation)."""

    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", API_TOKEN_SCOPES, "scope"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(100), nullable=False)
    token_hash: Mapped[str] = Column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = Column(String(16), nullable=False)  # shown in lists, not secret
    scope: Mapped[str] = Column(String(8), nullable=False)
    created_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at = Column(UTCDateTime)
    last_used_at = Column(UTCDateTime)


# --- agent desk for a team: canned replies, labels, teams, transfers (issue 16) ---------------
class CannedReply(Base):
    """A reply text agents insert by typing ``/`` and its shortcut; supervisors manage them.

    Bilingual (the conversation's language picks the text); ``{nama}``, ``{referensi}`` and
    the other placeholders are filled from the conversation when inserted (bot.desk.canned).
    """

    __tablename__ = "canned_replies"

    id: Mapped[int] = Column(Integer, primary_key=True)
    shortcut: Mapped[str] = Column(String(40), nullable=False, unique=True)
    title: Mapped[str] = Column(String(120), nullable=False)
    text_id: Mapped[str] = Column(Text, nullable=False)
    text_en: Mapped[str] = Column(Text, nullable=False)
    updated_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class Label(Base):
    """A free label agents put on conversations (``vip``, ``tagihan``...) to filter the queue."""

    __tablename__ = "labels"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(40), nullable=False, unique=True)


class HandoffLabel(Base):
    __tablename__ = "handoff_labels"

    handoff_id: Mapped[int] = Column(
        Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = Column(
        Integer, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


# The team queue a handoff is in (a team id of the business profile's ``teams``); NULL: the
# team its reason routes to (bot.desk.teams). Set when an agent transfers it to a team.
Handoff.team = Column(String(32))


# --- analytics (issue 17) ----------------------------------------------------------------------
class AnalyticsEvent(Base):
    """One compact row per tracker event that matters for analytics (bot/analytics/capture.py).

    No personal data: ``conversation`` is a keyed hash of the sender id, and only names are
    kept (intent, action, form, slot names) - never a message text or a slot value, except
    the ``language`` slot (``id``/``en``) and the ``handoff_reason`` code. ``event_key`` is a
    keyed digest of the whole event: Rasa re-sending an event (or two replicas) adds nothing.
    """

    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_conversation", "conversation", "occurred_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    event_key: Mapped[str] = Column(String(64), nullable=False, unique=True)
    conversation: Mapped[str] = Column(String(64), nullable=False)
    # user | bot | action | form | slot | pause | resume | session
    kind: Mapped[str] = Column(String(16), nullable=False)
    channel = Column(String(40))
    language = Column(String(8))
    intent = Column(String(80))
    confidence = Column(sa.Float)
    action = Column(String(80))
    form = Column(String(80))
    slot = Column(String(80))
    handoff_reason = Column(String(40))
    fallback: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    handoff: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    occurred_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    recorded_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
