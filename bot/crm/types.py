"""Plain frozen dataclasses passed in and out of the repositories.

Fields holding personal data (phone, e-mail, identity values) are left out of ``repr`` so
that logging a record by accident does not write them to plain logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def from_row(record: type[R], row: object, **computed: Any) -> R:
    """``record`` filled from the ORM ``row``: each field is the row's attribute of the same
    name, except those given in ``computed`` (nested records, values the row lacks)."""
    values = {f.name: getattr(row, f.name) for f in fields(record) if f.name not in computed}
    return record(**values, **computed)


@dataclass(frozen=True)
class IdentityRecord:
    kind: str
    value: str = field(repr=False)
    verified: bool = True  # False: a contact typed in a chat before proof was required


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    name: str | None
    company: str | None
    type: str | None
    city: str | None
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RecordSummary:
    """One request or complaint, as listed in greetings and on the agent desk."""

    kind: str  # calibration | financing | complaint
    reference: str
    status: str
    summary: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FeedbackSummary:
    rating: int
    kind: str | None
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class CustomerOverview:
    customer: CustomerRecord
    identities: tuple[IdentityRecord, ...]
    open_requests: tuple[RecordSummary, ...]
    open_complaints: tuple[RecordSummary, ...]
    recent_feedback: tuple[FeedbackSummary, ...]


@dataclass(frozen=True)
class CreatedRecord:
    """Result of an idempotent create: ``created`` is False when the key was seen before."""

    id: int
    reference: str | None
    created: bool


@dataclass(frozen=True)
class CalibrationItemInput:
    instrument_type: str
    quantity: int
    spec: str | None = None


@dataclass(frozen=True)
class CalibrationRequestInput:
    company_name: str
    contact_name: str
    phone: str = field(repr=False)
    service_type: str
    service_location: str  # onsite | lab
    items: tuple[CalibrationItemInput, ...]
    email: str | None = field(default=None, repr=False)
    site_address: str | None = None
    preferred_date: date | None = None


@dataclass(frozen=True)
class CalibrationRequestRecord:
    id: int
    reference: str
    customer_id: int
    company_name: str
    contact_name: str
    phone: str = field(repr=False)
    email: str | None = field(repr=False)
    service_type: str
    service_location: str
    site_address: str | None
    preferred_date: date | None
    status: str
    items: tuple[CalibrationItemInput, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FinancingRequestInput:
    product_type: str
    amount: Decimal
    name: str
    phone: str = field(repr=False)
    consent: bool
    vehicle_condition: str | None = None
    down_payment: Decimal | None = None
    tenor_months: int | None = None
    city: str | None = None
    preferred_contact_time: str | None = None


@dataclass(frozen=True)
class FinancingRequestRecord:
    id: int
    reference: str
    customer_id: int
    product_type: str
    vehicle_condition: str | None
    amount: Decimal
    down_payment: Decimal | None
    tenor_months: int | None
    city: str | None
    name: str
    phone: str = field(repr=False)
    preferred_contact_time: str | None
    consent: bool
    consent_at: datetime
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ComplaintInput:
    category: str
    description: str
    severity: str  # low | medium | high
    desired_resolution: str | None = None
    related_reference: str | None = None
    # Contact details typed in the complaint form: stored on this complaint only.
    contact_name: str | None = None
    contact_phone: str | None = field(default=None, repr=False)
    contact_email: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StageEvent:
    from_stage: str | None
    to_stage: str
    note: str | None
    agent_id: int | None
    at: datetime


@dataclass(frozen=True)
class ComplaintRecord:
    id: int
    reference: str
    customer_id: int
    category: str
    related_reference: str | None
    description: str
    desired_resolution: str | None
    severity: str
    stage: str
    created_at: datetime
    updated_at: datetime
    history: tuple[StageEvent, ...]


@dataclass(frozen=True)
class FeedbackInput:
    rating: int
    kind: str | None = None  # kritik | saran | pujian
    would_recommend: bool | None = None
    comment: str | None = None
    related_reference: str | None = None
    handoff_id: int | None = None


@dataclass(frozen=True)
class RecordStatus:
    kind: str  # calibration | financing | complaint
    reference: str
    status: str  # the complaint's Goodman stage, or the request's status
    updated_at: datetime
    customer_id: int
    phone_on_record: str | None = field(repr=False)


@dataclass(frozen=True)
class HandoffRecord:
    id: int
    reference: str
    sender_id: str = field(repr=False)
    channel: str
    customer_id: int | None
    reason: str
    status: str
    agent_id: int | None
    captured_fields: dict[str, Any] = field(repr=False)
    transcript: list[Any] = field(repr=False)
    queued_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    callback_channel: str | None
    callback_time: str | None
    created: bool = False  # True only from the open_handoff call that inserted it


@dataclass(frozen=True)
class QueueEntry:
    position: int  # 1 = next to be served
    handoff_id: int
    reference: str
    sender_id: str = field(repr=False)
    channel: str
    reason: str
    customer_id: int | None
    customer_name: str | None
    queued_at: datetime
    waiting_seconds: float


@dataclass(frozen=True)
class HandoffMessageRecord:
    id: int
    handoff_id: int
    sender: str  # customer | agent | bot | note
    agent_id: int | None
    text: str = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class HandoffStats:
    day: date
    queue_length: int
    handoffs_today: int
    median_wait_seconds: float | None
    median_handling_seconds: float | None
    csat_after_handoff: float | None  # mean 1-5 rating of feedback linked to a handoff
    csat_responses: int
    # 90th percentile wait and how many waits are still running (customers in the queue now).
    p90_wait_seconds: float | None = None
    waiting_counted: int = 0


@dataclass(frozen=True)
class AgentRecord:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime
