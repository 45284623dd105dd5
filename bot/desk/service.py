"""What agents do on the desk: claim, reply, note, close, move a complaint's stage.

Who may do what is decided here, not in the page or the route, so the JSON API, the
websocket and any later screen share one rule:
- claim: any agent, on a waiting handoff;
- reply: the agent who claimed the handoff, or a supervisor/admin;
- note: on an open handoff; on an active one only its agent or a supervisor/admin;
- close: its agent (active), a supervisor/admin (also waiting), anyone (callback ticket);
- complaint stage: the agent who holds an active handoff of the complaint's customer, or
  a supervisor/admin.

Runs inside the Rasa server (the desk is a Rasa input channel), so it changes trackers
directly under the lock store's lock and reaches customers through the registered input
channels (``bot.desk.delivery``). The database stays the only truth for handoff state.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel

from bot.bus import TOPIC_DESK, Bus, get_bus
from bot.crm import agents, complaints, customers, deskteam, handoffs
from bot.crm.types import AgentRecord, ComplaintRecord, HandoffRecord
from bot.desk import conversation, delivery
from bot.handoff import texts
from bot.notify import agent_reply, history
from bot.profile import get_profile

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 4000


class DeskError(Exception):
    """An action the desk refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Desk:
    """Everything the operations need from the running Rasa server."""

    rasa_agent: Agent
    input_channels: Iterable[InputChannel]
    bus: Bus | None = None

    @property
    def the_bus(self) -> Bus:
        return self.bus or get_bus()


@dataclass(frozen=True)
class SendResult:
    message_id: int | None
    delivered: bool  # False: not pushed live (offline widget, REST); kept and followed up
    # live | offline (written to the outbox) | failed | none (no push path, e.g. REST)
    delivery: str | None = None


async def _handoff(handoff_id: int) -> HandoffRecord:
    record = await asyncio.to_thread(handoffs.get_handoff, handoff_id)
    if record is None:
        raise DeskError(404, "not_found", "Handoff tidak ditemukan.")
    return record


async def _language(desk: Desk, sender_id: str) -> str:
    tracker = await desk.rasa_agent.tracker_store.retrieve(sender_id)
    return "en" if tracker is not None and tracker.get_slot("language") == "en" else "id"


def _owner_check(record: HandoffRecord, agent: AgentRecord) -> None:
    if record.status != "active":
        raise DeskError(409, "not_active", "Ambil percakapan ini dulu.")
    if record.agent_id != agent.id and not agents.can_supervise(agent):
        raise DeskError(403, "not_owner", "Percakapan ini ditangani agen lain.")


def may_change_complaints(record: HandoffRecord, agent: AgentRecord) -> bool:
    """Whether the desk offers the complaint stage controls on this handoff's page."""
    return agents.can_supervise(agent) or (
        record.status == "active" and record.agent_id == agent.id
    )


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise DeskError(400, "empty", "Tulis pesan terlebih dahulu.")
    if len(text) > MAX_REPLY_CHARS:
        raise DeskError(400, "too_long", f"Maksimal {MAX_REPLY_CHARS} karakter.")
    return text.strip()


async def _send(
    desk: Desk,
    record: HandoffRecord,
    agent: AgentRecord,
    messages: list[dict[str, Any]],
    message_id: int | None = None,
) -> str:
    """Append to the tracker (the durable copy), then push to the customer's channel.

    Returns ``live`` (pushed), ``none`` (the channel has no push path) or ``failed``."""
    events = [
        conversation.agent_utterance(m, agent.display_name, record.id, message_id) for m in messages
    ]
    await conversation.append_events(desk.rasa_agent, record.sender_id, events)
    try:
        pushed = await delivery.deliver(
            desk.input_channels, record.channel, record.sender_id, messages, desk.bus
        )
    except Exception:
        logger.exception("delivery of an agent message failed (handoff %s)", record.id)
        return "failed"
    return "live" if pushed else "none"


def _message(
    text: str, agent: AgentRecord, buttons: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"text": text, "agent_name": agent.display_name}
    if buttons:
        message["buttons"] = buttons
    return message


