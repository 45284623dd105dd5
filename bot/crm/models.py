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
AGENT_ROLES = ("agent", "supervisor")
HANDOFF_STATUSES = ("waiting", "active", "closed", "callback")
OPEN_HANDOFF_STATUSES = ("waiting", "active")  # the bot is paused for the conversation
HANDOFF_SENDERS = ("customer", "agent", "bot", "note")
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
    # Desk presence (bot/desk/presence.py): last desk heartbeat; NULL after logout.
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

    channel: Mapped[str] = Column(String(32), primary_key=True)
    message_id: Mapped[str] = Column(String(255), primary_key=True)
    received_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


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
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "delivered", "read", "failed", "dead")


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
    sent_at = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


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
