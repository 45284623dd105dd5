"""The back office's web layer: case pages, admin pages and the JSON API under /desk/api/.

Why a thin layer: every rule (who may change what, which stage may follow which, what a
field must look like) lives in ``bot.cases``; the handlers here only parse the request,
find out who asks, call one function and render its result or its error. The pages and the
JSON API therefore answer the same mistake the same way: ``CaseError`` subclasses carry
their HTTP status (404 unknown, 403 role/scope, 409 illegal or stale, 422 fields).

Who asks: a desk session (cookie; a POST needs the session's CSRF token and same origin) or,
for the JSON API only, ``Authorization: Bearer <api token>`` (scope ``read`` for GET,
``write`` for POST; no CSRF, a token is not sent by a browser on its own). Admin operations
(accounts, API tokens) need the admin role.

Routes are registered on the desk blueprint by ``register(bp)`` (called from
``views.create_blueprint``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import jsonsafe
from bot.cases import api_tokens, assign, detail, note, queries, timeline, transition
from bot.cases.errors import CaseError, FieldErrors
from bot.cases.labels import channel_label, lang, moment_text, money
from bot.cases.pipelines import CASE_TYPES, pick
from bot.cases.types import Actor
from bot.crm import agents
from bot.crm.models import AGENT_ROLES, API_TOKEN_SCOPES
from bot.crm.types import AgentRecord
from bot.desk import web
from bot.profile import get_profile

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
)
PAGE_SIZE = 50
LANGUAGE = "id"  # staff screens are in Indonesian (labels come from the profile)

ROLE_LABELS = {"agent": "Agen", "supervisor": "Supervisor", "admin": "Admin"}
SCOPE_LABELS = {"read": "Baca saja", "write": "Baca & ubah"}
SORT_LABELS = {
    "-created": "Terbaru dibuat",
    "created": "Terlama dibuat",
    "due": "Batas waktu terdekat",
    "-stage_changed": "Baru berpindah tahap",
    "reference": "Nomor referensi",
}
NOTIFICATION_LABELS = {
    "pending": "menunggu dikirim",
    "sending": "sedang dikirim",
    "sent": "terkirim",
    "held": "ditahan (di luar jam kirim)",
    "delivered": "diterima",
    "read": "dibaca",
    "failed": "gagal, dicoba lagi",
    "dead": "gagal dikirim",
    "cancelled": "dibatalkan",
}
EVENT_LABELS = {
    "created": "Kasus dibuat",
    "stage_changed": "Pindah tahap",
    "note": "Catatan",
    "assigned": "Penugasan",
    "escalated": "Eskalasi",
    "notification": "Notifikasi",
    "message": "Pesan",
}
CHANNELS = ("socketio", "whatsapp")


class BadQuery(ValueError):
    """A query parameter that cannot be understood (422, like a bad field)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


# ---- who asks ---------------------------------------------------------------------------


def actor_of(agent: AgentRecord) -> Actor:
    return Actor(agent.id, agent.role)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def api(handler: web.Handler) -> web.Handler:
    """JSON endpoint open to a desk session (CSRF on POST) or an API token (no CSRF).

    401 without either; a read-only token is refused on POST by the case functions (403).
    """

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        request.ctx.body = {}
        token = _bearer(request)
        if token is not None:
            identity = await asyncio.to_thread(api_tokens.verify_token, token)
            if identity is None:
                return web.error(401, "unauthorised", "Unknown or revoked API token.")
            request.ctx.actor = identity.actor
            request.ctx.agent = None
            if request.method == "POST":
                if identity.actor.read_only:
                    return web.error(403, "forbidden", "This token may only read (scope read).")
                try:
                    request.ctx.body = web.read_body(request)
                except jsonsafe.JSONBodyError as exc:
                    return web.error(400, exc.code, "The request body is not acceptable JSON.")
            return await _answer(handler, request, *args, **kwargs)
        agent = await web.current_agent(request)
        if agent is None:
            return web.error(401, "unauthorised", "Login or an API token required.")
        request.ctx.actor = actor_of(agent)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if not web.same_origin(request) or not web.csrf_ok(request, web.supplied_csrf(request)):
                return web.error(403, "csrf", "Missing or invalid CSRF token.")
            try:
                request.ctx.body = web.read_body(request)
            except jsonsafe.JSONBodyError as exc:
                return web.error(400, exc.code, "The request body is not acceptable JSON.")
        return await _answer(handler, request, *args, **kwargs)

    return wrapped


