"""WhatsApp Business Cloud API channel (Meta), as a Rasa custom connector.

credentials.yml::

    bot.channels.whatsapp.WhatsAppInput: {}

Configuration comes from the environment (values in credentials.yml are a fallback, but
never commit secrets): WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN,
WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_GRAPH_BASE_URL. Webhook URL to register with Meta:
``https://<host>/webhooks/whatsapp/webhook``. See docs/channels.md.

The conversation id (Rasa sender id) is the customer's ``wa_id``; it is also put in the
message metadata as ``wa_id`` so actions can link the CRM customer.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import jsonsafe
from bot.channels import hooks
from bot.channels.attachments import conversation_state, receive_attachment
from bot.channels.dedupe import claim_message
from bot.channels.limits import (
    TextProblem,
    invalid_text_reply,
    max_body_bytes,
    text_problem,
    too_long_reply,
    unsupported_reply,
)
from bot.channels.masking import mask_id
from bot.channels.optout import consent_reply
from bot.channels.responses import body_too_large, error
from bot.channels.signatures import SignatureCheck, check_meta_signature
from bot.channels.typed_intents import (
    current_offer,
    resolve_interactive_reply,
    resolve_typed_text,
    tracker_store_of,
)
from bot.channels.whatsapp_graph import GraphClient, GraphConfig, WhatsAppSendError
from bot.channels.whatsapp_inbound import InboundMessage, WebhookFormatError, parse_webhook
from bot.channels.whatsapp_messages import button_messages, image_message, text_messages
from bot.media import max_bytes as media_max_bytes
from bot.media import rejection
from bot.notify.status import apply_statuses

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"


def graph_config_from_env(fallback: dict[str, Any] | None = None) -> GraphConfig:
    """Graph API settings from the environment; ``fallback`` (credentials.yml) fills gaps."""
    from bot.config import DEFAULT_GRAPH_BASE_URL, get_channel_settings

    settings = get_channel_settings()
    fallback = fallback or {}
    base_url = (
        settings.whatsapp_graph_base_url
        or str(fallback.get("graph_base_url") or "")
        or DEFAULT_GRAPH_BASE_URL
    )
    return GraphConfig(
        base_url=base_url.rstrip("/"),
        phone_number_id=settings.whatsapp_phone_number_id
        or str(fallback.get("phone_number_id") or ""),
        access_token=settings.whatsapp_access_token or str(fallback.get("access_token") or ""),
    )


class WhatsAppOutput(OutputChannel):
    """Sends Rasa bot messages through the Graph API. Send failures are logged, not raised,
    so one undeliverable message does not abort the rest of the bot's turn."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    async def _send_all(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            try:
                await self.client.send_async(message)
            except WhatsAppSendError as exc:
                logger.error("WhatsApp message to %s not sent: %s", mask_id(message.get("to")), exc)
                return  # later parts would arrive out of context

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_all(text_messages(recipient_id, text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_all(button_messages(recipient_id, text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send_all([image_message(recipient_id, image)])

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # A custom response is a Graph message object (e.g. a template message).
        message = {"messaging_product": "whatsapp", "to": recipient_id, **json_message}
        await self._send_all([message])


async def send_text(wa_id: str, text: str, client: GraphClient | None = None) -> list[str]:
    """Send ``text`` to ``wa_id`` now (agent desk replies); stateless, any process can call it.

    Returns the ``wamid`` of every part sent. Raises :class:`WhatsAppSendError` when the
    Graph API refuses (e.g. code 131047: the customer's last message is older than 24 hours,
    so only a template message may be sent) so the desk can tell the agent.
    """
    client = client or GraphClient(graph_config_from_env())
    return [await client.send_async(m) for m in text_messages(wa_id, text)]


async def send_response(
    wa_id: str, message: dict[str, Any], client: GraphClient | None = None
) -> list[str]:
    """Like :func:`send_text` for a Rasa response dict (``text`` and optional ``buttons``)."""
    client = client or GraphClient(graph_config_from_env())
    text = str(message.get("text") or "")
    payloads = (
        button_messages(wa_id, text, message["buttons"])
        if message.get("buttons")
        else text_messages(wa_id, text)
    )
    return [await client.send_async(m) for m in payloads]


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        from bot.config import get_channel_settings

        credentials = credentials or {}
        settings = get_channel_settings()
        # Environment first; credentials.yml only as a fallback for local experiments.
        return cls(
            verify_token=settings.whatsapp_verify_token
            or str(credentials.get("verify_token") or ""),
            app_secret=settings.whatsapp_app_secret or str(credentials.get("app_secret") or ""),
            graph=graph_config_from_env(credentials),
        )

    def __init__(self, verify_token: str, app_secret: str, graph: GraphConfig) -> None:
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.graph = graph
        if not (verify_token and app_secret):
            logger.warning(
                "WhatsApp channel is not configured (WHATSAPP_VERIFY_TOKEN / WHATSAPP_APP_SECRET "
                "unset): its webhook refuses every request."
            )

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppOutput(GraphClient(self.graph))

    async def deliver(self, recipient_id: str, message: dict[str, Any]) -> list[str]:
        """Agent-desk delivery (``bot.desk.delivery`` calls this): unlike the output channel,
        a refusal is raised (:class:`WhatsAppSendError`, e.g. code 131047 outside the
        24-hour window) so the desk can tell the agent the customer did not get it."""
        return await send_response(recipient_id, message, client=GraphClient(self.graph))

    # ---- webhook ------------------------------------------------------------------------
    def _verify_challenge(self, request: Request) -> HTTPResponse:
        mode = request.args.get("hub.mode")
        token = request.args.get("hub.verify_token") or ""
        challenge = request.args.get("hub.challenge") or ""
        if (
            self.verify_token
            and mode == "subscribe"
            and hmac.compare_digest(token.encode(), self.verify_token.encode())
            and challenge
            and len(challenge) <= 256
        ):
            # text/plain: the echoed value is never interpreted as HTML.
            return response.text(challenge)
        return error(403, "verification_failed", "Verify token mismatch.")

    async def _handle(
        self,
        message: InboundMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any,
    ) -> None:
        if self.graph.phone_number_id and message.phone_number_id not in (
            "",
            self.graph.phone_number_id,
        ):
            logger.warning("WhatsApp message for another phone number id ignored")
            return
        if not await claim_message(CHANNEL, message.message_id, message.wa_id):
            logger.info(
                "WhatsApp duplicate delivery of a message from %s ignored", mask_id(message.wa_id)
            )
            return
        if message.is_ignored:  # a reaction: nothing to answer, nothing for the agent
            return
        output = self.get_output_channel()
        if message.is_media and message.media_id:
            await self._receive_media(message, output, on_new_message, tracker_store)
            return
        offer = await current_offer(tracker_store, message.wa_id)
        if not message.is_supported:
            # During a handoff the bot stays silent; the agent sees a placeholder instead.
            await hooks.on_customer_message(message.wa_id, CHANNEL, f"[{message.type}]")
            if not offer.is_paused:
                await output.send_text_message(message.wa_id, unsupported_reply())
            return
        raw_text = message.text or ""
        problem = text_problem(raw_text)
        if problem == TextProblem.EMPTY:
            return
        if problem:
            # Told even during a handoff: otherwise the customer believes the agent has it.
            reply = (
                too_long_reply(raw_text)
                if problem == TextProblem.TOO_LONG
                else invalid_text_reply()
            )
            await output.send_text_message(message.wa_id, reply)
            return
        # A tapped button is matched by its payload (the reminder question's yes/no), never
        # by its title: a button titled "Start" must not opt anyone in.
        consent = await consent_reply(
            message.wa_id, CHANNEL, message.reply_id or raw_text, tracker_store
        )
        if consent is not None:  # STOP/START: answered here, during a handoff too
            await output.send_text_message(message.wa_id, consent)
            await hooks.on_customer_message(message.wa_id, CHANNEL, raw_text)
            return
        if message.reply_id is not None:
            text = resolve_interactive_reply(message.reply_id, raw_text, offer)
        else:
            text = resolve_typed_text(raw_text, offer)
        metadata = {"channel": CHANNEL, "wa_id": message.wa_id, "message_id": message.message_id}
        if message.profile_name:
            metadata["profile_name"] = message.profile_name
        try:
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    message.wa_id,
                    input_channel=CHANNEL,
                    message_id=message.message_id,
                    metadata=metadata,
                )
            )
        except Exception:
            logger.exception("Rasa failed on a WhatsApp message from %s", mask_id(message.wa_id))
        await hooks.on_customer_message(message.wa_id, CHANNEL, raw_text)

    async def _receive_media(
        self,
        message: InboundMessage,
        output: OutputChannel,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any,
    ) -> None:
        """An image/document: download it from the Graph media endpoint, then store it."""
        assert message.media_id is not None
        try:
            data = await asyncio.to_thread(
                GraphClient(self.graph).download_media, message.media_id, media_max_bytes()
            )
        except WhatsAppSendError:
            logger.warning("WhatsApp media from %s could not be downloaded", mask_id(message.wa_id))
            _, language = await conversation_state(tracker_store, message.wa_id)
            await output.send_text_message(message.wa_id, rejection("download", language))
            return
        await receive_attachment(
            data,
            sender_id=message.wa_id,
            channel=CHANNEL,
            output=output,
            tracker_store=tracker_store,
            on_new_message=on_new_message,
            metadata={"wa_id": message.wa_id, "message_id": message.message_id},
        )

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        too_large = body_too_large(request)
        if too_large:
            return too_large
        if not self.app_secret:
            logger.error("WhatsApp webhook called but WHATSAPP_APP_SECRET is not set; refused")
            return error(403, "not_configured", "This webhook is not configured.")
        check = check_meta_signature(
            request.body or b"", request.headers.get("X-Hub-Signature-256"), self.app_secret
        )
        if check is SignatureCheck.MISSING:
            return error(401, "signature_missing", "X-Hub-Signature-256 header is required.")
        if check is not SignatureCheck.VALID:
            logger.warning("WhatsApp webhook with an invalid signature refused")
            return error(403, "signature_invalid", "Signature does not match the body.")
        try:
            # After the signature check: only Meta's bodies get parsed. jsonsafe refuses a
            # too deep body with a 400 (json.loads would raise RecursionError -> 500).
            data = jsonsafe.loads(request.body or b"", max_bytes=max_body_bytes())
            messages, statuses = parse_webhook(data)
        except jsonsafe.JSONBodyError as exc:
            return error(400, "bad_payload", str(exc))
        except WebhookFormatError as exc:
            return error(400, "bad_payload", str(exc))
        for status in statuses:
            if status.status == "failed":
                logger.warning(
                    "WhatsApp message to %s failed: error codes %s",
                    mask_id(status.recipient_id),
                    list(status.error_codes),
                )
        await apply_statuses((s.message_id, s.status, s.error_codes) for s in statuses)
        tracker_store = tracker_store_of(request.app)
        try:
            for message in messages:
                await self._handle(message, on_new_message, tracker_store)
        except Exception:
            logger.exception("WhatsApp webhook could not be processed; Meta will retry")
            return error(503, "temporarily_unavailable", "Please retry later.")
        return response.json({"status": "ok"})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return self._verify_challenge(request)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return webhook
