"""Constants and WhatsApp Cloud API webhook bodies (documented format) for the channel tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

APP_SECRET = "test-app-secret-" + "x" * 16
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "6281155501000"
WABA_ID = "102290129340398"
CUSTOMER_WA_ID = "6281234567890"


# ---- WhatsApp Cloud API webhook bodies (documented format) ----------------------------
def wa_message_id(n: int = 0) -> str:
    # Real wamids are base64 of the sender and a 20-byte id; the shape is what matters.
    return f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA{n:04d}QzVGNkE3QjhDOUQwRTFGAA=="


def wa_envelope(
    messages: list[dict] | None = None,
    statuses: list[dict] | None = None,
    wa_id: str = CUSTOMER_WA_ID,
    name: str = "Budi Santoso",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def wa_text(text: str, n: int = 0, wa_id: str = CUSTOMER_WA_ID) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wa_message_id(n),
        "timestamp": str(1767225600 + n),
        "type": "text",
        "text": {"body": text},
    }


def wa_interactive(kind: str, reply_id: str, title: str, n: int = 0) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if kind == "list_reply":
        reply["description"] = ""
    return {
        "context": {"from": DISPLAY_NUMBER, "id": wa_message_id(900 + n)},
        "from": CUSTOMER_WA_ID,
        "id": wa_message_id(n),
        "timestamp": str(1767225600 + n),
        "type": "interactive",
        "interactive": {"type": kind, kind: reply},
    }


def wa_image(n: int = 0) -> dict[str, Any]:
    return {
        "from": CUSTOMER_WA_ID,
        "id": wa_message_id(n),
        "timestamp": str(1767225600 + n),
        "type": "image",
        "image": {
            "caption": "foto alat",
            "mime_type": "image/jpeg",
            "sha256": "c9b0b1c5a6f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7",
            "id": "1234567890123456",
        },
    }


def wa_status(status: str = "delivered") -> dict[str, Any]:
    return {
        "id": wa_message_id(500),
        "status": status,
        "timestamp": "1767225700",
        "recipient_id": CUSTOMER_WA_ID,
        "conversation": {"id": "4b9b6c2c8f0e4b1b9c1e2d3f4a5b6c7d", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }


def meta_signature_header(raw: bytes, secret: str = APP_SECRET) -> str:
    """X-Hub-Signature-256 as Meta documents it: "sha256=" + hex HMAC-SHA256 of the raw body
    keyed with the app secret. Computed here, not with the code under test."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def signed(body: Any, secret: str = APP_SECRET) -> dict[str, Any]:
    """Request kwargs for a POST signed the way Meta signs it (over the raw bytes)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature_header(raw, secret),
        },
    }
