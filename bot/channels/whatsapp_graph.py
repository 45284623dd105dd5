"""Blocking client for the Graph API ``/{phone_number_id}/messages`` endpoint.

``requests`` is synchronous: async callers use :meth:`GraphClient.send_async`, which runs the
call in a worker thread so the Rasa event loop keeps serving other conversations.

Retries: 429 and 5xx answers, connection errors and timeouts are retried with exponential
backoff and jitter (honouring ``Retry-After``); other 4xx answers are final. Delivery is
therefore at-least-once: after a read timeout Meta may already have sent the message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from bot.channels.masking import mask_id

logger = logging.getLogger(__name__)


class WhatsAppSendError(Exception):
    """The Graph API did not accept a message (after retries, where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code  # Graph error code, e.g. 131047 = outside the 24-hour window


class WhatsAppNotConfigured(WhatsAppSendError):
    pass


@dataclass(frozen=True)
class GraphConfig:
    base_url: str
    phone_number_id: str
    access_token: str
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.phone_number_id and self.access_token)

    @property
    def messages_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.phone_number_id}/messages"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _graph_error(response: requests.Response) -> WhatsAppSendError:
    code = None
    detail = response.text[:300]
    try:
        error = response.json().get("error", {})
        code = error.get("code")
        detail = error.get("message") or detail
    except ValueError:
        pass
    return WhatsAppSendError(
        f"Graph API answered {response.status_code}: {detail}", response.status_code, code
    )


class GraphClient:
    def __init__(
        self,
        config: GraphConfig,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._session = session or requests.Session()
        self._sleep = sleep

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.config.backoff_max, self.config.backoff_base * (2**attempt))
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        # Jitter spreads retries from several replicas after a shared outage.
        return min(self.config.backoff_max, backoff) * random.uniform(0.8, 1.2)

    def send(self, message: dict[str, Any]) -> str:
        """POST one message object; return its ``wamid``. Raises :class:`WhatsAppSendError`."""
        if not self.config.configured:
            raise WhatsAppNotConfigured(
                "WhatsApp is not configured: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID"
            )
        headers = {"Authorization": f"Bearer {self.config.access_token}"}
        timeout = (self.config.connect_timeout, self.config.read_timeout)
        last_error: WhatsAppSendError | None = None
        for attempt in range(self.config.max_attempts):
            retry_after: float | None = None
            try:
                response = self._session.post(
                    self.config.messages_url, json=message, headers=headers, timeout=timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = WhatsAppSendError(f"Graph API unreachable: {type(exc).__name__}")
            else:
                if response.status_code < 300:
                    try:
                        return str(response.json()["messages"][0]["id"])
                    except (ValueError, KeyError, IndexError, TypeError):
                        return ""  # accepted, but no id in the answer
                last_error = _graph_error(response)
                if response.status_code != 429 and response.status_code < 500:
                    raise last_error  # a 4xx will not get better by retrying
                retry_after = _retry_after(response)
            if attempt + 1 < self.config.max_attempts:
                delay = self._delay(attempt, retry_after)
                logger.warning(
                    "WhatsApp send to %s failed (%s); retry %d in %.1f s",
                    mask_id(message.get("to")),
                    last_error,
                    attempt + 1,
                    delay,
                )
                self._sleep(delay)
        assert last_error is not None
        raise last_error

    def download_media(self, media_id: str, limit: int) -> bytes:
        """A customer's image/document: GET /{media-id} for its URL, then the bytes.

        Both requests carry the access token (Meta's media URLs require it). More than
        ``limit`` bytes raises (the body is read in chunks, never fully buffered).
        """
        if not self.config.configured:
            raise WhatsAppNotConfigured("WhatsApp is not configured")
        headers = {"Authorization": f"Bearer {self.config.access_token}"}
        timeout = (self.config.connect_timeout, self.config.read_timeout)
        url = f"{self.config.base_url.rstrip('/')}/{media_id}"
        try:
            meta = self._session.get(url, headers=headers, timeout=timeout)
            if meta.status_code >= 300:
                raise _graph_error(meta)
            media_url = meta.json().get("url")
            if not isinstance(media_url, str) or not media_url.startswith(("https://", "http://")):
                raise WhatsAppSendError("Graph API media answer without a URL")
            with self._session.get(
                media_url, headers=headers, timeout=timeout, stream=True
            ) as download:
                if download.status_code >= 300:
                    raise _graph_error(download)
                data = bytearray()
                for chunk in download.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise WhatsAppSendError("media larger than the limit")
                return bytes(data)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise WhatsAppSendError(f"Graph API unreachable: {type(exc).__name__}") from exc

    async def send_async(self, message: dict[str, Any]) -> str:
        return await asyncio.to_thread(self.send, message)
