"""The desk's team tools in the CRM (issue 16): canned replies, labels, team transfers.

Kept apart from ``bot.crm.handoffs`` (the queue's core) so the queue's state machine stays
small; who may call what is decided by the desk service (bot.desk.service), while the row
checks that must hold under concurrency (is it still active, is it still yours) are made
here, on the locked handoff row, in the same transaction as the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crm.db import run_in_transaction, session_scope
from bot.crm.models import CannedReply, Handoff, HandoffLabel, HandoffMessage, Label
from bot.crm.sqltypes import utcnow

SHORTCUT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
LABEL_RE = re.compile(r"^[\w][\w -]{0,39}$", re.UNICODE)
MAX_CANNED_CHARS = 4000
MAX_LABELS = 10


class DeskDataError(ValueError):
    """Input the desk refuses; ``code`` is a short machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TransferRefused(Exception):
    """The handoff changed under the agent (closed, claimed by someone else)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CannedRecord:
    id: int
    shortcut: str
    title: str
    text_id: str
    text_en: str
    updated_at: datetime


@dataclass(frozen=True)
class LastMessage:
    sender: str
    text: str
    at: datetime


# ---- canned replies -------------------------------------------------------------------------
def _canned(row: CannedReply) -> CannedRecord:
    return CannedRecord(row.id, row.shortcut, row.title, row.text_id, row.text_en, row.updated_at)


def _clean_canned(
    shortcut: object, title: object, text_id: object, text_en: object
) -> tuple[str, str, str, str]:
    if not isinstance(shortcut, str) or not SHORTCUT_RE.match(shortcut.strip().lower()):
        raise DeskDataError(
            "shortcut", "Pintasan: huruf kecil, angka, - atau _ (maksimal 40 karakter)."
        )
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > 120:
        raise DeskDataError("title", "Judul wajib diisi (maksimal 120 karakter).")
    texts: list[str] = []
    for value in (text_id, text_en):
        if not isinstance(value, str) or not value.strip():
            raise DeskDataError("text", "Teks Indonesia dan Inggris wajib diisi.")
        if len(value) > MAX_CANNED_CHARS:
            raise DeskDataError("too_long", f"Maksimal {MAX_CANNED_CHARS} karakter.")
        texts.append(value.strip())
    return shortcut.strip().lower(), title.strip(), texts[0], texts[1]


def list_canned(*, url: str | None = None) -> list[CannedRecord]:
    with session_scope(url, readonly=True) as session:
        rows = session.execute(sa.select(CannedReply).order_by(CannedReply.shortcut)).scalars()
        return [_canned(row) for row in rows]


def get_canned(canned_id: int, *, url: str | None = None) -> CannedRecord | None:
    with session_scope(url, readonly=True) as session:
        row = session.get(CannedReply, canned_id)
        return _canned(row) if row else None


def save_canned(
    canned_id: int | None,
    shortcut: object,
    title: object,
    text_id: object,
    text_en: object,
    agent_id: int,
    *,
    url: str | None = None,
) -> CannedRecord | None:
    """Create (``canned_id`` None) or update one; None when the one to update is gone."""
    values = _clean_canned(shortcut, title, text_id, text_en)

    def work(session: Session) -> CannedRecord | None:
        if canned_id is None:
            row = CannedReply(updated_at=utcnow())
            session.add(row)
        else:
            found = session.get(CannedReply, canned_id, with_for_update=True)
            if found is None:
                return None
            row = found
        row.shortcut, row.title, row.text_id, row.text_en = values
        row.updated_by = agent_id
        row.updated_at = utcnow()
        session.flush()
        return _canned(row)

    try:
        return run_in_transaction(work, url)
    except IntegrityError:
        raise DeskDataError("duplicate", "Pintasan ini sudah dipakai.") from None


def delete_canned(canned_id: int, *, url: str | None = None) -> bool:
    def work(session: Session) -> bool:
        row = session.get(CannedReply, canned_id)
        if row is None:
            return False
        session.delete(row)
        return True

    return run_in_transaction(work, url)


# ---- labels ---------------------------------------------------------------------------------
def clean_label(name: object) -> str:
    value = " ".join(name.split()).lower() if isinstance(name, str) else ""
    if not LABEL_RE.match(value):
        raise DeskDataError("label", "Label: huruf, angka, spasi atau - (maksimal 40 karakter).")
    return value


def all_labels(*, url: str | None = None) -> list[str]:
    with session_scope(url, readonly=True) as session:
        return list(session.execute(sa.select(Label.name).order_by(Label.name)).scalars())


def labels_for(handoff_ids: Iterable[int], *, url: str | None = None) -> dict[int, list[str]]:
    ids = list(handoff_ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(HandoffLabel.handoff_id, Label.name)
            .join(Label, Label.id == HandoffLabel.label_id)
            .where(HandoffLabel.handoff_id.in_(ids))
            .order_by(Label.name)
        ).all()
    for handoff_id, name in rows:
        found[handoff_id].append(name)
    return found


def set_labels(handoff_id: int, names: Sequence[object], *, url: str | None = None) -> list[str]:
    """Replace a handoff's labels (new label names are created); returns them sorted."""
    wanted = sorted({clean_label(n) for n in names})
    if len(wanted) > MAX_LABELS:
        raise DeskDataError("labels", f"Maksimal {MAX_LABELS} label.")

    def work(session: Session) -> list[str]:
        if session.get(Handoff, handoff_id, with_for_update=True) is None:
            raise DeskDataError("not_found", "Handoff tidak ditemukan.")
        ids: list[int] = []
        for name in wanted:
            label_id = session.execute(
                sa.select(Label.id).where(Label.name == name)
            ).scalar_one_or_none()
            if label_id is None:
                label = Label(name=name)
                session.add(label)
                session.flush()
                label_id = label.id
            ids.append(label_id)
        session.execute(sa.delete(HandoffLabel).where(HandoffLabel.handoff_id == handoff_id))
        for label_id in ids:
            session.add(HandoffLabel(handoff_id=handoff_id, label_id=label_id))
        return wanted

    # A label created by a concurrent request conflicts once; the retry finds it.
    return run_in_transaction(work, url, retry_conflicts=True)