async def claim(desk: Desk, handoff_id: int, agent: AgentRecord) -> HandoffRecord:
    current = await _handoff(handoff_id)
    if current.status != "waiting" and current.status != "active":
        raise DeskError(409, "not_waiting", "Percakapan ini tidak sedang menunggu agen.")
    if not await asyncio.to_thread(handoffs.claim, handoff_id, agent.id):
        raise DeskError(
            409, "already_claimed", "Agen lain sudah mengambil percakapan ini lebih dulu."
        )
    record = await _handoff(handoff_id)
    lang = await _language(desk, record.sender_id)
    joined = texts.text("agent_joined", lang, agent=agent.display_name)
    await _send(desk, record, agent, [_message(joined, agent)])
    await desk.the_bus.publish(
        TOPIC_DESK,
        {"kind": "handoff_claimed", "handoff_id": record.id, "agent": agent.display_name},
    )
    return record


async def reply(desk: Desk, handoff_id: int, agent: AgentRecord, text: Any) -> SendResult:
    body = _clean_text(text)
    record = await _handoff(handoff_id)
    _owner_check(record, agent)
    # A widget customer whose page is closed would never see a live push: the reply goes to
    # the outbox with it (e-mail, or kept for their return; bot.notify.agent_reply).
    online = await delivery.is_connected(desk.input_channels, record.channel, record.sender_id)
    offline = online is False
    stored = await asyncio.to_thread(
        agent_reply.store_reply,
        record.id,
        agent.id,
        body,
        offline=offline,
        agent_name=agent.display_name,
        language=await _language(desk, record.sender_id) if offline else "id",
    )
    message = _message(body, agent)
    if record.channel == agent_reply.WIDGET_CHANNEL:
        message["metadata"] = {"key": agent_reply.message_key(stored.id)}
    # Pushed even when offline: a widget that connects this instant still gets it (it
    # de-duplicates by key); the outbox row is the guarantee.
    pushed = await _send(desk, record, agent, [message], stored.id)
    state = "offline" if offline else pushed
    if not offline:
        await asyncio.to_thread(agent_reply.set_delivery, stored.id, state)
    label = (await asyncio.to_thread(agent_reply.reply_states, [stored.id])).get(stored.id)
    await desk.the_bus.publish(
        TOPIC_DESK,
        {
            "kind": "agent_message",
            "handoff_id": record.id,
            "message_id": stored.id,
            "agent": agent.display_name,
            "text": body,
            "at": stored.created_at.isoformat(),
            "delivery": label,
        },
    )
    return SendResult(stored.id, state == "live", state)


async def note(desk: Desk, handoff_id: int, agent: AgentRecord, text: Any) -> SendResult:
    """An internal note: stored and shown to agents, never sent to the customer."""
    body = _clean_text(text)
    record = await _handoff(handoff_id)
    if record.status == "closed":
        raise DeskError(409, "closed", "Percakapan ini sudah selesai.")
    if record.status == "active":
        _owner_check(record, agent)
    stored = await asyncio.to_thread(handoffs.add_message, record.id, "note", body, agent.id)
    await desk.the_bus.publish(
        TOPIC_DESK,
        {
            "kind": "note",
            "handoff_id": record.id,
            "message_id": stored.id,
            "agent": agent.display_name,
            "text": body,
            "at": stored.created_at.isoformat(),
        },
    )
    return SendResult(stored.id, False)


