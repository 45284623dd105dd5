"""Small helpers for webhook handlers: JSON error answers and body-size checks."""

from __future__ import annotations

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import max_body_bytes


def error(status: int, code: str, message: str) -> HTTPResponse:
    """A clear 4xx/5xx with a machine-readable code and a human message (never a traceback)."""
    return response.json({"error": code, "message": message}, status=status)


def body_too_large(request: Request, limit: int | None = None) -> HTTPResponse | None:
    limit = max_body_bytes() if limit is None else limit
    if len(request.body or b"") > limit:
        return error(413, "body_too_large", f"The request body is larger than {limit} bytes.")
    return None
