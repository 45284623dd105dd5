"""Make Sanic 21.12's websocket ``recv`` work on Python 3.11.

Sanic 21.12 (pinned by Rasa 3.6) passes a bare coroutine to ``asyncio.wait`` in
``WebsocketImplProtocol.recv``/``recv_burst``; Python 3.11 refuses that with TypeError, so
every server-side websocket read fails: the desk's websocket and python-engineio's
websocket transport (socket.io) alike. Python 3.10 wrapped the coroutine in a task itself;
this shim restores exactly that, for that module only. Sanic 22+ no longer needs it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from typing import Any

_applied = False


class _AsyncioWrappingWait:
    """The asyncio module, except that ``wait`` accepts coroutines as Python 3.10 did."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def wait(fs: Iterable[Any], **kwargs: Any) -> Any:
        given = list(fs)
        tasks = [asyncio.ensure_future(f) for f in given]
        try:
            return await asyncio.wait(tasks, **kwargs)
        except asyncio.CancelledError:
            # recv() cancelled (connection closing): do not leave our reader task pending.
            for task, original in zip(tasks, given, strict=False):
                if task is not original:
                    task.cancel()
            raise


def apply() -> None:
    global _applied
    if _applied or sys.version_info < (3, 11):
        return
    import sanic
    from sanic.server.websockets import impl

    if int(sanic.__version__.split(".")[0]) >= 22:
        return
    impl.asyncio = _AsyncioWrappingWait()  # type: ignore[assignment]
    _applied = True