async def close(desk: Desk, handoff_id: int, agent: AgentRecord) -> HandoffRecord:
    """Hand the conversation back to the bot: closing message, feedback prompt, resume.

    The tracker is resumed before the row is closed: if anything fails in between, the
    agent sees an error and can retry, while the customer already has the bot back. The
    opposite order could leave a closed handoff with a bot that never answers again.
    """
    record = await _handoff(handoff_id)
    if record.status == "closed":
        raise DeskError(409, "closed", "Percakapan ini sudah selesai.")
    if record.status == "callback":
        # A callback ticket never paused the bot: closing it is bookkeeping only.
        await asyncio.to_thread(handoffs.close, record.id, agent.id)
    else:
        if record.status == "active":
            _owner_check(record, agent)
        elif not agents.can_supervise(agent):
            raise DeskError(409, "not_active", "Ambil percakapan ini dulu.")
        lang = await _language(desk, record.sender_id)
        messages = [
            _message(texts.text("closed", lang, agent=agent.display_name), agent),
            _message(texts.text("feedback_prompt", lang), agent, texts.feedback_buttons(lang)),
        ]
        await conversation.append_events(
            desk.rasa_agent,
            record.sender_id,
            conversation.resume_events(messages, agent.display_name, record.id),
        )
        await asyncio.to_thread(handoffs.close, record.id, agent.id)
        try:
            await delivery.deliver(
                desk.input_channels, record.channel, record.sender_id, messages, desk.bus
            )
        except Exception:
            logger.exception("delivery of the closing message failed (handoff %s)", record.id)
    await desk.the_bus.publish(TOPIC_DESK, {"kind": "handoff_closed", "handoff_id": record.id})
    return await _handoff(handoff_id)


async def advance_complaint(
    reference: str, to_stage: Any, note_text: Any, agent: AgentRecord
) -> ComplaintRecord:
    if not isinstance(to_stage, str) or not to_stage:
        raise DeskError(400, "stage", "Pilih tahap.")
    if note_text is not None and not isinstance(note_text, str):
        raise DeskError(400, "note", "Catatan harus berupa teks.")
    text = note_text.strip() if isinstance(note_text, str) and note_text.strip() else None
    if text is not None and len(text) > MAX_REPLY_CHARS:
        raise DeskError(400, "too_long", f"Maksimal {MAX_REPLY_CHARS} karakter.")
    if not agents.can_supervise(agent):
        complaint = await asyncio.to_thread(complaints.get_complaint, reference)
        if complaint is None:
            raise DeskError(404, "not_found", "Keluhan tidak ditemukan.")
        mine = await asyncio.to_thread(handoffs.active_handoffs, agent.id)
        if not any(h.customer_id == complaint.customer_id for h in mine):
            raise DeskError(
                403,
                "not_owner",
                "Tahap keluhan ini hanya bisa diubah oleh agen yang menangani percakapan "
                "pelanggannya, atau supervisor.",
            )
    try:
        return await asyncio.to_thread(
            complaints.advance_stage, reference, to_stage, text, agent.id
        )
    except complaints.ComplaintNotFound:
        raise DeskError(404, "not_found", "Keluhan tidak ditemukan.") from None
    except complaints.InvalidStageTransition as exc:
        raise DeskError(409, "stage", str(exc)) from None


def _stamp(value: datetime | None) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


async def conversation_view(desk: Desk, handoff_id: int) -> dict[str, Any]:
    """Handoff, full transcript (tracker + internal notes) and the customer's CRM context."""
    record = await _handoff(handoff_id)
    lines = await conversation.full_transcript(desk.rasa_agent, record.sender_id)
    stored = await asyncio.to_thread(handoffs.messages, record.id)
    if not lines:
        # No tracker (e.g. it was deleted): fall back to what the handoff row kept.
        lines = list(record.transcript or [])
        lines += [
            {"sender": m.sender, "text": m.text, "timestamp": _stamp(m.created_at)}
            for m in stored
            if m.sender != "note"
        ]
    lines = [line for line in lines if line.get("sender") != "system"]
    names = {a.id: a.display_name for a in await asyncio.to_thread(agents.list_agents)}
    notes = [
        {
            "sender": "note",
            "text": m.text,
            "timestamp": _stamp(m.created_at),
            "agent": names.get(m.agent_id or -1),
        }
        for m in stored
        if m.sender == "note"
    ]
    transcript = sorted(lines + notes, key=lambda line: line.get("timestamp") or 0.0)
    reply_ids = [int(line["message_id"]) for line in transcript if line.get("message_id")]
    states = await asyncio.to_thread(agent_reply.reply_states, reply_ids)
    for line in transcript:
        if line.get("message_id"):
            line["delivery"] = states.get(int(line["message_id"]))
    overview = None
    if record.customer_id is not None:
        overview = await asyncio.to_thread(customers.customer_overview, record.customer_id)
    complaint_history: dict[str, Any] = {}
    for summary in overview.open_complaints if overview else ():
        found = await asyncio.to_thread(complaints.get_complaint, summary.reference)
        if found is not None:
            complaint_history[summary.reference] = found
    return {
        "handoff": record,
        "transcript": transcript,
        "overview": overview,
        "complaints": complaint_history,
        "last_message_id": stored[-1].id if stored else None,
        "notifications": await notifications_for(record),
        "labels": (await asyncio.to_thread(deskteam.labels_for, [record.id]))[record.id],
        "team": await _team_of(record),
    }