async def _answer(
    handler: web.Handler, request: Request, *args: Any, **kwargs: Any
) -> HTTPResponse:
    try:
        return await handler(request, *args, **kwargs)
    except CaseError as exc:
        return case_error_json(exc)
    except BadQuery as exc:
        return web.json_response(
            {
                "error": "invalid_fields",
                "message": str(exc),
                "errors": {exc.name: {"id": str(exc), "en": str(exc)}},
            },
            status=422,
        )


def case_error_json(exc: CaseError) -> HTTPResponse:
    body: dict[str, Any] = {
        "error": exc.code,
        "message": exc.message("en"),
        "messages": exc.messages,
    }
    if isinstance(exc, FieldErrors):
        body["errors"] = exc.errors
    return web.json_response(body, status=exc.status)


def _require_admin_page(request: Request) -> HTTPResponse | None:
    if request.ctx.agent.role != "admin":
        return render("error.html", request, status=403, message="Halaman ini khusus admin.")
    return None


def _require_admin_api(request: Request) -> HTTPResponse | None:
    actor: Actor = request.ctx.actor
    if actor.role != "admin":
        return web.error(403, "forbidden", "Admins only.")
    if request.method == "POST" and actor.read_only:
        return web.error(403, "forbidden", "This token may only read (scope read).")
    return None


# ---- rendering --------------------------------------------------------------------------


def render(name: str, request: Request, status: int = 200, **values: Any) -> HTTPResponse:
    agent = request.ctx.agent
    context: dict[str, Any] = {
        "agent": agent,
        "supervises": agents.can_supervise(agent),
        "is_admin": agents.is_admin(agent),
        "company": get_profile().short_name,
        "csrf_token": web.csrf_for(request),
        "role_labels": ROLE_LABELS,
        "scope_labels": SCOPE_LABELS,
        "event_labels": EVENT_LABELS,
        "notification_labels": NOTIFICATION_LABELS,
        "channel_label": lambda c: channel_label(c, LANGUAGE),
        "money": lambda v: money(v, LANGUAGE),
        "when": lambda v: moment_text(v, get_profile(), LANGUAGE) if v else "",
        "pick": pick,
        **values,
    }
    html = _templates.get_template(name).render(**context)
    return response.html(html, status=status)


# ---- query parsing ----------------------------------------------------------------------


def _flag(args: Mapping[str, Any], name: str) -> bool:
    return str(args.get(name) or "").lower() in ("1", "true", "yes", "on")


