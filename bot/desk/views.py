"""The agent desk's routes (a Sanic blueprint mounted at /desk by ``DeskChannel``).

Pages: ``/desk/`` (queue), ``/desk/handoffs/<id>``, ``/desk/supervisor``, ``/desk/login``.
JSON API under ``/desk/api/``; live updates and replies over the ``/desk/ws`` websocket.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.bus import TOPIC_DESK, get_bus
from bot.config import get_desk_settings
from bot.crm import agents, desk_sessions, deskteam, handoffs, ratelimit
from bot.crm.models import COMPLAINT_STAGES
from bot.desk import backoffice, service, tokens, web
from bot.desk.live import LiveDesks, parse_client_message
from bot.desk.media import add_media_route
from bot.desk.ops import add_ops_routes
from bot.handoff import presence, reasons
from bot.profile import get_profile

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),  # customer text is always escaped
)
_templates.filters["reason"] = reasons.label

# The desk's navigation: (path, label, supervisors only). A new back-office page adds a line.
NAV: list[tuple[str, str, bool]] = [
    ("/desk/", "Antrean", False),
    ("/desk/canned", "Balasan cepat", False),
    ("/desk/supervisor", "Supervisor", True),
]

# Staff read these, not the input channel's internal name.
CHANNEL_LABELS = {
    "socketio": "Widget situs",
    "whatsapp": "WhatsApp",
    "twilio": "SMS/WhatsApp (Twilio)",
    "rest": "API",
}


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "-")


def local_time(value: Any) -> str:
    """A timestamp (epoch seconds or datetime) in the business's time zone, e.g. '1 Des 14:05 WIB'."""
    if value in (None, "", 0):
        return ""
    profile = get_profile()
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(float(value), UTC)
    local = moment.astimezone(profile.timezone)
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    return f"{local.day} {months[local.month - 1]} {local:%H:%M} {local.tzname()}"


def team_label(team_id: str | None) -> str:
    team = get_profile().team(team_id)
    return team.name.get("id", team.id) if team else "-"


_templates.filters["channel"] = channel_label
_templates.filters["localtime"] = local_time
_templates.filters["team"] = team_label


def _render(
    name: str, request: Request | None = None, status: int = 200, **values: Any
) -> HTTPResponse:
    agent = getattr(request.ctx, "agent", None) if request is not None else None
    supervises = agent is not None and agents.can_supervise(agent)
    context: dict[str, Any] = {
        "agent": agent,
        "supervises": supervises,
        "nav": [(path, label) for path, label, sup in NAV if supervises or not sup],
        "company": get_profile().short_name,
        "timezone": str(get_profile().timezone),
        **values,
    }
    if request is not None and agent is not None:
        context["csrf_token"] = web.csrf_for(request)
    html = _templates.get_template(name).render(**context)
    # Cache-Control, nosniff and framing headers: the blueprint's response middleware.
    return response.html(html, status=status)


def _desk(request: Request) -> service.Desk:
    return service.Desk(request.app.ctx.agent, getattr(request.app.ctx, "input_channels", []) or [])


