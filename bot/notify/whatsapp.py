"""WhatsApp notifications through the Cloud API (Graph ``/{phone_number_id}/messages``).

Inside the 24-hour customer-service window (the customer wrote to us less than 24 hours
ago, minus a safety margin) a normal text message is sent; outside it only an approved
template may be sent, so the template configured for the notification's kind in the
business profile (``whatsapp_templates``) is used. If the window closed unnoticed (our
clock of the customer's last message is the webhook's arrival time) Meta answers error
131047 to the free-form message: it is then sent again, at once, as the template.

Why not bot/channels/whatsapp_graph.GraphClient: importing ``bot.channels`` loads Rasa
(its package init installs Rasa's log masking), which the worker must not carry; and that
client retries internally, while the worker owns the retries (backoff across attempts and
processes). The request itself is the same one POST, so it stays this small.

The Cloud API has no idempotency key: the worker's docstring says how a send whose outcome
was not recorded is handled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import requests

from bot.crm.sqltypes import utcnow
from bot.notify.senders import (
    Composer,
    OutgoingNotification,
    PermanentSendError,
    RetryableSendError,
    SendResult,
    buttons_for,
)

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
# Our "last message" time is when the webhook arrived, a little after the customer wrote.
WINDOW_MARGIN = timedelta(minutes=10)
REENGAGEMENT_ERROR = 131047
TEXT_LIMIT = 4096
# Interactive reply buttons (Cloud API limits).
MAX_BUTTONS = 3
INTERACTIVE_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256


class GraphError(Exception):
    def __init__(self, message: str, status: int | None, code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def mask(value: str) -> str:
    return "…" + value[-4:] if len(value) > 4 else "…"


class WhatsAppSender:
    channel = CHANNEL

    def __init__(
        self,
        *,
        base_url: str,
        phone_number_id: str,
        access_token: str,
        database_url: str | None = None,
        composer: Composer | None = None,
        timeout: tuple[float, float] = (5.0, 15.0),
        session: requests.Session | None = None,
    ) -> None:
        self.messages_url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self.configured = bool(base_url and phone_number_id and access_token)
        self._token = access_token
        self.database_url = database_url
        self.composer = composer or Composer()
        self.timeout = timeout
        self._session = session or requests.Session()

    @classmethod
    def from_env(cls, database_url: str | None = None) -> WhatsAppSender:
        from bot.config import DEFAULT_GRAPH_BASE_URL, get_channel_settings

        s = get_channel_settings()
        return cls(
            base_url=s.whatsapp_graph_base_url or DEFAULT_GRAPH_BASE_URL,
            phone_number_id=s.whatsapp_phone_number_id,
            access_token=s.whatsapp_access_token,
            database_url=database_url,
        )

    @property
    def disabled_reason(self) -> str | None:
        if not self.configured:
            return "WHATSAPP_ACCESS_TOKEN / WHATSAPP_PHONE_NUMBER_ID are not set"
        return None

    # ---- the 24-hour window ---------------------------------------------------------------
    def last_inbound_at(self, wa_id: str) -> datetime | None:
        from bot.crm.dedupe import last_inbound_at

        return last_inbound_at(CHANNEL, wa_id, url=self.database_url)

    def in_window(self, wa_id: str, now: datetime | None = None) -> bool:
        last = self.last_inbound_at(wa_id)
        return last is not None and (now or utcnow()) - last < WINDOW - WINDOW_MARGIN

    # ---- messages ---------------------------------------------------------------------------
    def text_message(self, n: OutgoingNotification) -> dict[str, Any]:
        buttons = buttons_for(n)[:MAX_BUTTONS]
        if buttons:
            body = self.composer.render(n).text[:INTERACTIVE_BODY_LIMIT]
            return {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": n.recipient,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": body},
                    "action": {
                        "buttons": [
                            {
                                "type": "reply",
                                "reply": {
                                    "id": b["payload"][:BUTTON_ID_LIMIT],
                                    "title": b["title"][:BUTTON_TITLE_LIMIT],
                                },
                            }
                            for b in buttons
                        ]
                    },
                },
            }
        body = self.composer.render(n).text[:TEXT_LIMIT]
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": n.recipient,
            "type": "text",
            "text": {"body": body, "preview_url": False},
        }

    def template_message(self, n: OutgoingNotification) -> dict[str, Any]:
        from bot.profile import get_profile

        template = get_profile().whatsapp_template(n.kind)
        if template is None:
            raise PermanentSendError(
                f"no WhatsApp template configured for {n.kind!r} (business profile, "
                "whatsapp_templates) and the customer is outside the 24-hour window"
            )
        values = self.composer.values(n)
        components: list[dict[str, Any]] = []
        if template.body_parameters:
            components.append(
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": values.get(p, "")}
                        for p in template.body_parameters
                    ],
                }
            )
        # Quick-reply buttons of the template (same order as the notification's buttons):
        # their payloads come back as the tapped button's id, like reply buttons.
        for index, button in enumerate(buttons_for(n)[:MAX_BUTTONS]):
            if template.button_parameter:
                break
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": button["payload"]}],
                }
            )
        if template.button_parameter:
            components.append(
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [
                        {"type": "text", "text": values.get(template.button_parameter, "")}
                    ],
                }
            )
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": n.recipient,
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language_code(n.language)},
                "components": components,
            },
        }

    def post(self, message: dict[str, Any]) -> str:
        """One POST; the ``wamid`` on success, :class:`GraphError` otherwise."""
        try:
            response = self._session.post(
                self.messages_url,
                json=message,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GraphError(f"Graph API unreachable: {type(exc).__name__}", None, None) from None
        if response.status_code < 300:
            try:
                return str(response.json()["messages"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError):
                return ""
        code = None
        detail = ""
        try:
            error = response.json().get("error", {})
            code = error.get("code")
            detail = str(error.get("message") or "")[:200]
        except (ValueError, AttributeError):
            pass
        raise GraphError(
            f"Graph API answered {response.status_code} (code {code}): {detail}",
            response.status_code,
            code,
        )

    def send(self, n: OutgoingNotification) -> SendResult:
        try:
            if self.in_window(n.recipient):
                try:
                    return SendResult(self.post(self.text_message(n)))
                except GraphError as exc:
                    if exc.code != REENGAGEMENT_ERROR:
                        raise
                    logger.info(
                        "WhatsApp notification %d to %s: outside the 24-hour window (131047); "
                        "sending the template instead",
                        n.id,
                        mask(n.recipient),
                    )
            return SendResult(self.post(self.template_message(n)))
        except GraphError as exc:
            if exc.status is None or exc.status == 429 or exc.status >= 500:
                raise RetryableSendError(str(exc)) from None
            raise PermanentSendError(str(exc)) from None
