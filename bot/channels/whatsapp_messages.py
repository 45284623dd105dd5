"""Build WhatsApp Cloud API message objects from Rasa bot messages (pure functions).

Limits (WhatsApp Cloud API): text body 4096 characters; interactive reply buttons at most
3, title at most 20 characters, id at most 256, body at most 1024; list messages at most 10
rows, row title 24, row description 72, row id 200, list button label 20.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
LIST_BODY_LIMIT = 4096
MAX_REPLY_BUTTONS = 3
MAX_LIST_ROWS = 10
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON_LABEL = "Pilih"
DEFAULT_CHOICE_PROMPT = "Silakan pilih:"

Message = dict[str, Any]


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split at paragraph, line or word boundaries so that every part fits ``limit``."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:  # no good boundary: cut hard rather than make tiny parts
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _envelope(to: str) -> Message:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}


def text_messages(to: str, text: str) -> list[Message]:
    return [
        {**_envelope(to), "type": "text", "text": {"body": part, "preview_url": False}}
        for part in split_text(text)
    ]


def _unique_titles(titles: Sequence[str], limit: int) -> list[str]:
    # WhatsApp rejects reply buttons with equal titles; truncation can create equal ones.
    result: list[str] = []
    for title in titles:
        candidate = shorten(title, limit) or "-"
        n = 2
        while candidate in result:
            suffix = f" {n}"
            candidate = shorten(title, limit - len(suffix)) + suffix
            n += 1
        result.append(candidate)
    return result


def _reply_id(button: dict[str, Any], limit: int, title: str) -> str:
    payload = str(button.get("payload") or "")
    # A payload too long for an id cannot round-trip; the title then comes back as text.
    return payload if 0 < len(payload) <= limit else shorten(title, limit)


def button_messages(to: str, text: str, buttons: Sequence[dict[str, Any]]) -> list[Message]:
    """Up to 3 buttons -> reply buttons; more -> list message(s) of at most 10 rows."""
    if not buttons:
        return text_messages(to, text)
    text = text.strip()
    messages: list[Message] = []
    if len(buttons) <= MAX_REPLY_BUTTONS:
        body = text
        if not body or len(body) > BUTTON_BODY_LIMIT:
            # The text does not fit an interactive body: send it on its own first.
            messages.extend(text_messages(to, text) if body else [])
            body = DEFAULT_CHOICE_PROMPT
        titles = _unique_titles([str(b.get("title", "")) for b in buttons], BUTTON_TITLE_LIMIT)
        messages.append(
            {
                **_envelope(to),
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": body},
                    "action": {
                        "buttons": [
                            {
                                "type": "reply",
                                "reply": {"id": _reply_id(b, BUTTON_ID_LIMIT, t), "title": t},
                            }
                            for b, t in zip(buttons, titles, strict=False)
                        ]
                    },
                },
            }
        )
        return messages

    body = text
    if not body or len(body) > LIST_BODY_LIMIT:
        messages.extend(text_messages(to, text) if body else [])
        body = DEFAULT_CHOICE_PROMPT
    for start in range(0, len(buttons), MAX_LIST_ROWS):
        chunk = list(buttons[start : start + MAX_LIST_ROWS])
        full_titles = [str(b.get("title", "")) for b in chunk]
        titles = _unique_titles(full_titles, ROW_TITLE_LIMIT)
        rows = []
        for button, title, full in zip(chunk, titles, full_titles, strict=False):
            row: dict[str, Any] = {"id": _reply_id(button, ROW_ID_LIMIT, full), "title": title}
            if title != full:  # keep the whole label readable
                row["description"] = shorten(full, ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        messages.append(
            {
                **_envelope(to),
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": body if start == 0 else DEFAULT_CHOICE_PROMPT},
                    "action": {
                        "button": LIST_BUTTON_LABEL,
                        "sections": [{"title": "Pilihan", "rows": rows}],
                    },
                },
            }
        )
    return messages


def image_message(to: str, url: str) -> Message:
    return {**_envelope(to), "type": "image", "image": {"link": url}}
