"""Status look-ups by reference number, and the ownership checks that guard them.

The bot shows a record only to its owner: the customer matched by channel identity
(``reference_belongs_to``), or someone who gives the phone number on record
(``reference_matches_phone``). Both return a plain bool for unknown references too, so
the caller cannot reveal whether someone else's reference exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.crm.contact import normalize_phone
from bot.crm.db import session_scope
from bot.crm.models import CalibrationRequest, Complaint, CustomerIdentity, FinancingRequest
from bot.crm.references import normalize_reference
from bot.crm.types import RecordStatus

Referenced = CalibrationRequest | FinancingRequest | Complaint

_KINDS: dict[str, tuple[str, type[Referenced]]] = {
    "KAL": ("calibration", CalibrationRequest),
    "FIN": ("financing", FinancingRequest),
    "CMP": ("complaint", Complaint),
}


def find_by_reference(reference: str, *, url: str | None = None) -> RecordStatus | None:
    """Kind, stage/status and last update of a KAL-/FIN-/CMP- record, or None."""
    reference = normalize_reference(reference)
    kind_model = _kind(reference)
    if kind_model is None:
        return None
    kind, model = kind_model
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(model).where(model.reference == reference)
        ).scalar_one_or_none()
        if row is None:
            return None
        phones = _phones_on_record(session, row)
        return RecordStatus(
            kind=kind,
            reference=row.reference,
            status=row.stage if isinstance(row, Complaint) else row.status,
            updated_at=row.updated_at,
            customer_id=row.customer_id,
            phone_on_record=getattr(row, "phone", None) or (sorted(phones)[0] if phones else None),
        )


def reference_belongs_to(reference: str, customer_id: int, *, url: str | None = None) -> bool:
    status = find_by_reference(reference, url=url)
    return status is not None and status.customer_id == customer_id


def reference_matches_phone(reference: str, phone: str, *, url: str | None = None) -> bool:
    """True when ``phone`` is the number on the record or one of its owner's numbers."""
    try:
        wanted = normalize_phone(phone)
    except ValueError:
        return False
    reference = normalize_reference(reference)
    kind_model = _kind(reference)
    if kind_model is None:
        return False
    model = kind_model[1]
    with session_scope(url, readonly=True) as session:
        row = session.execute(
            sa.select(model).where(model.reference == reference)
        ).scalar_one_or_none()
        return row is not None and wanted in _phones_on_record(session, row)


def _kind(reference: str) -> tuple[str, type[Referenced]] | None:
    return _KINDS.get(reference[:3]) if reference[3:4] == "-" else None


def _phones_on_record(session: Session, row: Referenced) -> set[str]:
    phones = set(
        session.execute(
            sa.select(CustomerIdentity.value).where(
                CustomerIdentity.customer_id == row.customer_id,
                CustomerIdentity.kind.in_(("phone", "whatsapp")),
                CustomerIdentity.value.like("+%"),
            )
        ).scalars()
    )
    if not isinstance(row, Complaint) and row.phone:  # a complaint has no phone of its own
        phones.add(row.phone)
    return phones
