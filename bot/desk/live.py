"""Live updates for open desk pages: the bus topic ``desk`` fanned out to local websockets.

Each Rasa replica keeps the set of desk websockets connected to it (a connection lives in
one process by nature) and subscribes to the shared bus, so an event produced on any
replica reaches every open desk.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.desk.web import dumps

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
    """A desk websocket frame as a dict; anything else is an empty dict."""
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
