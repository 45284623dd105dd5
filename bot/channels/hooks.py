"""A hook that tells the agent desk about every customer message, as it arrives.

During a handoff the bot is silent, but the agent must see the customer's messages live.
The desk registers a callback at start-up (``register_customer_message_hook``); channels call
``on_customer_message`` after passing a message to Rasa. With nothing registered the call is
a no-op, and a failing hook is logged, never raised: the customer's message must not be
lost because the desk is unwell.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

CustomerMessageHook = Callable[[str, str, str], Awaitable[None] | None]
_hooks: list[CustomerMessageHook] = []


def register_customer_message_hook(hook: CustomerMessageHook) -> None:
    """``hook(sender_id, channel, text)``; sync or async. Registering twice is a no-op."""
    if hook not in _hooks:
        _hooks.append(hook)


def unregister_customer_message_hook(hook: CustomerMessageHook | None = None) -> None:
    """Remove one hook, or all of them (tests)."""
    if hook is None:
        _hooks.clear()
    elif hook in _hooks:
        _hooks.remove(hook)


async def on_customer_message(sender_id: str, channel: str, text: str) -> None:
    for hook in _hooks:
        try:
            result = hook(sender_id, channel, text)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("customer-message hook %r failed", getattr(hook, "__name__", hook))
