"""WhatsApp (or SMS) through Twilio: Rasa's ``twilio`` connector plus signature validation.

Rasa 3.6's ``TwilioInput`` accepts any POST: it does not check ``X-Twilio-Signature``, so
anyone who knows the URL can talk as any phone number. It also turns a shared location into
a typed ``/locationData{...}`` intent, and its output channel blocks the event loop. This
subclass keeps Rasa's ``twilio`` name, URL (``/webhooks/twilio/webhook``) and output, and:

* validates the signature with ``twilio.request_validator.RequestValidator`` (401 missing,
  403 invalid; an unconfigured auth token refuses everything);
* drops duplicate deliveries by ``MessageSid``;
* treats typed "/..." as text; a bare number ("2") picks the bot's 2nd offered button,
  because Twilio WhatsApp text messages carry no button ids;
* answers media and locations politely instead of passing them to Rasa.

credentials.yml (config from TWILIO_* environment variables; the yml values are fallbacks)::

    bot.channels.twilio.ValidatedTwilioInput: {}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioException
from twilio.request_validator import RequestValidator

from bot.channels import hooks
from bot.channels.dedupe import claim_message
from bot.channels.limits import (
    TextProblem,
    invalid_text_reply,
    text_problem,
    too_long_reply,
    unsupported_reply,
)
from bot.channels.masking import mask_id
from bot.channels.optout import consent_reply
from bot.channels.responses import body_too_large, error
from bot.channels.typed_intents import current_offer, resolve_numbered_choice, tracker_store_of

logger = logging.getLogger(__name__)

CHANNEL = "twilio"


class ThreadedTwilioOutput(TwilioOutput):
    """Twilio's REST client is synchronous: send from a worker thread, log failures."""

    def __init__(self, *args: Any, api_base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if api_base_url:
            self.api.base_url = api_base_url

    async def _send_message(self, message_data: dict[str, Any]) -> Any:
        try:
            return await asyncio.to_thread(self.messages.create, **message_data)
        except Exception as exc:  # noqa: BLE001 - TwilioException or a network error
            logger.error(
                "Twilio message to %s not sent: %s",
                mask_id(message_data.get("to")),
                type(exc).__name__,
            )
            return None

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        # Plain WhatsApp text has no buttons: number the choices; a numeric reply maps back.
        lines = [text.strip(), ""] + [
            f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, 1)
        ]
        lines.append("\nBalas dengan nomor pilihan Anda.")
        await self._send_message(
            {"to": recipient_id, "from_": self.twilio_number, "body": "\n".join(lines).strip()}
        )


class ValidatedTwilioInput(TwilioInput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        from bot.config import get_channel_settings

        credentials = credentials or {}
        settings = get_channel_settings()
        return cls(
            settings.twilio_account_sid or credentials.get("account_sid"),
            settings.twilio_auth_token or credentials.get("auth_token"),
            settings.twilio_whatsapp_number or credentials.get("twilio_number"),
            webhook_url=settings.twilio_webhook_url or credentials.get("webhook_url"),
            api_base_url=settings.twilio_api_base_url,
        )

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        twilio_number: str | None,
        webhook_url: str | None = None,
        api_base_url: str | None = None,
    ) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        self.webhook_url = webhook_url
        self.api_base_url = api_base_url
        if not auth_token:
            logger.warning(
                "Twilio channel is not configured (TWILIO_AUTH_TOKEN unset): it refuses every request."
            )

    def get_output_channel(self) -> OutputChannel:
        return ThreadedTwilioOutput(
            self.account_sid, self.auth_token, self.twilio_number, api_base_url=self.api_base_url
        )

    def _signed_url(self, request: Request) -> str:
        # Twilio signs the URL it called; behind a proxy request.url is the internal one.
        if self.webhook_url:
            return self.webhook_url
        return request.url

    def _check(self, request: Request, params: RequestParameters) -> HTTPResponse | None:
        if not self.auth_token:
            return error(403, "not_configured", "This webhook is not configured.")
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return error(401, "signature_missing", "X-Twilio-Signature header is required.")
        if not RequestValidator(self.auth_token).validate(
            self._signed_url(request), params, signature
        ):
            logger.warning("Twilio webhook with an invalid signature refused")
            return error(403, "signature_invalid", "Signature does not match the request.")
        return None

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        too_large = body_too_large(request)
        if too_large:
            return too_large
        try:
            # Sanic's request.form drops blank fields (an empty Body on a media message),
            # but Twilio signs them: parse with keep_blank_values.
            form = RequestParameters(
                parse_qs((request.body or b"").decode("utf-8"), keep_blank_values=True)
            )
        except UnicodeDecodeError:
            return error(400, "bad_payload", "The form body is not valid UTF-8.")
        refused = self._check(request, form)
        if refused:
            return refused
        sender, sid = form.get("From"), form.get("MessageSid")
        if not sender or not sid:
            return error(400, "missing_field", "From and MessageSid are required.")
        try:
            if not await claim_message(CHANNEL, sid):
                return response.text("", status=204)
        except Exception:
            logger.exception("Twilio dedupe failed")
            return error(503, "temporarily_unavailable", "Please retry later.")
        try:
            output: OutputChannel = self.get_output_channel()
        except TwilioException as exc:  # e.g. TWILIO_ACCOUNT_SID unset: still record the message
            logger.error("Twilio replies disabled: %s", exc)
            output = CollectingOutputChannel()
        offer = await current_offer(tracker_store_of(request.app), sender)
        text = form.get("Body") or ""
        media = form.get("NumMedia", "0") not in ("", "0") or form.get("Latitude")
        if media and not text.strip():
            await hooks.on_customer_message(sender, CHANNEL, "[media]")
            if not offer.is_paused:
                await output.send_text_message(sender, unsupported_reply())
            return response.text("", status=204)
        problem = text_problem(text)
        if problem == TextProblem.EMPTY:
            return response.text("", status=204)
        if problem:
            reply = (
                too_long_reply(text) if problem == TextProblem.TOO_LONG else invalid_text_reply()
            )
            await output.send_text_message(sender, reply)
            return response.text("", status=204)
        consent = await consent_reply(sender, CHANNEL, text, tracker_store_of(request.app))
        if consent is not None:  # STOP/START: answered here, during a handoff too
            await output.send_text_message(sender, consent)
            await hooks.on_customer_message(sender, CHANNEL, text)
            return response.text("", status=204)
        metadata: dict[str, Any] = {"channel": CHANNEL, "message_id": sid}
        if sender.lower().startswith("whatsapp:"):
            metadata["wa_id"] = sender.split(":", 1)[1].lstrip("+")
        try:
            await on_new_message(
                UserMessage(
                    resolve_numbered_choice(text, offer),
                    output,
                    sender,
                    input_channel=CHANNEL,
                    message_id=sid,
                    metadata=metadata,
                )
            )
        except Exception:
            logger.exception("Rasa failed on a Twilio message from %s", mask_id(sender))
        await hooks.on_customer_message(sender, CHANNEL, text)
        return response.text("", status=204)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("validated_twilio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return webhook
