"""The benchmark's databases: a throw-away PostgreSQL database, and counting stored CRM records.

Records are counted by their customer-facing reference number (KAL-/FIN-/CMP-YYYY-NNNNNN) in
every table that has a ``reference`` column, found by reflection: the count does not depend
on how the CRM layer names its tables, only on the reference format in the NLU contract.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

REFERENCE = re.compile(r"\b(KAL|FIN|CMP)-\d{4}-\d{6}\b")
PREFIXES = ("KAL", "FIN", "CMP")
# Feedback has no reference of its own: its rows in the `feedback` table are counted.
FEEDBACK = "FEEDBACK"
FEEDBACK_TABLE = "feedback"
# Column names that hold a record's own reference (not e.g. a complaint's *related* reference).
_REFERENCE_COLUMNS = {"reference", "reference_number", "reference_no", "ref", "ref_number"}
# Tables that point at records by reference rather than store them (the back office's case
# index, the notification outbox): counting them would report every record twice.
_INDEX_TABLES = {"cases", "notifications"}


@dataclass
class StoredReferences:
    """Reference numbers found in the CRM database, per prefix, with the tables they are in."""

    by_prefix: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PREFIXES})
    tables: dict[str, str] = field(default_factory=dict)  # prefix -> table.column
    feedback_rows: int = 0

    def count(self, prefix: str) -> int:
        return len(self.by_prefix.get(prefix, []))

    def duplicates(self, prefix: str) -> list[str]:
        return [ref for ref, n in Counter(self.by_prefix.get(prefix, [])).items() if n > 1]


def stored_references(database_url: str) -> StoredReferences:
    engine = sa.create_engine(database_url, future=True, hide_parameters=True)
    result = StoredReferences()
    try:
        metadata = sa.MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name == FEEDBACK_TABLE:
                    result.feedback_rows = conn.execute(
                        sa.select(sa.func.count()).select_from(table)
                    ).scalar_one()
                for column in table.columns:
                    if table.name in _INDEX_TABLES or column.name.lower() not in _REFERENCE_COLUMNS:
                        continue
                    for (value,) in conn.execute(sa.select(column)):
                        match = REFERENCE.fullmatch(str(value or "").strip())
                        if match:
                            result.by_prefix[match.group(1)].append(match.group(0))
                            result.tables[match.group(1)] = f"{table.name}.{column.name}"
    finally:
        engine.dispose()
    return result


@dataclass
class RecordCheck:
    """Expected against stored records for one prefix."""

    prefix: str
    expected: int
    actual: int
    duplicated: list[str]
    given_not_stored: list[str]
    stored_not_given: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.expected == self.actual
            and not self.duplicated
            and not self.given_not_stored
            and not self.stored_not_given
        )


def check_records(
    stored: StoredReferences, expected: dict[str, int], given: Iterable[str]
) -> list[RecordCheck]:
    """Every confirmed form stored exactly once: counts equal and the references customers
    were given are exactly the stored ones (a duplicate would carry a reference nobody saw)."""
    given_by_prefix: dict[str, set[str]] = {p: set() for p in PREFIXES}
    for ref in given:
        given_by_prefix[ref[:3]].add(ref)
    checks = []
    for prefix in PREFIXES:
        stored_set = set(stored.by_prefix[prefix])
        checks.append(
            RecordCheck(
                prefix=prefix,
                expected=expected.get(prefix, 0),
                actual=stored.count(prefix),
                duplicated=stored.duplicates(prefix),
                given_not_stored=sorted(given_by_prefix[prefix] - stored_set),
                stored_not_given=sorted(stored_set - given_by_prefix[prefix]),
            )
        )
    checks.append(
        RecordCheck(FEEDBACK, expected.get(FEEDBACK, 0), stored.feedback_rows, [], [], [])
    )
    return checks
