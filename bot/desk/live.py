"""Live updates for open desk pages: the bus topic ``desk`` fanned out to local websockets.

Each Rasa replica keeps the set of desk websockets connected to it (a connection lives in
one process by nature) and subscribes to the shared bus, so an event produced on any
replica reaches every open desk.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import jsonsafe
from bot.desk.web import MAX_JSON_BYTES, MAX_JSON_DEPTH, dumps

logger = logging.getLogger(__name__)


class LiveDesks:
    def __init__(self) -> None:
        self._sockets: set[Any] = set()

    def add(self, ws: Any) -> None:
        self._sockets.add(ws)

    def discard(self, ws: Any) -> None:
        self._sockets.discard(ws)

    def __len__(self) -> int:
        return len(self._sockets)

    async def broadcast(self, payload: dict[str, Any]) -> None:
        data = dumps(payload)
        for ws in list(self._sockets):
            try:
                await ws.send(data)
            except Exception:  # noqa: BLE001 - a closed socket is simply dropped
                self._sockets.discard(ws)


def parse_client_message(raw: Any) -> dict[str, Any]:
    """A desk websocket frame as a dict; anything else (also too deep/large) is an empty dict."""
    if not isinstance(raw, (str, bytes)):
        return {}
    try:
        value = jsonsafe.loads(raw, max_bytes=MAX_JSON_BYTES, max_depth=MAX_JSON_DEPTH)
    except jsonsafe.JSONBodyError:
        return {}
    return value if isinstance(value, dict) else {}
