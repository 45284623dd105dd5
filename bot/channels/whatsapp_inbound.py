"""Parse a WhatsApp Cloud API webhook body into plain records (no Rasa, no I/O).

Shape (``object: whatsapp_business_account``)::

    entry[].changes[].value = {messaging_product, metadata: {display_phone_number,
        phone_number_id}, contacts: [{profile: {name}, wa_id}], messages: [...], statuses: [...]}

Unknown fields and unknown ``changes[].field`` values are ignored (Meta adds new ones);
wrong types in the fields we read raise :class:`WebhookFormatError` (-> 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

TEXT_KINDS = {"text", "interactive", "button"}
MEDIA_KINDS = {"image", "document"}
# Not messages to answer: a 👍 on one of our messages, or a deleted message's notice.
IGNORED_KINDS = {"reaction"}


class WebhookFormatError(ValueError):
    pass


@dataclass(frozen=True)
class InboundMessage:
    message_id: str
    wa_id: str
    type: str  # text, interactive, button, image, audio, location, sticker, unsupported, ...
    phone_number_id: str
    timestamp: str
    profile_name: str | None = None
    text: str | None = None  # typed text, or the title of a tapped button/list row
    reply_id: str | None = None  # id of a tapped button/list row (our payload)
    media_id: str | None = None  # image/document: the Graph media id to download
    caption: str | None = None

    @property
    def is_media(self) -> bool:
        return self.type in MEDIA_KINDS and bool(self.media_id)

    @property
    def is_ignored(self) -> bool:
        return self.type in IGNORED_KINDS

    @property
    def is_supported(self) -> bool:
        return self.type in TEXT_KINDS and self.text is not None


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str
    recipient_id: str
    error_codes: tuple[int, ...] = ()


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookFormatError(f"'{where}' must be a list")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookFormatError(f"'{where}' must be an object")
    return value


@overload
def _str(value: Any, where: str, required: Literal[True] = True) -> str: ...
@overload
def _str(value: Any, where: str, required: bool) -> str | None: ...
def _str(value: Any, where: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise WebhookFormatError(f"'{where}' must be a non-empty string")
    return value


def _message(raw: Any, metadata: dict[str, Any], names: dict[str, str]) -> InboundMessage:
    raw = _dict(raw, "message")
    kind = _str(raw.get("type"), "message.type")
    wa_id = _str(raw.get("from"), "message.from")
    text: str | None = None
    reply_id: str | None = None
    media_id: str | None = None
    caption: str | None = None
    if kind in MEDIA_KINDS:
        media = _dict(raw.get(kind), f"message.{kind}")
        media_id = _str(media.get("id"), f"message.{kind}.id")
        caption = _str(media.get("caption"), f"message.{kind}.caption", False)
    elif kind == "text":
        text = _str(_dict(raw.get("text"), "message.text").get("body"), "message.text.body", False)
    elif kind == "interactive":
        interactive = _dict(raw.get("interactive"), "message.interactive")
        sub = interactive.get("type")
        if sub in ("button_reply", "list_reply"):
            reply = _dict(interactive.get(sub), f"message.interactive.{sub}")
            reply_id = _str(reply.get("id"), f"{sub}.id")
            text = _str(reply.get("title"), f"{sub}.title", False) or ""
        else:  # e.g. nfm_reply (flows): not something the bot offers
            kind = f"interactive:{sub}"
    elif kind == "button":  # quick-reply button of a template message
        button = _dict(raw.get("button"), "message.button")
        reply_id = _str(button.get("payload"), "button.payload", False)
        text = _str(button.get("text"), "button.text", False) or ""
    return InboundMessage(
        message_id=_str(raw.get("id"), "message.id"),
        wa_id=wa_id,
        type=kind,
        phone_number_id=str(metadata.get("phone_number_id") or ""),
        timestamp=str(raw.get("timestamp") or ""),
        profile_name=names.get(wa_id),
        text=text,
        reply_id=reply_id,
        media_id=media_id,
        caption=caption,
    )


def _status(raw: Any) -> StatusUpdate:
    raw = _dict(raw, "status")
    codes = tuple(
        int(e["code"])
        for e in _list(raw.get("errors"), "status.errors")
        if isinstance(e, dict) and isinstance(e.get("code"), int)
    )
    return StatusUpdate(
        message_id=str(raw.get("id") or ""),
        status=str(raw.get("status") or ""),
        recipient_id=str(raw.get("recipient_id") or ""),
        error_codes=codes,
    )


def parse_webhook(data: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    data = _dict(data, "body")
    if data.get("object") != "whatsapp_business_account":
        raise WebhookFormatError("'object' must be 'whatsapp_business_account'")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in _list(data.get("entry"), "entry"):
        for change in _list(_dict(entry, "entry[]").get("changes"), "entry[].changes"):
            change = _dict(change, "changes[]")
            if change.get("field", "messages") != "messages":
                continue  # account/template updates: nothing for the bot
            value = _dict(change.get("value"), "changes[].value")
            metadata = _dict(value.get("metadata") or {}, "value.metadata")
            names: dict[str, str] = {}
            for contact in _list(value.get("contacts"), "value.contacts"):
                if isinstance(contact, dict) and isinstance(contact.get("wa_id"), str):
                    profile = contact.get("profile")
                    if isinstance(profile, dict) and isinstance(profile.get("name"), str):
                        names[contact["wa_id"]] = profile["name"]
            messages += [
                _message(m, metadata, names) for m in _list(value.get("messages"), "value.messages")
            ]
            statuses += [_status(s) for s in _list(value.get("statuses"), "value.statuses")]
    return messages, statuses