async def _team_of(record: HandoffRecord) -> str | None:
    """The team queue of a handoff: where it was transferred, else where its reason routes."""
    chosen = (await asyncio.to_thread(deskteam.teams_of, [record.id])).get(record.id)
    routed = get_profile().team_for_reason(record.reason)
    return chosen or (routed.id if routed else None)


async def handoff_record(handoff_id: int) -> HandoffRecord:
    return await _handoff(handoff_id)


async def notifications_for(record: HandoffRecord) -> list[dict[str, Any]]:
    """What was sent to this handoff's customer (channel, kind, state, time in WIB)."""
    return await asyncio.to_thread(
        history.notifications_for, record.customer_id, record.channel, record.sender_id
    )


# ---- team tools (issue 16): canned replies, labels, transfers -------------------------------
# Every agent uses canned replies; only supervisors and admins create, edit and delete them.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _supervisor_check(agent: AgentRecord) -> None:
    if not agents.can_supervise(agent):
        raise DeskError(403, "forbidden", "Hanya supervisor atau admin yang boleh mengubah ini.")


def _data_error(exc: deskteam.DeskDataError) -> DeskError:
    return DeskError(409 if exc.code == "duplicate" else 400, exc.code, str(exc))


async def list_canned(agent: AgentRecord) -> list[deskteam.CannedRecord]:
    return await asyncio.to_thread(deskteam.list_canned)


async def save_canned(
    agent: AgentRecord, canned_id: int | None, fields: dict[str, Any]
) -> deskteam.CannedRecord:
    _supervisor_check(agent)
    try:
        saved = await asyncio.to_thread(
            deskteam.save_canned,
            canned_id,
            fields.get("shortcut"),
            fields.get("title"),
            fields.get("text_id"),
            fields.get("text_en"),
            agent.id,
        )
    except deskteam.DeskDataError as exc:
        raise _data_error(exc) from None
    if saved is None:
        raise DeskError(404, "not_found", "Balasan cepat tidak ditemukan.")
    return saved


async def delete_canned(agent: AgentRecord, canned_id: int) -> None:
    _supervisor_check(agent)
    if not await asyncio.to_thread(deskteam.delete_canned, canned_id):
        raise DeskError(404, "not_found", "Balasan cepat tidak ditemukan.")


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    """``{nama}`` etc. replaced; an unknown placeholder stays as typed (the agent sees it)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


async def placeholder_values(
    desk: Desk, record: HandoffRecord, agent: AgentRecord
) -> dict[str, str]:
    lang = await _language(desk, record.sender_id)
    name = None
    reference = None
    if record.customer_id is not None:
        overview = await asyncio.to_thread(customers.customer_overview, record.customer_id)
        if overview is not None:
            name = overview.customer.name
            found = overview.open_complaints or overview.open_requests
            reference = found[0].reference if found else None
    fields = record.captured_fields or {}
    name = name or fields.get("customer_name") or fields.get("name")
    return {
        "nama": str(name) if name else ("Sir/Madam" if lang == "en" else texts.address(lang)),
        "referensi": str(reference or fields.get("reference") or record.reference),
        "agen": agent.display_name,
        "perusahaan": get_profile().short_name,
    }


async def canned_for(desk: Desk, handoff_id: int, agent: AgentRecord) -> list[dict[str, Any]]:
    """The canned replies in the conversation's language, placeholders filled."""
    record = await _handoff(handoff_id)
    lang = await _language(desk, record.sender_id)
    values = await placeholder_values(desk, record, agent)
    return [
        {
            "id": c.id,
            "shortcut": c.shortcut,
            "title": c.title,
            "text": fill_placeholders(c.text_en if lang == "en" else c.text_id, values),
        }
        for c in await asyncio.to_thread(deskteam.list_canned)
    ]


