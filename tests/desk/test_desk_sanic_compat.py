"""Sanic 21.12's websocket recv on Python 3.11 (bot.desk.sanic_compat)."""

from __future__ import annotations

import asyncio

from bot.desk.sanic_compat import _AsyncioWrappingWait


async def test_wait_accepts_a_coroutine_like_python_3_10_did() -> None:
    shim = _AsyncioWrappingWait()
    cancel = asyncio.get_running_loop().create_future()

    async def message() -> str:
        return "frame"

    done, pending = await shim.wait((cancel, message()), return_when=asyncio.FIRST_COMPLETED)
    assert [task.result() for task in done] == ["frame"]
    assert pending == {cancel}


async def test_a_cancelled_wait_cancels_the_reader_it_created() -> None:
    shim = _AsyncioWrappingWait()
    started = asyncio.Event()
    reader_cancelled = asyncio.Event()

    async def never() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            reader_cancelled.set()
            raise

    waiter = asyncio.ensure_future(shim.wait((never(),)))
    await started.wait()
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.wait_for(reader_cancelled.wait(), 5)
