"""Channel senders behind one small interface, used by the worker (bot/notify/worker.py).

``Sender.send(notification) -> SendResult`` either returns what the provider accepted or
raises :class:`RetryableSendError` (try again later: timeouts, 4xx-temporary SMTP replies,
429/5xx) or :class:`PermanentSendError` (retrying cannot help: unknown kind, refused address).
A sender that is not configured says so in ``disabled_reason``: the worker logs that once at
start and leaves that channel's notifications pending, so they go out once it is configured
(a kind with ``ttl_minutes``, e.g. one-time codes, is dropped as 'dead' when it is too old).

Channels:

* e-mail: SMTP via the standard library (STARTTLS, login from the environment), multipart
  text + HTML in the customer's language, the reference in the subject, and a Message-ID
  derived from the notification, so a resend after a crash carries the same Message-ID and
  mail systems that de-duplicate by it show one message (see the worker's docstring);
* WhatsApp: bot/notify/whatsapp.py;
* widget: published on the bus (``deliver`` topic, as agent replies are) for live delivery to
  an open socket (status ``sent``); a customer whose widget is closed (``bot.widget_presence``)
  gets nothing pushed and the row is ``held``: the widget fetches it when they come back and
  acknowledges it (``delivered``; bot/notify/agent_reply.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from bot.config import WorkerSettings
from bot.notify.texts import Rendered, TextRegistry, UnknownKind, get_texts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingNotification:
    """A claimed notification, detached from the database (the send runs outside any
    transaction)."""

    id: int
    kind: str
    channel: str
    recipient: str
    language: str
    idempotency_key: str
    attempt: int
    reference: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    # sent, or held: kept for a widget customer who is not connected (shown on return)
    status: str = "sent"


def buttons_for(n: OutgoingNotification) -> list[dict[str, str]]:
    """The notification's buttons in its language: payload ``buttons`` is a list of
    ``{"title": {"id": .., "en": ..} or "..", "payload": "/intent{...}"}`` (WhatsApp reply
    buttons, widget quick replies; e-mail has none: its text says what to reply)."""
    found: list[dict[str, str]] = []
    for button in n.payload.get("buttons") or []:
        if not isinstance(button, Mapping) or not button.get("payload"):
            continue
        title = button.get("title")
        if isinstance(title, Mapping):
            title = title.get(n.language) or title.get("id") or ""
        found.append({"title": str(title or ""), "payload": str(button["payload"])})
    return found


class SendError(Exception):
    pass


class RetryableSendError(SendError):
    """Not sent this time; the worker retries with backoff until the attempts run out."""


class PermanentSendError(SendError):
    """Retrying cannot help (bad address, unknown kind, no template): dead at once."""


class Sender(Protocol):
    channel: str

    @property
    def disabled_reason(self) -> str | None: ...

    def send(self, notification: OutgoingNotification) -> SendResult: ...


class Composer:
    """Renders a notification's text from data/notification_texts.yml and the profile."""

    def __init__(self, texts: TextRegistry | None = None) -> None:
        self._texts = texts

    @property
    def texts(self) -> TextRegistry:
        return self._texts or get_texts()

    def profile_values(self, language: str) -> dict[str, str]:
        from bot.profile import get_profile

        profile = get_profile()
        return {"company": profile.short_name, "address_form": profile.address_form}

    def values(self, n: OutgoingNotification) -> dict[str, str]:
        try:
            return self.texts.values(
                n.kind, n.language, n.payload, n.reference, self.profile_values(n.language)
            )
        except UnknownKind as exc:
            raise PermanentSendError(str(exc)) from None

    def render(self, n: OutgoingNotification) -> Rendered:
        try:
            return self.texts.render(
                n.kind, n.language, n.payload, n.reference, self.profile_values(n.language)
            )
        except UnknownKind as exc:
            raise PermanentSendError(str(exc)) from None


# ---- e-mail ---------------------------------------------------------------------------------


def message_id_for(n: OutgoingNotification, domain: str) -> str:
    """The same Message-ID on every attempt of one notification (the provider-side dedupe)."""
    digest = hashlib.sha256(n.idempotency_key.encode()).hexdigest()[:16]
    return f"<notification-{n.id}-{digest}@{domain}>"


