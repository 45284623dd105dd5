"""Customer attachments for logged-in agents: ``GET /desk/media/<key>``.

The transcript line "[gambar] /desk/media/<key>" (bot.channels.attachments) links here.
Only a logged-in agent may open a file (receipts hold personal and financial data); the
content type is the one sniffed when the file was stored, never a client's claim, and
``nosniff`` + ``attachment`` for PDFs keep the browser from interpreting anything else.
"""

from __future__ import annotations

import asyncio

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.desk import web
from bot.media import get_media_store, is_valid_key


def add_media_route(bp: Blueprint) -> None:
    @bp.get("/media/<key:str>")
    @web.page
    async def customer_media(request: Request, key: str) -> HTTPResponse:
        if not is_valid_key(key):
            return web.error(404, "not_found", "File not found.")
        found = await asyncio.to_thread(get_media_store().get, key)
        if found is None:
            return web.error(404, "not_found", "File not found.")
        data, content_type = found
        disposition = "inline" if content_type.startswith("image/") else "attachment"
        return response.raw(
            data,
            content_type=content_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="{key}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, max-age=3600",
            },
        )
