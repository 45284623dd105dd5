"""The agent desk as a Rasa input channel, so it runs inside the Rasa server process.

credentials.yml::

    bot.desk.channel.DeskChannel: {}

Why a channel: inside the Rasa server the desk reaches the running Agent
(``request.app.ctx.agent``: tracker store, lock store) and the other channels
(``request.app.ctx.input_channels``) for delivery, with no extra process or HTTP hop.
Rasa mounts channel blueprints at ``urljoin('/webhooks/', url_prefix())``; an absolute
prefix replaces the path, so the desk is served at ``/desk/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint

from bot.desk.views import create_blueprint


class DeskChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "desk"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> DeskChannel:
        return cls()

    def url_prefix(self) -> str:
        return "/desk"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Agents never talk to the bot, so on_new_message is unused.
        return create_blueprint()

    def get_output_channel(self) -> OutputChannel | None:
        return None