async def set_labels(desk: Desk, handoff_id: int, agent: AgentRecord, names: Any) -> list[str]:
    if not isinstance(names, list):
        raise DeskError(400, "labels", "Label harus berupa daftar.")
    record = await _handoff(handoff_id)
    if record.status == "closed" and not agents.can_supervise(agent):
        raise DeskError(409, "closed", "Percakapan ini sudah selesai.")
    if record.status == "active":
        _owner_check(record, agent)
    try:
        labels = await asyncio.to_thread(deskteam.set_labels, handoff_id, names)
    except deskteam.DeskDataError as exc:
        raise _data_error(exc) from None
    await desk.the_bus.publish(
        TOPIC_DESK, {"kind": "labels_changed", "handoff_id": handoff_id, "labels": labels}
    )
    return labels


async def transfer(
    desk: Desk,
    handoff_id: int,
    agent: AgentRecord,
    *,
    to_agent: Any = None,
    to_team: Any = None,
    note: Any = None,
) -> HandoffRecord:
    """Pass an active conversation to a colleague (stays active) or a team's queue.

    The note is required (the next person needs the context) and stays internal; the
    customer is told who took over, in their language, through the usual delivery path.
    """
    body = _clean_text(note)
    profile = get_profile()
    target: AgentRecord | None = None
    team = None
    if to_agent not in (None, ""):
        try:
            target = await asyncio.to_thread(agents.get_agent, int(to_agent))
        except (TypeError, ValueError):
            target = None
        if target is None or not target.active:
            raise DeskError(400, "agent", "Pilih agen tujuan yang aktif.")
    elif isinstance(to_team, str) and profile.team(to_team) is not None:
        team = profile.team(to_team)
    else:
        raise DeskError(400, "target", "Pilih agen atau tim tujuan.")
    record = await _handoff(handoff_id)
    lang = await _language(desk, record.sender_id)
    where = target.display_name if target else profile_text(team.name if team else {}, "id")
    try:
        await asyncio.to_thread(
            deskteam.transfer,
            handoff_id,
            agent.id,
            agents.can_supervise(agent),
            to_agent_id=target.id if target else None,
            to_team=team.id if team else None,
            note=f"Dialihkan ke {where} oleh {agent.display_name}: {body}",
        )
    except deskteam.TransferRefused as exc:
        status = 404 if exc.code == "not_found" else 403 if exc.code == "not_owner" else 409
        raise DeskError(status, exc.code, str(exc)) from None
    record = await _handoff(handoff_id)
    if target is not None:
        told = texts.text("transferred_agent", lang, agent=target.display_name)
        await _send(desk, record, target, [_message(told, target)])
    else:
        told = texts.text(
            "transferred_team", lang, team=profile_text(team.name if team else {}, lang)
        )
        await _send(desk, record, agent, [_message(told, agent)])
    await desk.the_bus.publish(
        TOPIC_DESK,
        {
            "kind": "handoff_transferred",
            "handoff_id": record.id,
            "reference": record.reference,
            "from_agent": agent.display_name,
            "to_agent_id": target.id if target else None,
            "to_agent": target.display_name if target else None,
            "team": team.id if team else None,
        },
    )
    if team is not None:
        await desk.the_bus.publish(TOPIC_DESK, {"kind": "queue_changed", "handoff_id": record.id})
    return record


def profile_text(value: Any, language: str) -> str:
    if isinstance(value, dict) or hasattr(value, "get"):
        return str(value.get(language) or value.get("id") or "")
    return str(value)
