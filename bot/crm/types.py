"""Plain frozen dataclasses passed in and out of the repositories.

Fields holding personal data (phone, e-mail, identity values) are left out of ``repr`` so
that logging a record by accident does not write them to plain logs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple


@dataclass(frozen=True)
class IdentityRecord:
    kind: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    name: Optional[str]
    company: Optional[str]
    type: Optional[str]
    city: Optional[str]
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
    kind: Optional[str]
    comment: Optional[str]
    created_at: datetime


@dataclass(frozen=True)
class CustomerOverview:
    customer: CustomerRecord
    identities: Tuple[IdentityRecord, ...]
    open_requests: Tuple[RecordSummary, ...]
    open_complaints: Tuple[RecordSummary, ...]
    recent_feedback: Tuple[FeedbackSummary, ...]


@dataclass(frozen=True)
class InteractionRecord:
    id: int
    conversation_id: int
    customer_id: Optional[int]
    direction: str
    text: str = field(repr=False)
    intent: Optional[str] = None
    created_at: Optional[datetime] = None


@dataclass(frozen=True)
class CreatedRecord:
    """Result of an idempotent create: ``created`` is False when the key was seen before."""

    id: int
    reference: Optional[str]
    created: bool


@dataclass(frozen=True)
class CalibrationItemInput:
    instrument_type: str
    quantity: int
    spec: Optional[str] = None


@dataclass(frozen=True)
class CalibrationRequestInput:
    company_name: str
    contact_name: str
    phone: str = field(repr=False)
    service_type: str
    service_location: str  # onsite | lab
    items: Tuple[CalibrationItemInput, ...]
    email: Optional[str] = field(default=None, repr=False)
    site_address: Optional[str] = None
    preferred_date: Optional[date] = None


@dataclass(frozen=True)
class CalibrationRequestRecord:
    id: int
    reference: str
    customer_id: int
    company_name: str
    contact_name: str
    phone: str = field(repr=False)
    email: Optional[str] = field(repr=False)
    service_type: str
    service_location: str
    site_address: Optional[str]
    preferred_date: Optional[date]
    status: str
    items: Tuple[CalibrationItemInput, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FinancingRequestInput:
    product_type: str
    amount: Decimal
    name: str
    phone: str = field(repr=False)
    consent: bool
    vehicle_condition: Optional[str] = None
    down_payment: Optional[Decimal] = None
    tenor_months: Optional[int] = None
    city: Optional[str] = None
    preferred_contact_time: Optional[str] = None


@dataclass(frozen=True)
class FinancingRequestRecord:
    id: int
    reference: str
    customer_id: int
    product_type: str
    vehicle_condition: Optional[str]
    amount: Decimal
    down_payment: Optional[Decimal]
    tenor_months: Optional[int]
    city: Optional[str]
    name: str
    phone: str = field(repr=False)
    preferred_contact_time: Optional[str]
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
    desired_resolution: Optional[str] = None
    related_reference: Optional[str] = None


@dataclass(frozen=True)
class StageEvent:
    from_stage: Optional[str]
    to_stage: str
    note: Optional[str]
    agent_id: Optional[int]
    at: datetime


@dataclass(frozen=True)
class ComplaintRecord:
    id: int
    reference: str
    customer_id: int
    category: str
    related_reference: Optional[str]
    description: str
    desired_resolution: Optional[str]
    severity: str
    stage: str
    created_at: datetime
    updated_at: datetime
    history: Tuple[StageEvent, ...]


@dataclass(frozen=True)
class FeedbackInput:
    rating: int
    kind: Optional[str] = None  # kritik | saran | pujian
    would_recommend: Optional[bool] = None
    comment: Optional[str] = None
    related_reference: Optional[str] = None
    handoff_id: Optional[int] = None


@dataclass(frozen=True)
class RecordStatus:
    kind: str  # calibration | financing | complaint
    reference: str
    status: str  # the complaint's Goodman stage, or the request's status
    updated_at: datetime
    customer_id: int
    phone_on_record: Optional[str] = field(repr=False)


@dataclass(frozen=True)
class HandoffRecord:
    id: int
    reference: str
    sender_id: str = field(repr=False)
    channel: str
    customer_id: Optional[int]
    reason: str
    status: str
    agent_id: Optional[int]
    captured_fields: Dict[str, Any] = field(repr=False)
    transcript: List[Any] = field(repr=False)
    queued_at: datetime
    claimed_at: Optional[datetime]
    closed_at: Optional[datetime]
    callback_channel: Optional[str]
    callback_time: Optional[str]
    created: bool = False  # True only from the open_handoff call that inserted it


@dataclass(frozen=True)
class QueueEntry:
    position: int  # 1 = next to be served
    handoff_id: int
    reference: str
    sender_id: str = field(repr=False)
    channel: str
    reason: str
    customer_id: Optional[int]
    customer_name: Optional[str]
    queued_at: datetime
    waiting_seconds: float


@dataclass(frozen=True)
class HandoffMessageRecord:
    id: int
    handoff_id: int
    sender: str  # customer | agent | bot | note
    agent_id: Optional[int]
    text: str = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class HandoffStats:
    day: date
    queue_length: int
    handoffs_today: int
    median_wait_seconds: Optional[float]
    median_handling_seconds: Optional[float]
    csat_after_handoff: Optional[float]  # mean 1-5 rating of feedback linked to a handoff
    csat_responses: int


@dataclass(frozen=True)
class AgentRecord:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime
