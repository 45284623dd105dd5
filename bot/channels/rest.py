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
* a sender id must match ``SENDER_ID_PATTERN`` (letters, digits and ``. _ : @ + -``, 1-128
  characters): no spaces, control, zero-width or other invisible characters, no newlines,
  so one conversation cannot pose as another that merely looks the same;
* the body is parsed by :mod:`bot.jsonsafe` (size and nesting depth checked first), so a
  deeply nested body is a 400, not a ``RecursionError`` and a 500;
* requests need ``Authorization: Bearer <REST_CHANNEL_TOKEN>``. Without a token the channel
  serves only callers on this machine, and only while the Rasa server is bound to a loopback
  address (``RASA_BIND_HOST``, see bot/config.py): the README's ``curl`` keeps working on a
  developer machine, and a server reachable from elsewhere is never open by accident.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import jsonsafe
from bot.channels import hooks
from bot.channels.limits import (
    MAX_SENDER_ID_CHARS,
    TextProblem,
    max_body_bytes,
    max_message_chars,
    text_problem,
    too_long_reply,
)
from bot.channels.optout import consent_reply
from bot.channels.responses import body_too_large, error
from bot.channels.typed_intents import offer_for_typed_text, resolve_typed_text, tracker_store_of

logger = logging.getLogger(__name__)

CHANNEL = "rest"
_WHATSAPP_LIKE = re.compile(r"^(?:whatsapp:)?\+?\d{8,15}$", re.IGNORECASE)
# Documented in docs/channels.md. ASCII only: no look-alike letters, spaces or invisible
# characters. \Z, not $: "$" would accept a trailing newline.
SENDER_ID_PATTERN = re.compile(rf"[A-Za-z0-9._:@+-]{{1,{MAX_SENDER_ID_CHARS}}}\Z")
SENDER_ID_RULE = (
    f"'sender' must be 1-{MAX_SENDER_ID_CHARS} characters of letters, digits and . _ : @ + -"
)


class BadRequest(ValueError):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def parse_rest_body(body: bytes) -> dict[str, str]:
    """Validate a REST channel body; return ``{"sender": ..., "message": ...}``."""
    try:
        data = jsonsafe.loads(body, max_bytes=max_body_bytes())
    except jsonsafe.JSONTooDeep as exc:
        raise BadRequest(400, exc.code, str(exc)) from None
    except jsonsafe.JSONTooLarge as exc:
        raise BadRequest(413, "body_too_large", str(exc)) from None
    except jsonsafe.JSONBodyError:
        raise BadRequest(400, "malformed_json", "The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "malformed_json", "The body must be a JSON object.")
    sender, message = data.get("sender"), data.get("message")
    if sender is None or message is None:
        raise BadRequest(400, "missing_field", "Both 'sender' and 'message' are required.")
    if not isinstance(sender, str) or not isinstance(message, str):
        raise BadRequest(400, "wrong_type", "'sender' and 'message' must be strings.")
    if not SENDER_ID_PATTERN.match(sender):
        raise BadRequest(400, "invalid_sender", SENDER_ID_RULE + ".")
    if _WHATSAPP_LIKE.match(sender):
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
    return {"sender": sender, "message": message}


def _is_loopback_peer(request: Request) -> bool:
    """The TCP peer is this machine (the socket's address, never a forwarded header)."""
    try:
        return ipaddress.ip_address(request.ip).is_loopback
    except ValueError:
        return False


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        from bot.config import get_channel_settings, rasa_bind_host

        token = get_channel_settings().rest_channel_token or (credentials or {}).get("token")
        return cls(token=token or None, bind_host=rasa_bind_host())

    def __init__(self, token: str | None = None, bind_host: str | None = None) -> None:
        from bot.config import is_loopback_host, rasa_bind_host

        self.token = token
        self.bind_host = bind_host if bind_host is not None else rasa_bind_host()
        # Without a token the channel is usable only when nobody else can reach the server.
        self.local_only = not token and is_loopback_host(self.bind_host)
        if not token and not self.local_only:
            logger.error(
                "REST channel: the Rasa server listens on %s but REST_CHANNEL_TOKEN is not "
                "set; the REST webhook refuses every request",
                self.bind_host,
            )

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return self.local_only and _is_loopback_peer(request)
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
                return error(
                    401,
                    "unauthorised",
                    "A valid bearer token is required (Authorization: Bearer <REST_CHANNEL_TOKEN>).",
                )
            too_large = body_too_large(request)
            if too_large:
                return too_large
            try:
                fields = parse_rest_body(request.body or b"")
            except BadRequest as exc:
                body = {"error": exc.code, "message": str(exc), **exc.extra}
                return response.json(body, status=exc.status)
            sender, text = fields["sender"], fields["message"]
            collector = CollectingOutputChannel()
            tracker_store = tracker_store_of(request.app)
            consent = await consent_reply(sender, CHANNEL, text, tracker_store)
            if consent is not None:  # STOP/START: answered here, during a handoff too
                await collector.send_text_message(sender, consent)
                await hooks.on_customer_message(sender, CHANNEL, text)
                return response.json(collector.messages)
            offer = await offer_for_typed_text(tracker_store, sender, text)
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
