"""Request plumbing for the desk: who is logged in, CSRF checks, cookies, JSON in and out.

Pages (HTML) send a visitor without a live session to the login page; the JSON API and the
websocket answer 401 instead. The session is a database row (``bot.crm.desk_sessions``)
read on every request, so a session ended on one replica is refused on all of them.
Every state-changing request (POST, websocket actions) needs the session's CSRF token in
the ``X-CSRF-Token`` header or a ``csrf_token`` form field. A JSON body that is invalid,
too large or too deeply nested is a 400 with a JSON error, never a 500.

The client address (login throttling) is the socket peer; ``X-Forwarded-For`` is believed
only from a proxy listed in ``DESK_TRUSTED_PROXIES``, and then its right-most hop that is
not itself a trusted proxy is the client (hops further left are whatever the client sent).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ipaddress
import json
import time
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import jsonsafe
from bot.config import get_desk_settings, get_settings
from bot.crm import agents, desk_sessions
from bot.crm.types import AgentRecord
from bot.desk import tokens

SESSION_COOKIE = "desk_session"
LOGIN_CSRF_COOKIE = "desk_login_csrf"
COOKIE_PATH = "/desk"

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]

MAX_JSON_BYTES = 64 * 1024  # a reply is at most 4,000 characters
MAX_JSON_DEPTH = 8
# A session's presence write is throttled per process; validity is checked on every request.
TOUCH_EVERY_S = 15.0
_last_touch: dict[str, float] = {}
# An open websocket re-checks its session this often, so a logout elsewhere closes it.
SESSION_RECHECK_S = 15.0


def secret() -> str:
    return get_settings().desk_secret_key


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
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


async def refresh_session(session_id: str, *, force: bool = False) -> bool:
    """Record that the session's desk is open (presence); False if the session has ended.

    The write happens at most every ``TOUCH_EVERY_S`` per session and process; within that
    interval the caller's own validity check stands.
    """
    now = time.monotonic()
    if not force and now - _last_touch.get(session_id, -1e9) < TOUCH_EVERY_S:
        return True
    if len(_last_touch) > 10_000:
        _last_touch.clear()
    live = await asyncio.to_thread(desk_sessions.touch, session_id)
    if live:
        _last_touch[session_id] = now
    else:
        _last_touch.pop(session_id, None)
    return live


async def live_session(request: Request) -> desk_sessions.SessionRecord | None:
    """The request's session if it is still live (not logged out, expired or revoked)."""
    return await asyncio.to_thread(desk_sessions.lookup, request.cookies.get(SESSION_COOKIE))


async def current_agent(request: Request) -> AgentRecord | None:
    """The logged-in, still active agent of a live session (checked in the database)."""
    found = await live_session(request)
    if found is None:
        return None
    if not await refresh_session(found.id):
        return None
    request.ctx.desk_session = found
    request.ctx.agent = found.agent
    return found.agent


def csrf_for(request: Request) -> str:
    return tokens.csrf_token(secret(), request.ctx.desk_session.id)


def csrf_ok(request: Request, supplied: str | None) -> bool:
    return tokens.csrf_valid(secret(), request.ctx.desk_session.id, supplied)


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
        request.ctx.body = {}
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if not same_origin(request) or not csrf_ok(request, supplied_csrf(request)):
                return error(403, "csrf", "Missing or invalid CSRF token.")
            try:
                request.ctx.body = read_body(request)
            except jsonsafe.JSONBodyError as exc:
                return error(400, exc.code, "The request body is not acceptable JSON.")
        return await handler(request, *args, **kwargs)

    return wrapped


def read_body(request: Request) -> dict[str, Any]:
    """A POST's fields: a JSON object, or the form. Raises ``jsonsafe.JSONBodyError``."""
    if request.content_type.startswith("application/json"):
        if not request.body:
            return {}
        value = jsonsafe.loads(request.body, max_bytes=MAX_JSON_BYTES, max_depth=MAX_JSON_DEPTH)
        if not isinstance(value, dict):
            raise jsonsafe.JSONInvalid("the body must be a JSON object")
        return value
    if request.content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return {key: request.form.get(key) for key in request.form}
    return {}


def supervisor_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if not agents.can_supervise(request.ctx.agent):
            return error(403, "forbidden", "Supervisors only.")
        return await handler(request, *args, **kwargs)

    return wrapped


# ---- client address (login throttling) ----------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(entries: tuple[str, ...]) -> tuple[Network, ...] | None:
    """Trusted proxy networks; None means every address ("*")."""
    if "*" in entries:
        return None
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a typo trusts nothing rather than everything
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: str, networks: tuple[Network, ...] | None) -> bool:
    if networks is None:
        return True
    ip = _ip(address)
    return ip is not None and any(ip in network for network in networks)


def resolve_client_address(
    peer: str, forwarded_for: list[str], trusted_proxies: tuple[str, ...]
) -> str:
    """The client's address: ``peer``, or from X-Forwarded-For when ``peer`` is trusted."""
    networks = _networks(trusted_proxies)
    if not peer or not _trusted(peer, networks):
        return peer or "unknown"
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if not hops:
        return peer
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            ip = _ip(hop)
            return str(ip) if ip is not None else hop[:64]
    first = _ip(hops[0])  # every hop is a trusted proxy: the left-most is the origin
    return str(first) if first is not None else hops[0][:64]


def client_address(request: Request) -> str:
    """The socket peer, unless it is a trusted proxy (then its X-Forwarded-For)."""
    peer = request.ip or ""
    return resolve_client_address(
        peer, request.headers.getall("x-forwarded-for", []), get_desk_settings().trusted_proxies
    )


# ---- response headers --------------------------------------------------------------------
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"


def add_security_headers(request: Request, resp: HTTPResponse) -> None:
    """Desk pages and API answers hold customer data: never cached, sniffed or framed."""
    headers = resp.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    if request.path.startswith(f"{COOKIE_PATH}/static/"):
        headers.setdefault("Cache-Control", "no-cache")  # code, not data: revalidate
    else:
        headers["Cache-Control"] = "no-store"
    content_type = headers.get("content-type") or getattr(resp, "content_type", "") or ""
    headers["Content-Security-Policy"] = (
        PAGE_CSP if str(content_type).startswith("text/html") else DATA_CSP
    )
