"""Request plumbing for the desk: who is logged in, CSRF checks, cookies, JSON encoding.

Pages (HTML) send a visitor without a session to the login page; the JSON API and the
websocket answer 401 instead. Every state-changing request (POST, websocket actions) needs
the session's CSRF token in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import get_desk_settings, get_settings
from bot.crm import agents
from bot.crm.types import AgentRecord
from bot.desk import tokens
from bot.handoff import presence

SESSION_COOKIE = "desk_session"
LOGIN_CSRF_COOKIE = "desk_login_csrf"
COOKIE_PATH = "/desk"

Handler = Callable[..., Awaitable[HTTPResponse]]


def secret() -> str:
    return get_settings().desk_secret_key


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def json_response(value: Any, status: int = 200) -> HTTPResponse:
    return response.text(dumps(value), status=status, content_type="application/json")


def error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": code, "message": message}, status=status)


def set_cookie(
    resp: HTTPResponse, name: str, value: str, max_age: int, path: str = COOKIE_PATH
) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if get_desk_settings().cookie_secure:
        cookie["secure"] = True


def clear_cookie(resp: HTTPResponse, name: str, path: str = COOKIE_PATH) -> None:
    set_cookie(resp, name, "", 0, path)


def current_session(request: Request) -> tokens.DeskSession | None:
    return tokens.read_session(secret(), request.cookies.get(SESSION_COOKIE))


async def current_agent(request: Request) -> AgentRecord | None:
    """The logged-in, still active agent (checked in the database on every request)."""
    session = current_session(request)
    if session is None:
        return None
    agent = await asyncio.to_thread(agents.get_agent, session.agent_id)
    if agent is None or not agent.active:
        return None
    request.ctx.desk_session = session
    request.ctx.agent = agent
    await asyncio.to_thread(presence.touch, agent.id)
    return agent


def csrf_for(request: Request) -> str:
    return tokens.csrf_token(secret(), request.ctx.desk_session)


def supplied_csrf(request: Request) -> str | None:
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    if request.content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return request.form.get("csrf_token")
    return None


def same_origin(request: Request) -> bool:
    """Origin (sent by browsers on POST and websocket upgrades) must be this host, if present."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def login_url(request: Request) -> str:
    target = request.path + (f"?{request.query_string}" if request.query_string else "")
    return f"{COOKIE_PATH}/login?next={quote(target, safe='')}"


def page(handler: Handler) -> Handler:
    """HTML page: redirect to the login page without a valid session."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if await current_agent(request) is None:
            return response.redirect(login_url(request))
        return await handler(request, *args, **kwargs)

    return wrapped


def api(handler: Handler) -> Handler:
    """JSON endpoint: 401 without a session; 403 for a POST without the right CSRF token."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if await current_agent(request) is None:
            return error(401, "unauthorised", "Login required.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            session = request.ctx.desk_session
            if not same_origin(request) or not tokens.csrf_valid(
                secret(), session, supplied_csrf(request)
            ):
                return error(403, "csrf", "Missing or invalid CSRF token.")
        return await handler(request, *args, **kwargs)

    return wrapped


def supervisor_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if request.ctx.agent.role != "supervisor":
            return error(403, "forbidden", "Supervisors only.")
        return await handler(request, *args, **kwargs)

    return wrapped


def client_address(request: Request) -> str:
    # remote_addr honours proxy headers only when Sanic is configured to trust a proxy.
    return request.remote_addr or request.ip or "unknown"