# ---- teams and transfers --------------------------------------------------------------------
def teams_of(handoff_ids: Iterable[int], *, url: str | None = None) -> dict[int, str | None]:
    """The team each handoff was transferred to (None: routed by its reason)."""
    ids = list(handoff_ids)
    if not ids:
        return {}
    with session_scope(url, readonly=True) as session:
        rows = session.execute(
            sa.select(Handoff.id, Handoff.team).where(Handoff.id.in_(ids))  # type: ignore[attr-defined]
        ).all()
    return {row[0]: row[1] for row in rows}


def last_messages(handoff_ids: Iterable[int], *, url: str | None = None) -> dict[int, LastMessage]:
    """The latest customer or agent message of each handoff (queue previews)."""
    ids = list(handoff_ids)
    if not ids:
        return {}
    latest = (
        sa.select(sa.func.max(HandoffMessage.id))
        .where(HandoffMessage.handoff_id.in_(ids), HandoffMessage.sender.in_(("customer", "agent")))
        .group_by(HandoffMessage.handoff_id)
    )
    with session_scope(url, readonly=True) as session:
        rows = session.execute(sa.select(HandoffMessage).where(HandoffMessage.id.in_(latest)))
        return {m.handoff_id: LastMessage(m.sender, m.text, m.created_at) for m in rows.scalars()}


def transfer(
    handoff_id: int,
    actor_id: int,
    actor_supervises: bool,
    *,
    to_agent_id: int | None = None,
    to_team: str | None = None,
    note: str,
    url: str | None = None,
) -> None:
    """Give an active handoff to another agent (stays active) or back to a team's queue.

    The handoff row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises
    writers) and re-checked: only its current agent or a supervisor may pass it on, and a
    handoff closed or passed on a moment ago is refused rather than silently taken back.
    The note is stored as an internal note in the same transaction.
    """
    if (to_agent_id is None) == (to_team is None):
        raise ValueError("exactly one of to_agent_id and to_team")

    def work(session: Session) -> None:
        row = session.get(Handoff, handoff_id, with_for_update=True)
        if row is None:
            raise TransferRefused("not_found", "Handoff tidak ditemukan.")
        if row.status != "active":
            raise TransferRefused("not_active", "Percakapan ini tidak sedang ditangani.")
        if row.agent_id != actor_id and not actor_supervises:
            raise TransferRefused("not_owner", "Percakapan ini ditangani agen lain.")
        now = utcnow()
        if to_agent_id is not None:
            if to_agent_id == row.agent_id:
                raise TransferRefused("same_agent", "Percakapan ini sudah ditangani agen itu.")
            row.agent_id = to_agent_id
            row.claimed_at = now
        else:
            row.status = "waiting"
            row.agent_id = None
            row.claimed_at = None
            row.team = to_team  # type: ignore[attr-defined]
        row.updated_at = now
        session.add(
            HandoffMessage(
                handoff_id=handoff_id, sender="note", agent_id=actor_id, text=note, created_at=now
            )
        )

    run_in_transaction(work, url)