def _safe_next(value: str | None) -> str:
    """Only a path inside the desk: never an open redirect to another site."""
    target = unquote(value or "")
    if target.startswith("/desk/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/desk/"


def _desk_errors_as_json(handler: web.Handler) -> web.Handler:
    """An action the desk refuses (``service.DeskError``) answers as the API's JSON error."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        try:
            return await handler(request, *args, **kwargs)
        except service.DeskError as exc:
            return web.error(exc.status, exc.code, str(exc))

    return wrapped


def _body(request: Request) -> dict[str, Any]:
    """The POST's fields, parsed (safely) by ``web.api``."""
    return getattr(request.ctx, "body", None) or {}


def create_blueprint(live: LiveDesks | None = None) -> Blueprint:
    bp = Blueprint("agent_desk", url_prefix=None)
    live = live or LiveDesks()
    bp.static("/static", str(HERE / "static"), name="desk_static")
    backoffice.register(bp)  # case pages, admin pages, /desk/api/cases (bot/desk/backoffice.py)
    add_media_route(bp)  # customer attachments (bot/desk/media.py)
    add_ops_routes(bp)  # /desk/healthz, /desk/readyz, /desk/metrics (bot/desk/ops.py)

    @bp.middleware("response")
    async def _security_headers(request: Request, resp: HTTPResponse) -> None:
        web.add_security_headers(request, resp)

    @bp.listener("after_server_start")
    async def _subscribe(app: Any, _loop: Any) -> None:
        bus = get_bus()
        bus.subscribe(TOPIC_DESK, live.broadcast)
        await bus.start()

    @bp.listener("before_server_stop")
    async def _unsubscribe(app: Any, _loop: Any) -> None:
        get_bus().unsubscribe(TOPIC_DESK, live.broadcast)

    # ---- login / logout ----------------------------------------------------------------

    @bp.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        token = secrets.token_urlsafe(24)
        resp = _render("login.html", login_csrf=token, next=_safe_next(request.args.get("next")))
        web.set_cookie(resp, web.LOGIN_CSRF_COOKIE, token, 3600, path=f"{web.COOKIE_PATH}/login")
        return resp

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        form = request.form
        next_url = _safe_next(form.get("next"))
        if not web.same_origin(request) or not tokens.login_csrf_valid(
            request.cookies.get(web.LOGIN_CSRF_COOKIE), form.get("csrf_token")
        ):
            return web.error(403, "csrf", "Missing or invalid CSRF token. Reload the login page.")
        username = agents.normalize_username(form.get("username") or "")[:64]
        password = form.get("password") or ""
        settings = get_desk_settings()
        address = web.client_address(request)
        # Per (username, address) and per address, never per username alone: an attacker
        # elsewhere cannot lock the real agent out, and behind a trusted proxy every agent
        # has their own address (web.client_address).
        per_user = f"desk-login:{username}:{address}"
        allowed = await asyncio.to_thread(
            ratelimit.hit, per_user, settings.login_attempts, settings.login_window_seconds
        ) and await asyncio.to_thread(
            ratelimit.hit,
            f"desk-login-ip:{address}",
            settings.login_address_attempts,
            settings.login_window_seconds,
        )

        def again(message: str, status: int) -> HTTPResponse:
            token = secrets.token_urlsafe(24)
            resp = _render(
                "login.html",
                status=status,
                login_csrf=token,
                next=next_url,
                error=message,
                username=username,
            )
            web.set_cookie(
                resp, web.LOGIN_CSRF_COOKIE, token, 3600, path=f"{web.COOKIE_PATH}/login"
            )
            return resp

        if not allowed:
            return again("Terlalu banyak percobaan masuk. Coba lagi beberapa menit lagi.", 429)
        agent = await asyncio.to_thread(agents.authenticate, username, password)
        if agent is None:
            return again("Nama pengguna atau kata sandi salah.", 401)
        await asyncio.to_thread(ratelimit.reset, per_user)
        previous = request.cookies.get(web.SESSION_COOKIE)
        if previous:  # a new login replaces this browser's old session, it does not add one
            await asyncio.to_thread(desk_sessions.revoke, desk_sessions.session_id(previous[:256]))
        token = await asyncio.to_thread(
            desk_sessions.create_session,
            agent.id,
            tokens.SESSION_LIFETIME_S,
            user_agent=request.headers.get("user-agent"),
            address=address,
        )
        await web.refresh_session(desk_sessions.session_id(token), force=True)
        resp = response.redirect(next_url)
        web.set_cookie(resp, web.SESSION_COOKIE, token, tokens.SESSION_LIFETIME_S)
        web.clear_cookie(resp, web.LOGIN_CSRF_COOKIE, path=f"{web.COOKIE_PATH}/login")
        logger.info("desk login: agent %s", agent.id)
        return resp

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        found = await web.live_session(request)
        if found is not None:
            request.ctx.desk_session = found
            if not web.csrf_ok(request, web.supplied_csrf(request)):
                return web.error(403, "csrf", "Missing or invalid CSRF token.")
            # Ended in the database: refused on every replica from now on.
            await asyncio.to_thread(desk_sessions.revoke, found.id)
            await asyncio.to_thread(presence.forget, found.agent.id)
        resp = response.redirect(f"{web.COOKIE_PATH}/login")
        web.clear_cookie(resp, web.SESSION_COOKIE)
        return resp

    # ---- pages ---------------------------------------------------------------------------

    @bp.get("/")
    @web.page
    async def queue_page(request: Request) -> HTTPResponse:
        return _render(
            "queue.html",
            request,
            data=await _queue_data(request),
            teams=get_profile().teams,
            labels=await asyncio.to_thread(deskteam.all_labels),
        )

    @bp.get("/canned")
    @web.page
    async def canned_page(request: Request) -> HTTPResponse:
        return _render("canned.html", request, canned=await service.list_canned(request.ctx.agent))

    @bp.get("/handoffs/<handoff_id:int>")
    @web.page
    async def handoff_page(request: Request, handoff_id: int) -> HTTPResponse:
        try:
            view = await service.conversation_view(_desk(request), handoff_id)
        except service.DeskError as exc:
            return _render("error.html", request, status=exc.status, message=str(exc))
        assigned = None
        if view["handoff"].agent_id is not None:
            assigned = await asyncio.to_thread(agents.get_agent, view["handoff"].agent_id)
        return _render(
            "handoff.html",
            request,
            view=view,
            assigned=assigned,
            stages=COMPLAINT_STAGES,
            transitions=_transitions(),
            may_change_complaints=service.may_change_complaints(view["handoff"], request.ctx.agent),
            team=view["team"],
            labels=view["labels"],
            colleagues=[
                a
                for a in await asyncio.to_thread(agents.list_agents)
                if a.active and a.id != view["handoff"].agent_id
            ],
            teams=get_profile().teams,
        )

    @bp.get("/supervisor")
    @web.page
    async def supervisor_page(request: Request) -> HTTPResponse:
        if not agents.can_supervise(request.ctx.agent):
            return _render(
                "error.html", request, status=403, message="Halaman ini khusus supervisor."
            )
        return _render("supervisor.html", request, stats=await _stats())

    # ---- JSON API ------------------------------------------------------------------------

    @bp.get("/api/queue")
    @web.api
    async def api_queue(request: Request) -> HTTPResponse:
        return web.json_response(await _queue_data(request))

    @bp.get("/api/handoffs/<handoff_id:int>")
    @web.api
    @_desk_errors_as_json
    async def api_handoff(request: Request, handoff_id: int) -> HTTPResponse:
        return web.json_response(await service.conversation_view(_desk(request), handoff_id))

    @bp.get("/api/handoffs/<handoff_id:int>/notifications")
    @web.api
    @_desk_errors_as_json
    async def api_handoff_notifications(request: Request, handoff_id: int) -> HTTPResponse:
        record = await service.handoff_record(handoff_id)
        return web.json_response({"notifications": await service.notifications_for(record)})

    @bp.post("/api/handoffs/<handoff_id:int>/claim")
    @web.api
    @_desk_errors_as_json
    async def api_claim(request: Request, handoff_id: int) -> HTTPResponse:
        record = await service.claim(_desk(request), handoff_id, request.ctx.agent)
        return web.json_response({"ok": True, "handoff": record})

    @bp.post("/api/handoffs/<handoff_id:int>/reply")
    @web.api
    @_desk_errors_as_json
    async def api_reply(request: Request, handoff_id: int) -> HTTPResponse:
        body = _body(request)
        result = await service.reply(
            _desk(request), handoff_id, request.ctx.agent, body.get("text")
        )
        return web.json_response(
            {"ok": True, "message_id": result.message_id, "delivered": result.delivered}
        )

    @bp.post("/api/handoffs/<handoff_id:int>/note")
    @web.api
    @_desk_errors_as_json
    async def api_note(request: Request, handoff_id: int) -> HTTPResponse:
        body = _body(request)
        result = await service.note(_desk(request), handoff_id, request.ctx.agent, body.get("text"))
        return web.json_response({"ok": True, "message_id": result.message_id})

    @bp.post("/api/handoffs/<handoff_id:int>/close")
    @web.api
    @_desk_errors_as_json
    async def api_close(request: Request, handoff_id: int) -> HTTPResponse:
        record = await service.close(_desk(request), handoff_id, request.ctx.agent)
        return web.json_response({"ok": True, "handoff": record})

    @bp.post("/api/complaints/<reference>/stage")
    @web.api
    @_desk_errors_as_json
    async def api_complaint_stage(request: Request, reference: str) -> HTTPResponse:
        body = _body(request)
        record = await service.advance_complaint(
            reference, body.get("to_stage"), body.get("note"), request.ctx.agent
        )
        return web.json_response({"ok": True, "complaint": record})

    @bp.get("/api/canned")
    @web.api
    async def api_canned(request: Request) -> HTTPResponse:
        return web.json_response({"canned": await service.list_canned(request.ctx.agent)})

    @bp.post("/api/canned")
    @web.api
    @_desk_errors_as_json
    async def api_canned_create(request: Request) -> HTTPResponse:
        saved = await service.save_canned(request.ctx.agent, None, _body(request))
        return web.json_response({"ok": True, "canned": saved})

    @bp.post("/api/canned/<canned_id:int>")
    @web.api
    @_desk_errors_as_json
    async def api_canned_update(request: Request, canned_id: int) -> HTTPResponse:
        saved = await service.save_canned(request.ctx.agent, canned_id, _body(request))
        return web.json_response({"ok": True, "canned": saved})

    @bp.post("/api/canned/<canned_id:int>/delete")
    @web.api
    @_desk_errors_as_json
    async def api_canned_delete(request: Request, canned_id: int) -> HTTPResponse:
        await service.delete_canned(request.ctx.agent, canned_id)
        return web.json_response({"ok": True})

    @bp.get("/api/handoffs/<handoff_id:int>/canned")
    @web.api
    @_desk_errors_as_json
    async def api_handoff_canned(request: Request, handoff_id: int) -> HTTPResponse:
        found = await service.canned_for(_desk(request), handoff_id, request.ctx.agent)
        return web.json_response({"canned": found})

    @bp.post("/api/handoffs/<handoff_id:int>/labels")
    @web.api
    @_desk_errors_as_json
    async def api_labels(request: Request, handoff_id: int) -> HTTPResponse:
        labels = await service.set_labels(
            _desk(request), handoff_id, request.ctx.agent, _body(request).get("labels")
        )
        return web.json_response({"ok": True, "labels": labels})

    @bp.post("/api/handoffs/<handoff_id:int>/transfer")
    @web.api
    @_desk_errors_as_json
    async def api_transfer(request: Request, handoff_id: int) -> HTTPResponse:
        body = _body(request)
        record = await service.transfer(
            _desk(request),
            handoff_id,
            request.ctx.agent,
            to_agent=body.get("to_agent"),
            to_team=body.get("to_team"),
            note=body.get("note"),
        )
        return web.json_response({"ok": True, "handoff": record})

    @bp.get("/api/stats")
    @web.api
    @web.supervisor_only
    async def api_stats(request: Request) -> HTTPResponse:
        return web.json_response(await _stats())

    @bp.get("/api/alerts")
    @web.api
    async def api_alerts(request: Request) -> HTTPResponse:
        """Due callback tickets (mine or unassigned) and, for supervisors, complaints past
        their SLA: the desk's alert badge (bot/desk/static/alerts.js; bot/notify/jobs.py)."""
        from bot.notify.jobs import open_alerts

        agent = request.ctx.agent
        items = await asyncio.to_thread(open_alerts, agent.id, agents.can_supervise(agent))
        return web.json_response({"alerts": items})

    # ---- websocket -----------------------------------------------------------------------

    @bp.websocket("/ws")
    async def desk_socket(request: Request, ws: Any) -> None:
        agent = await web.current_agent(request)
        # Cross-site websocket hijacking: the browser sends cookies on a cross-site upgrade,
        # so the Origin and the session's CSRF token are both required.
        if (
            agent is None
            or not web.same_origin(request)
            or not web.csrf_ok(request, request.args.get("csrf"))
        ):
            await ws.close(code=4401, reason="unauthorised")
            return
        live.add(ws)
        # A socket outlives the request that opened it: end it when its session ends
        # (logout elsewhere, password change, disabled account), heartbeats or not.
        watchdog = asyncio.create_task(_close_when_session_ends(request, ws))
        try:
            await ws.send(web.dumps({"kind": "hello", "agent": agent.display_name}))
            while True:
                raw = await ws.recv()
                if raw is None:
                    break
                if not await _socket_action(request, ws, parse_client_message(raw)):
                    break
        except Exception as exc:
            logger.debug("desk websocket closed: %s", exc.__class__.__name__, exc_info=True)
        finally:
            live.discard(ws)
            watchdog.cancel()

    async def _close_when_session_ends(request: Request, ws: Any) -> None:
        try:
            while True:
                await asyncio.sleep(web.SESSION_RECHECK_S)
                if await web.live_session(request) is None:
                    live.discard(ws)
                    await ws.close(code=4401, reason="session ended")
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket is gone already
            logger.debug("desk websocket watchdog stopped", exc_info=True)

    async def _socket_action(request: Request, ws: Any, message: dict[str, Any]) -> bool:
        """Handle one frame; False when the session has ended (the socket is then closed)."""
        found = await web.live_session(request)
        if found is None or not await web.refresh_session(found.id):
            live.discard(ws)
            await ws.close(code=4401, reason="session ended")
            return False
        request.ctx.desk_session = found
        agent = request.ctx.agent = found.agent
        action = message.get("action")
        if action in (None, "heartbeat"):
            return True
        if action != "reply":
            await ws.send(web.dumps({"kind": "error", "error": "unknown_action"}))
            return True
        if not web.csrf_ok(request, message.get("csrf_token")):
            await ws.send(web.dumps({"kind": "error", "error": "csrf"}))
            return True
        try:
            raw_id: Any = message.get("handoff_id")  # any JSON value; int() refuses the wrong ones
            handoff_id = int(raw_id)
            result = await service.reply(_desk(request), handoff_id, agent, message.get("text"))
        except (TypeError, ValueError):
            await ws.send(web.dumps({"kind": "error", "error": "bad_request"}))
        except service.DeskError as exc:
            await ws.send(web.dumps({"kind": "error", "error": exc.code, "message": str(exc)}))
        else:
            await ws.send(
                web.dumps(
                    {
                        "kind": "reply_ok",
                        "message_id": result.message_id,
                        "delivered": result.delivered,
                    }
                )
            )
        return True

    return bp


def _transitions() -> dict[str, Any]:
    from bot.crm.complaints import ALLOWED_TRANSITIONS

    return dict(ALLOWED_TRANSITIONS)


async def _queue_data(request: Request) -> dict[str, Any]:
    me = request.ctx.agent
    waiting = await asyncio.to_thread(handoffs.queue)
    active = await asyncio.to_thread(handoffs.active_handoffs)
    callbacks = await asyncio.to_thread(handoffs.callbacks)
    names = {a.id: a.display_name for a in await asyncio.to_thread(agents.list_agents)}
    ids = [e.handoff_id for e in waiting] + [h.id for h in active]
    labels = await asyncio.to_thread(deskteam.labels_for, ids)
    teams = await asyncio.to_thread(deskteam.teams_of, ids)
    last = await asyncio.to_thread(deskteam.last_messages, ids)
    profile = get_profile()
    want_team = request.args.get("team") or None
    want_label = request.args.get("label") or None

    def team_of(handoff_id: int, reason: str) -> str | None:
        routed = profile.team_for_reason(reason)
        return teams.get(handoff_id) or (routed.id if routed else None)

    def extra(handoff_id: int, reason: str, transcript: list[Any] | None) -> dict[str, Any]:
        team = team_of(handoff_id, reason)
        message = last.get(handoff_id)
        preview = message.text if message else _last_customer_line(transcript)
        return {
            "team": team,
            "team_label": team_label(team),
            "labels": labels.get(handoff_id, []),
            "preview": (preview or "")[:120],
        }

    def shown(row: dict[str, Any]) -> bool:
        return (want_team is None or row["team"] == want_team) and (
            want_label is None or want_label in row["labels"]
        )

    records = {h.id: h for h in active}
    for entry in waiting:  # the message that started the handoff is in its transcript
        if entry.handoff_id not in last:
            found = await asyncio.to_thread(handoffs.get_handoff, entry.handoff_id)
            if found is not None:
                records[found.id] = found
    return {
        "now": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "filters": {"team": want_team, "label": want_label},
        "waiting": [
            row
            for row in (
                {
                    "handoff_id": e.handoff_id,
                    "reference": e.reference,
                    "channel": e.channel,
                    "channel_label": channel_label(e.channel),
                    "reason": e.reason,
                    "reason_label": reasons.label(e.reason),
                    "customer_name": e.customer_name,
                    "queued_at": e.queued_at,
                    "waiting_seconds": round(e.waiting_seconds),
                    **extra(
                        e.handoff_id,
                        e.reason,
                        records[e.handoff_id].transcript if e.handoff_id in records else None,
                    ),
                }
                for e in waiting
            )
            if shown(row)
        ],
        "active": [
            row
            for row in (
                {
                    "handoff_id": h.id,
                    "reference": h.reference,
                    "channel": h.channel,
                    "channel_label": channel_label(h.channel),
                    "reason_label": reasons.label(h.reason),
                    "agent": names.get(h.agent_id or -1, "?"),
                    "mine": h.agent_id == me.id,
                    "claimed_at": h.claimed_at,
                    **extra(h.id, h.reason, records[h.id].transcript),
                }
                for h in active
            )
            if shown(row)
        ],
        "callbacks": [
            {
                "handoff_id": h.id,
                "reference": h.reference,
                "reason_label": reasons.label(h.reason),
                "callback_channel": h.callback_channel,
                "callback_time": h.callback_time,
                "contact": (h.captured_fields or {}).get("callback_contact")
                or (h.sender_id if h.channel in ("whatsapp", "twilio") else None),
                "queued_at": h.queued_at,
            }
            for h in callbacks
        ],
    }


def _last_customer_line(transcript: list[Any] | None) -> str | None:
    for line in reversed(transcript or []):
        if isinstance(line, dict) and line.get("sender") == "customer":
            return str(line.get("text") or "")
    return None


async def _stats() -> dict[str, Any]:
    profile = get_profile()
    today = profile.local_now().date()
    stats = await asyncio.to_thread(handoffs.stats, today, tz=profile.timezone)
    online = await asyncio.to_thread(presence.online_agents)
    callbacks = await asyncio.to_thread(handoffs.callbacks)
    active = await asyncio.to_thread(handoffs.active_handoffs)
    return {
        "stats": stats,
        "online_agents": [a.display_name for a in online],
        "open_callbacks": len(callbacks),
        "active_handoffs": len(active),
        "within_agent_hours": profile.is_within_agent_hours(),
    }
