"""Human-readable reference numbers: KAL-2026-000123, FIN-…, CMP-…, HOF-….

The number is taken from ``reference_counters`` in the SAME transaction that inserts the
record (see counters.upsert_increment): concurrent creators queue on the counter row and
never get the same value, and a rolled-back create also gives its number back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.crm.counters import upsert_increment

CALIBRATION, FINANCING, COMPLAINT, HANDOFF = "KAL", "FIN", "CMP", "HOF"
REFERENCE_RE = re.compile(r"^(KAL|FIN|CMP|HOF)-(\d{4})-(\d{6,})$")


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


def normalize_reference(text: str) -> str:
    """Upper-cased and trimmed: customers type "kal-2026-000123 "."""
    return (text or "").strip().upper()


def allocate_reference(session: Session, prefix: str, year: int | None = None) -> str:
    """The next reference for ``prefix``, numbered per (UTC) year, inside ``session``'s transaction."""
    year = year or datetime.now(UTC).year
    number = upsert_increment(
        session, "reference_counters", {"prefix": prefix, "year": year}, "last_value"
    )
    return format_reference(prefix, year, number)
