"""Which website-widget sessions have an open socket, across replicas (issue 15).

Why: an agent reply or a notification for a widget customer is delivered live only if their
widget is open; otherwise it is written to the outbox and kept for their return. The
socket.io connection lives in ONE Rasa replica's memory, while the desk request (or the
notification worker) may run anywhere, so the answer is shared through Redis:

* each replica adds ``sid`` to the sorted set ``<prefix><session_id>`` with an expiry time
  as score when a socket joins a session, removes it on disconnect, and re-adds all of its
  sockets every ``REFRESH_SECONDS``; a replica that dies stops refreshing and its entries
  expire after ``TTL_SECONDS``;
* "connected" = a member whose expiry is in the future.

Without ``REDIS_URL`` (one process) the webchat channel answers from its own rooms instead,
and the worker, a separate process, cannot know (it does not push to widgets then either).
A wrong "connected" costs nothing lasting: the widget asks for what it missed whenever it
connects, so an item pushed to a socket that just closed is shown on the next visit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

PREFIX = "layanan:widget:online:"
TTL_SECONDS = 90
REFRESH_SECONDS = 30


def _key(session_id: str) -> str:
    return PREFIX + session_id


class RedisPresence:
    """Async side, used by the webchat channel inside the Rasa server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio as aioredis

            self._client = aioredis.from_url(self.url)
        return self._client

    async def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        """``(session_id, sid)`` pairs that are connected now."""
        expires = time.time() + TTL_SECONDS
        pipe = self._redis().pipeline(transaction=False)
        count = 0
        for session_id, sid in pairs:
            pipe.zadd(_key(session_id), {sid: expires})
            pipe.expire(_key(session_id), TTL_SECONDS)
            count += 1
        if count:
            await pipe.execute()

    async def remove(self, session_id: str, sid: str) -> None:
        await self._redis().zrem(_key(session_id), sid)

    async def is_connected(self, session_id: str) -> bool:
        return bool(await self._redis().zcount(_key(session_id), time.time(), "+inf"))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def is_connected_sync(url: str, session_id: str) -> bool:
    """Blocking check for the notification worker (a separate process)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return bool(client.zcount(_key(session_id), time.time(), "+inf"))
    finally:
        client.close()
