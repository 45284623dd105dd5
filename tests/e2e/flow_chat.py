"""A customer chatting with the running stack over the REST channel, plus CRM read helpers."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

REFERENCE = re.compile(r"\b(KAL|FIN|CMP)-\d{4}-\d{6}\b")


class Chat:
    def __init__(self, stack: Any, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"
        self.last: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        self.last = self.stack.say(self.sender, text, timeout=60)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self.last)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.last for b in (m.get("buttons") or [])]

    def click(self, title: str) -> str:
        """Tap the button of the last answer whose title contains ``title`` (sends its payload)."""
        matches = [b for b in self.buttons if title.lower() in str(b.get("title", "")).lower()]
        assert matches, f"no button {title!r} in {[b.get('title') for b in self.buttons]}"
        return self.say(matches[0]["payload"])

    def reference(self) -> str:
        found = REFERENCE.search(self.text)
        assert found, f"no reference in {self.text!r}"
        return found.group(0)


def rows(url: str, table: str, **where: Any) -> list[dict[str, Any]]:
    """Rows of ``table`` in the stack's CRM database, decoded by the CRM's own column types
    (money is stored as integer cents on SQLite)."""
    from bot.crm.db import session_scope
    from bot.crm.models import Base

    model = next(m.class_ for m in Base.registry.mappers if m.class_.__tablename__ == table)
    query = sa.select(model).order_by(model.id)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    with session_scope(url, readonly=True) as session:
        return [
            {column.key: getattr(row, column.key) for column in sa.inspect(model).column_attrs}
            for row in session.execute(query).scalars()
        ]
