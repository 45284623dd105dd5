"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has neither an exact decimal type (NUMERIC columns store REAL, so 1234567890123456.78
comes back as ...456.75) nor time zones (naive strings). These decorators keep the Python
side identical on both databases: ``Decimal`` money, aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 16  # Numeric(18, 2)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_money(value: Any) -> Decimal:
    """A Decimal with two places. Floats are refused: they already lost exactness."""
    if isinstance(value, (bool, float)):
        raise TypeError("money must be a Decimal, int or str, never a float")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise ValueError(f"money has at most two decimal places: {value!r}")
    if abs(quantized) >= MONEY_LIMIT:
        raise ValueError("amount too large for Numeric(18, 2)")
    return quantized


class Money(TypeDecorator[Decimal]):
    """Numeric(18, 2); integer cents on SQLite, which would otherwise store a float."""

    impl = sa.Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.engine.Dialect) -> TypeEngine[Any]:
        # SQLAlchemy adapts the returned type to the dialect itself (``dialect_impl``).
        if dialect.name == "sqlite":
            return sa.BigInteger()
        return sa.Numeric(18, 2, asdecimal=True)

    def process_bind_param(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if value is None:
            return None
        amount = to_money(value)
        return int(amount * 100) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: sa.engine.Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; naive datetimes are refused (their zone is a guess)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.engine.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the CRM; pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.engine.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
