"""REST channel with input checks: ``POST /webhooks/rest/webhook`` as in Rasa, minus the 500s.

credentials.yml (instead of ``rest:``)::

    bot.channels.rest.GuardedRestInput: {}

Rasa's ``RestInput`` answers 500 (or processes garbage) for a JSON array body, a missing or
non-string ``sender``/``message``, and lets the client choose ``input_channel`` and
``metadata``. This subclass answers a clear 4xx for each, and:

* a message longer than ``MAX_MESSAGE_CHARS`` -> 422 with a polite text for the customer;
* the client cannot claim another channel (``input_channel`` is always ``rest``) nor inject
  metadata that actions would trust;
* a sender id that is a WhatsApp identity (phone-like digits or ``whatsapp:...``) is refused,
  so nobody can read or write a WhatsApp customer's conversation through this endpoint;
* typed "/..." text stays text unless the bot offered that payload (``typed_intents``);
* when REST_CHANNEL_TOKEN is set, requests need ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import hooks
from bot.channels.limits import (
    MAX_SENDER_ID_CHARS,
    TextProblem,
    max_message_chars,
    text_problem,
    too_long_reply,
)
from bot.channels.responses import body_too_large, error
from bot.channels.typed_intents import offer_for_typed_text, resolve_typed_text, tracker_store_of

logger = logging.getLogger(__name__)

CHANNEL = "rest"
_WHATSAPP_LIKE = re.compile(r"^(?:whatsapp:)?\+?\d{8,15}$", re.IGNORECASE)


class BadRequest(ValueError):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def parse_rest_body(body: bytes) -> dict[str, str]:
    """Validate a REST channel body; return ``{"sender": ..., "message": ...}``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "malformed_json", "The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "malformed_json", "The body must be a JSON object.")
    sender, message = data.get("sender"), data.get("message")
    if sender is None or message is None:
        raise BadRequest(400, "missing_field", "Both 'sender' and 'message' are required.")
    if not isinstance(sender, str) or not isinstance(message, str):
        raise BadRequest(400, "wrong_type", "'sender' and 'message' must be strings.")
    if not sender.strip() or len(sender) > MAX_SENDER_ID_CHARS or text_problem(sender):
        raise BadRequest(
            400, "invalid_sender", f"'sender' must be 1-{MAX_SENDER_ID_CHARS} characters."
        )
    if _WHATSAPP_LIKE.match(sender.strip()):
        raise BadRequest(
            400, "invalid_sender", "'sender' must not be a phone number or WhatsApp id."
        )
    problem = text_problem(message)
    if problem == TextProblem.EMPTY:
        raise BadRequest(400, "empty_message", "'message' must not be empty.")
    if problem == TextProblem.TOO_LONG:
        raise BadRequest(
            422, "message_too_long", too_long_reply(message), max_chars=max_message_chars()
        )
    if problem:
        raise BadRequest(
            400, "invalid_characters", "'message' contains characters that cannot be stored."
        )
    return {"sender": sender.strip(), "message": message}


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        from bot.config import get_channel_settings

        token = get_channel_settings().rest_channel_token or (credentials or {}).get("token")
        return cls(token=token or None)

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        header = request.headers.get("Authorization", "")
        supplied = header[7:] if header.startswith("Bearer ") else ""
        return hmac.compare_digest(supplied.encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return error(401, "unauthorised", "A valid bearer token is required.")
            too_large = body_too_large(request)
            if too_large:
                return too_large
            try:
                fields = parse_rest_body(request.body or b"")
            except BadRequest as exc:
                body = {"error": exc.code, "message": str(exc), **exc.extra}
                return response.json(body, status=exc.status)
            sender, text = fields["sender"], fields["message"]
            offer = await offer_for_typed_text(tracker_store_of(request.app), sender, text)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        resolve_typed_text(text, offer),
                        collector,
                        sender,
                        input_channel=CHANNEL,
                        metadata={"channel": CHANNEL},
                    )
                )
            except asyncio.CancelledError:
                logger.error("REST message timed out")
            except Exception:
                logger.exception("Rasa failed on a REST message")
            await hooks.on_customer_message(sender, CHANNEL, text)
            return response.json(collector.messages)

        return webhook