def _date(args: Mapping[str, Any], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery(name, f"{name}: use YYYY-MM-DD") from None


def _int(args: Mapping[str, Any], name: str, default: int) -> int:
    value = (args.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise BadQuery(name, f"{name}: a whole number") from None


def parse_list_query(args: Mapping[str, Any]) -> tuple[queries.CaseFilter, str, int]:
    """(filter, sort, page) from the query string; BadQuery for a value it cannot use."""
    case_type = (args.get("type") or "").strip() or None
    if case_type and case_type not in CASE_TYPES:
        raise BadQuery("type", f"type: one of {', '.join(CASE_TYPES)}")
    stage = (args.get("stage") or "").strip()
    assignee = (args.get("assignee") or "").strip()
    status = (args.get("status") or "").strip()
    if status not in ("", "open", "closed", "all"):
        raise BadQuery("status", "status: open, closed or all")
    sort = (args.get("sort") or "-created").strip()
    if sort not in queries.SORTS:
        raise BadQuery("sort", f"sort: one of {', '.join(queries.SORTS)}")
    channel = (args.get("channel") or "").strip() or None
    escalated = args.get("escalated")
    flt = queries.CaseFilter(
        type=case_type,
        stages=tuple(s for s in stage.split(",") if s),
        assignee_id=_int(args, "assignee", 0) if assignee not in ("", "none") else None,
        unassigned=assignee == "none",
        mine=_flag(args, "mine"),
        overdue=_flag(args, "overdue"),
        open={"open": True, "closed": False}.get(status),
        escalated=_flag(args, "escalated") if escalated not in (None, "") else None,
        channel=channel,
        created_from=_date(args, "from"),
        created_to=_date(args, "to"),
        q=(args.get("q") or "").strip()[:200] or None,
    )
    page = max(1, _int(args, "page", 1))
    return flt, sort, page


def _args(request: Request) -> dict[str, str]:
    return {key: request.args.get(key) for key in request.args}


def _item_json(item: queries.CaseListItem) -> dict[str, Any]:
    case = item.case
    return {
        "reference": case.reference,
        "type": case.type,
        "type_label": item.type_label,
        "stage": case.stage,
        "stage_label": item.stage_label,
        "is_open": case.is_open,
        "overdue": case.overdue,
        "escalated": case.escalated,
        "assignee_id": case.assignee_id,
        "assignee_name": item.assignee_name,
        "company": case.company,
        "contact_name": case.contact_name,
        "phone": case.phone,
        "email": case.email,
        "channel": case.channel,
        "channel_label": item.channel_label,
        "amount": case.amount,
        "created_at": case.created_at,
        "stage_changed_at": case.stage_changed_at,
        "due_at": case.due_at,
        "version": case.version,
    }


def _next_json(stage: transition.NextStage) -> dict[str, Any]:
    return {
        "id": stage.id,
        "labels": dict(stage.label),
        "final": stage.final,
        "notifies_customer": stage.notify,
        "fields": [
            {
                "name": spec.name,
                "type": spec.type,
                "labels": dict(spec.label),
                "required": spec.required,
                **(
                    {"choices": [{"id": cid, "labels": dict(lbl)} for cid, lbl in spec.choices]}
                    if spec.choices
                    else {}
                ),
            }
            for spec in stage.fields
        ],
    }


def _version(body: Mapping[str, Any]) -> int | None:
    value = body.get("version")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldErrors(
            {"version": {"id": "Versi tidak valid.", "en": "version must be a number."}}
        ) from None


def _assignee(body: Mapping[str, Any], actor: Actor) -> int | None:
    value = body.get("assignee_id")
    if value == "me":
        return actor.id
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldErrors(
            {"assignee_id": {"id": "Pilih petugas.", "en": "assignee_id must be an id."}}
        ) from None


def _fields(body: Mapping[str, Any]) -> dict[str, Any]:
    value = body.get("fields")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldErrors(
            {"fields": {"id": "Format data tidak valid.", "en": "fields must be an object."}}
        )
    return value


def _form_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """Stage fields from a desk form: inputs named ``field.<name>``."""
    return {k[len("field.") :]: v for k, v in form.items() if k.startswith("field.")}


def _page_links(args: Mapping[str, str], page: int, total: int) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE))

    def link(number: int) -> str:
        return "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": number})

    return {
        "page": page,
        "pages": pages,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


# ---- operations shared by the pages and the API -----------------------------------------


async def _list(actor: Actor, args: Mapping[str, Any]) -> dict[str, Any]:
    flt, sort, page = parse_list_query(args)
    result = await asyncio.to_thread(
        queries.list_cases,
        flt,
        actor=actor,
        sort=sort,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        language=LANGUAGE,
    )
    counts = await asyncio.to_thread(queries.stage_counts, flt, actor=actor, language=LANGUAGE)
    return {"filter": flt, "sort": sort, "page": page, "result": result, "counts": counts}


async def _detail(actor: Actor, reference: str) -> dict[str, Any]:
    info = await asyncio.to_thread(detail.case_detail, reference, actor=actor, language=LANGUAGE)
    events = await asyncio.to_thread(
        timeline.timeline, info.case.reference, actor=actor, language=LANGUAGE
    )
    moves = await asyncio.to_thread(transition.next_stages, info.case.reference, actor=actor)
    return {"detail": info, "timeline": events, "next_stages": moves}


def _detail_json(data: Mapping[str, Any]) -> dict[str, Any]:
    info: detail.CaseDetail = data["detail"]
    case = info.case
    return {
        "case": {
            **{k: v for k, v in asdict(case).items() if k != "fields"},
            "type_label": info.type_label,
            "stage_label": info.stage_label,
            "assignee_name": info.assignee_name,
            "channel_label": info.channel_label,
            "severity_label": info.severity_label,
            "attributes": [asdict(a) for a in info.attributes],
        },
        "items": list(info.items),
        "conversations": [
            {**asdict(c), "url": f"/desk/handoffs/{c.handoff_id}"} for c in info.conversations
        ],
        "timeline": [asdict(e) for e in data["timeline"]],
        "next_stages": [_next_json(s) for s in data["next_stages"]],
    }


# ---- routes -----------------------------------------------------------------------------


def register(bp: Blueprint) -> None:
    """Add the back-office pages and API routes to the desk blueprint."""
    _register_pages(bp)
    _register_admin_pages(bp)
    _register_api(bp)


def _register_pages(bp: Blueprint) -> None:
    @bp.get("/cases")
    @web.page
    async def cases_page(request: Request) -> HTTPResponse:
        args = _args(request)
        try:
            data = await _list(actor_of(request.ctx.agent), args)
        except BadQuery as exc:
            return render("error.html", request, status=422, message=str(exc))
        staff = await asyncio.to_thread(agents.list_agents)
        profile = get_profile()
        stage_choices = [
            (pid, pick(p.label, LANGUAGE), [(s, p.stage_label(s, LANGUAGE)) for s in p.stages])
            for pid, p in profile.pipelines.items()
        ]
        export_args = {k: v for k, v in args.items() if v and k != "page"}
        return render(
            "cases.html",
            request,
            args=args,
            data=data,
            staff=[a for a in staff if a.active],
            case_types=[(pid, pick(p.label, LANGUAGE)) for pid, p in profile.pipelines.items()],
            stage_choices=stage_choices,
            channels=[(c, channel_label(c, LANGUAGE)) for c in CHANNELS],
            sorts=SORT_LABELS,
            pages=_page_links(args, data["page"], data["result"].total),
            export_url="/desk/api/cases.csv"
            + ("?" + urlencode(export_args) if export_args else ""),
            title="Kasus",
        )

    @bp.get("/escalations")
    @web.page
    async def escalations_page(request: Request) -> HTTPResponse:
        if not agents.can_supervise(request.ctx.agent):
            return render(
                "error.html", request, status=403, message="Halaman ini khusus supervisor."
            )
        return response.redirect("/desk/cases?escalated=1&status=open&sort=due")

    @bp.get("/cases/<reference>")
    @web.page
    async def case_page(request: Request, reference: str) -> HTTPResponse:
        return await _case_page(request, reference)

    @bp.post("/cases/<reference>/<action:transition|assign|note|escalate>")
    @web.page
    async def case_action(request: Request, reference: str, action: str) -> HTTPResponse:
        if not web.same_origin(request) or not web.csrf_ok(request, web.supplied_csrf(request)):
            return render(
                "error.html",
                request,
                status=403,
                message="Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
            )
        form = {key: request.form.get(key) for key in request.form}
        actor = actor_of(request.ctx.agent)
        try:
            message = await _do(action, reference, form, actor)
        except CaseError as exc:
            return await _case_page(
                request,
                reference,
                status=exc.status,
                error=exc.message(LANGUAGE),
                field_errors=exc.errors if isinstance(exc, FieldErrors) else {},
                failed_action=action,
                failed_stage=form.get("to") if action == "transition" else None,
                form=form,
            )
        return response.redirect(
            f"/desk/cases/{reference}?" + urlencode({"ok": message}), status=303
        )


async def _do(action: str, reference: str, form: Mapping[str, Any], actor: Actor) -> str:
    """One form action; the confirmation shown after the redirect."""
    if action == "transition":
        result = await asyncio.to_thread(
            transition.transition,
            reference,
            str(form.get("to") or ""),
            _form_fields(form),
            form.get("note"),
            actor=actor,
            expected_version=_version(form),
        )
        pipeline = get_profile().pipeline(result.case.type)
        return f"Tahap diubah ke: {pipeline.stage_label(result.case.stage, LANGUAGE)}."
    if action == "assign":
        await asyncio.to_thread(
            assign.assign,
            reference,
            _assignee(form, actor),
            actor=actor,
            expected_version=_version(form),
        )
        return "Penugasan disimpan."
    if action == "escalate":
        await asyncio.to_thread(
            assign.escalate,
            reference,
            str(form.get("reason") or ""),
            actor=actor,
            expected_version=_version(form),
        )
        return "Kasus dieskalasi ke supervisor."
    await asyncio.to_thread(note.add_note, reference, str(form.get("note") or ""), actor=actor)
    return "Catatan ditambahkan."


async def _case_page(
    request: Request, reference: str, status: int = 200, **values: Any
) -> HTTPResponse:
    actor = actor_of(request.ctx.agent)
    try:
        data = await _detail(actor, reference)
    except CaseError as exc:
        return render("error.html", request, status=exc.status, message=exc.message(LANGUAGE))
    staff = await asyncio.to_thread(agents.list_agents)
    values.setdefault("field_errors", {})
    values.setdefault("form", {})
    return render(
        "case.html",
        request,
        status=status,
        data=data,
        case=data["detail"].case,
        info=data["detail"],
        staff=[a for a in staff if a.active],
        ok=request.args.get("ok") if status == 200 else None,
        title=data["detail"].case.reference,
        **values,
    )


def _register_admin_pages(bp: Blueprint) -> None:
    @bp.get("/admin/accounts")
    @web.page
    async def accounts_page(request: Request) -> HTTPResponse:
        return await _accounts_page(request)

    @bp.post("/admin/accounts")
    @web.page
    async def accounts_post(request: Request) -> HTTPResponse:
        refused = _admin_form_refused(request)
        if refused is not None:
            return refused
        form = {key: request.form.get(key) for key in request.form}
        try:
            message = await _account_action(request.ctx.agent.id, form)
        except ValueError as exc:
            return await _accounts_page(request, status=422, error=str(exc), form=form)
        return response.redirect("/desk/admin/accounts?" + urlencode({"ok": message}), status=303)

    @bp.get("/admin/tokens")
    @web.page
    async def tokens_page(request: Request) -> HTTPResponse:
        return await _tokens_page(request)

    @bp.post("/admin/tokens")
    @web.page
    async def tokens_post(request: Request) -> HTTPResponse:
        refused = _admin_form_refused(request)
        if refused is not None:
            return refused
        actor = actor_of(request.ctx.agent)
        form = {key: request.form.get(key) for key in request.form}
        try:
            if form.get("action") == "revoke":
                await asyncio.to_thread(
                    api_tokens.revoke_token, int(form.get("token_id") or 0), actor=actor
                )
                return response.redirect(
                    "/desk/admin/tokens?" + urlencode({"ok": "Token dicabut."}), status=303
                )
            created = await asyncio.to_thread(
                api_tokens.create_token,
                str(form.get("name") or ""),
                str(form.get("scope") or ""),
                actor=actor,
            )
        except CaseError as exc:
            return await _tokens_page(
                request,
                status=exc.status,
                error=exc.message(LANGUAGE),
                field_errors=exc.errors if isinstance(exc, FieldErrors) else {},
            )
        except ValueError:
            return await _tokens_page(request, status=422, error="Token tidak dikenal.")
        # Shown once, on this answer only (never in a URL or a log).
        return await _tokens_page(request, new_token=created)


def _admin_form_refused(request: Request) -> HTTPResponse | None:
    refused = _require_admin_page(request)
    if refused is not None:
        return refused
    if not web.same_origin(request) or not web.csrf_ok(request, web.supplied_csrf(request)):
        return render(
            "error.html",
            request,
            status=403,
            message="Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        )
    return None


async def _account_action(me_id: int | None, form: Mapping[str, Any]) -> str:
    """Create, disable/enable, reset password or change role; ValueError with a message."""
    action = form.get("action")
    if action == "create":
        created = await asyncio.to_thread(
            agents.create_agent,
            str(form.get("username") or ""),
            str(form.get("password") or ""),
            str(form.get("role") or "agent"),
            str(form.get("display_name") or "") or None,
        )
        return f"Akun {created.username} dibuat."
    try:
        agent_id = int(form.get("agent_id") or 0)
    except ValueError:
        raise ValueError("Akun tidak dikenal.") from None
    if agent_id == me_id and action in ("disable", "role"):
        raise ValueError("Akun Anda sendiri tidak bisa dinonaktifkan atau diubah perannya.")
    if action == "disable":
        done = await asyncio.to_thread(agents.set_active, agent_id, False)
        message = "Akun dinonaktifkan; semua sesinya berakhir."
    elif action == "enable":
        done = await asyncio.to_thread(agents.set_active, agent_id, True)
        message = "Akun diaktifkan kembali."
    elif action == "password":
        done = await asyncio.to_thread(
            agents.change_password, agent_id, str(form.get("password") or "")
        )
        message = "Kata sandi diganti; semua sesinya berakhir."
    elif action == "role":
        done = await asyncio.to_thread(agents.set_role, agent_id, str(form.get("role") or ""))
        message = "Peran diubah; semua sesinya berakhir."
    else:
        raise ValueError("Tindakan tidak dikenal.")
    if not done:
        raise ValueError("Akun tidak ditemukan.")
    return message


async def _accounts_page(request: Request, status: int = 200, **values: Any) -> HTTPResponse:
    refused = _require_admin_page(request)
    if refused is not None:
        return refused
    accounts = await asyncio.to_thread(agents.list_agents)
    values.setdefault("form", {})
    return render(
        "admin_accounts.html",
        request,
        status=status,
        accounts=accounts,
        roles=AGENT_ROLES,
        ok=request.args.get("ok") if status == 200 else None,
        title="Akun petugas",
        **values,
    )


async def _tokens_page(request: Request, status: int = 200, **values: Any) -> HTTPResponse:
    refused = _require_admin_page(request)
    if refused is not None:
        return refused
    actor = actor_of(request.ctx.agent)
    listed = await asyncio.to_thread(api_tokens.list_tokens, actor=actor)
    names = {a.id: a.display_name for a in await asyncio.to_thread(agents.list_agents)}
    values.setdefault("field_errors", {})
    return render(
        "admin_tokens.html",
        request,
        status=status,
        tokens=listed,
        names=names,
        scopes=API_TOKEN_SCOPES,
        ok=request.args.get("ok") if status == 200 else None,
        title="Token API",
        **values,
    )


def _register_api(bp: Blueprint) -> None:
    @bp.get("/api/cases")
    @api
    async def api_cases(request: Request) -> HTTPResponse:
        data = await _list(request.ctx.actor, _args(request))
        result: queries.CasePage = data["result"]
        return web.json_response(
            {
                "total": result.total,
                "page": data["page"],
                "page_size": result.limit,
                "cases": [_item_json(item) for item in result.items],
                "counts": [asdict(c) for c in data["counts"]],
            }
        )

    @bp.get("/api/cases.csv")
    @api
    async def api_cases_csv(request: Request) -> HTTPResponse:
        actor: Actor = request.ctx.actor
        flt, sort, _page = parse_list_query(_args(request))
        language = lang(request.args.get("lang"))
        text = await asyncio.to_thread(
            queries.export_csv, flt, actor=actor, sort=sort, language=language
        )
        stamp = get_profile().local_now().strftime("%Y%m%d-%H%M")
        return response.raw(
            text.encode("utf-8"),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kasus-{stamp}.csv"'},
        )

    @bp.get("/api/cases/<reference>")
    @api
    async def api_case(request: Request, reference: str) -> HTTPResponse:
        return web.json_response(_detail_json(await _detail(request.ctx.actor, reference)))

    @bp.post("/api/cases/<reference>/transition")
    @api
    async def api_transition(request: Request, reference: str) -> HTTPResponse:
        body = request.ctx.body
        to = body.get("to")
        if not isinstance(to, str) or not to:
            raise FieldErrors({"to": {"id": "Pilih tahap tujuan.", "en": "to: the next stage."}})
        note_text = body.get("note")
        result = await asyncio.to_thread(
            transition.transition,
            reference,
            to,
            _fields(body),
            note_text if isinstance(note_text, str) else None,
            actor=request.ctx.actor,
            expected_version=_version(body),
        )
        return web.json_response(_change_json(result))

    @bp.post("/api/cases/<reference>/assign")
    @api
    async def api_assign(request: Request, reference: str) -> HTTPResponse:
        body = request.ctx.body
        result = await asyncio.to_thread(
            assign.assign,
            reference,
            _assignee(body, request.ctx.actor),
            actor=request.ctx.actor,
            expected_version=_version(body),
        )
        return web.json_response(_change_json(result))

    @bp.post("/api/cases/<reference>/escalate")
    @api
    async def api_escalate(request: Request, reference: str) -> HTTPResponse:
        body = request.ctx.body
        reason = body.get("reason")
        result = await asyncio.to_thread(
            assign.escalate,
            reference,
            reason if isinstance(reason, str) else "",
            actor=request.ctx.actor,
            expected_version=_version(body),
        )
        return web.json_response(_change_json(result))

    @bp.post("/api/cases/<reference>/note")
    @api
    async def api_case_note(request: Request, reference: str) -> HTTPResponse:
        text = request.ctx.body.get("text")
        event_id = await asyncio.to_thread(
            note.add_note, reference, text if isinstance(text, str) else "", actor=request.ctx.actor
        )
        return web.json_response({"ok": True, "event_id": event_id})

    # -- admin: accounts and API tokens --

    @bp.get("/api/admin/accounts")
    @api
    async def api_accounts(request: Request) -> HTTPResponse:
        refused = _require_admin_api(request)
        if refused is not None:
            return refused
        accounts = await asyncio.to_thread(agents.list_agents)
        return web.json_response({"accounts": [asdict(a) for a in accounts]})

    @bp.post("/api/admin/accounts")
    @api
    async def api_account_action(request: Request) -> HTTPResponse:
        refused = _require_admin_api(request)
        if refused is not None:
            return refused
        body = {k: v for k, v in request.ctx.body.items() if isinstance(v, (str, int))}
        try:
            message = await _account_action(request.ctx.actor.id, body)
        except ValueError as exc:
            return web.json_response({"error": "invalid_fields", "message": str(exc)}, status=422)
        return web.json_response({"ok": True, "message": message})

    @bp.get("/api/admin/tokens")
    @api
    async def api_tokens_list(request: Request) -> HTTPResponse:
        listed = await asyncio.to_thread(api_tokens.list_tokens, actor=request.ctx.actor)
        return web.json_response({"tokens": [asdict(t) for t in listed]})

    @bp.post("/api/admin/tokens")
    @api
    async def api_tokens_create(request: Request) -> HTTPResponse:
        body = request.ctx.body
        created = await asyncio.to_thread(
            api_tokens.create_token,
            str(body.get("name") or ""),
            str(body.get("scope") or ""),
            actor=request.ctx.actor,
        )
        return web.json_response({"token": created.token, **asdict(created.record)}, status=201)

    @bp.post("/api/admin/tokens/<token_id:int>/revoke")
    @api
    async def api_tokens_revoke(request: Request, token_id: int) -> HTTPResponse:
        revoked = await asyncio.to_thread(
            api_tokens.revoke_token, token_id, actor=request.ctx.actor
        )
        return web.json_response(asdict(revoked))


def _change_json(result: Any) -> dict[str, Any]:
    case = result.case
    pipeline = get_profile().pipeline(case.type)
    return {
        "ok": True,
        "reference": case.reference,
        "stage": case.stage,
        "stage_label": pipeline.stage_label(case.stage, LANGUAGE),
        "assignee_id": case.assignee_id,
        "version": case.version,
        "event_id": result.event_id,
        "notification_id": result.notification_id,
        "replayed": result.replayed,
    }