class EmailSender:
    channel = "email"

    def __init__(self, settings: WorkerSettings, composer: Composer | None = None) -> None:
        self.settings = settings
        self.composer = composer or Composer()

    @property
    def disabled_reason(self) -> str | None:
        if not self.settings.smtp_host:
            return "SMTP_HOST is not set"
        return None

    def _sender_address(self) -> str:
        if self.settings.smtp_from:
            return self.settings.smtp_from
        from bot.profile import get_profile

        return str(get_profile().contact.get("email") or "noreply@localhost")

    def build(self, n: OutgoingNotification) -> EmailMessage:
        rendered = self.composer.render(n)
        sender = self._sender_address()
        message = EmailMessage()
        message["From"] = sender
        message["To"] = n.recipient
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id_for(n, sender.rpartition("@")[2] or "localhost")
        message["Content-Language"] = n.language
        message.set_content(rendered.text + "\n")
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, n: OutgoingNotification) -> SendResult:
        message = self.build(n)
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentSendError(
                    f"recipient refused by the SMTP server ({codes})"
                ) from None
            raise RetryableSendError(f"recipient deferred by the SMTP server ({codes})") from None
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are a configuration fault: keep retrying until it is fixed.
            raise RetryableSendError(f"SMTP login refused ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            kind = PermanentSendError if exc.smtp_code >= 500 else RetryableSendError
            raise kind(f"SMTP server answered {exc.smtp_code}") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise RetryableSendError(f"SMTP server unreachable: {type(exc).__name__}") from None
        return SendResult(provider_message_id=str(message["Message-ID"]))


# ---- website widget -----------------------------------------------------------------------------


class WidgetSender:
    """Live delivery through the bus. Only a shared bus (Redis) reaches the Rasa replicas
    that hold the sockets: without ``REDIS_URL`` the worker, a separate process, cannot."""

    channel = "widget"
    SOCKET_CHANNEL = "socketio"

    def __init__(
        self,
        composer: Composer | None = None,
        bus: Any = None,
        presence: Callable[[str], bool] | None = None,
    ) -> None:
        self.composer = composer or Composer()
        self._bus = bus
        self._presence = presence
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _get_bus(self) -> Any:
        if self._bus is None:
            from bot.bus import get_bus

            self._bus = get_bus()
        return self._bus

    @property
    def disabled_reason(self) -> str | None:
        if self._bus is not None:
            return None
        from bot.config import get_settings

        if not get_settings().redis_url:
            return "REDIS_URL is not set (the worker reaches open widgets through Redis)"
        return None

    def _online(self, session_id: str) -> bool | None:
        """Whether the widget is open; None when it cannot be known (no shared presence)."""
        if self._presence is not None:
            return self._presence(session_id)
        from bot.config import get_settings

        url = get_settings().redis_url
        if not url:
            return None
        from bot.widget_presence import is_connected_sync

        try:
            return is_connected_sync(url, session_id)
        except Exception as exc:  # noqa: BLE001 - Redis down: retry later
            raise RetryableSendError(f"widget presence unavailable: {type(exc).__name__}") from None

    def send(self, n: OutgoingNotification) -> SendResult:
        from bot.bus import TOPIC_DELIVER

        if self._online(n.recipient) is False:
            return SendResult(provider_message_id=None, status="held")
        metadata: dict[str, Any] = {"sender": "bot", "notification_id": n.id, "kind": n.kind}
        if n.kind == "agent_reply" and n.payload.get("handoff_message_id"):
            # The agent's own words, as the live reply would have shown them.
            metadata.update(
                sender="agent",
                agent_name=str(n.payload.get("agent_name") or ""),
                key=f"hm-{n.payload['handoff_message_id']}",
            )
            text = str(n.payload.get("text") or "")
        else:
            metadata["key"] = f"n-{n.id}"
            text = self.composer.render(n).text
        message: dict[str, Any] = {"text": text, "metadata": metadata}
        buttons = buttons_for(n)
        if buttons:
            message["buttons"] = buttons
        payload = {
            "channel": self.SOCKET_CHANNEL,
            "recipient_id": n.recipient,
            "message": message,
        }
        with self._lock:  # one event loop, used by the worker's sending threads in turn
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self._get_bus().publish(TOPIC_DELIVER, payload))
            except Exception as exc:  # noqa: BLE001 - Redis down: retry later
                raise RetryableSendError(f"bus publish failed: {type(exc).__name__}") from None
        return SendResult(provider_message_id=None)
