"""``/healthz``, ``/readyz`` and ``/metrics`` on a Sanic app or blueprint (issue 17).

Why a separate module: the Rasa server (through the desk blueprint, so under ``/desk/``) and
the action server mount the same three routes; the rules (what readiness checks, who may
read metrics) live in ``bot.observability``, this is only the Sanic glue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import Request, response
from sanic.response import HTTPResponse

from bot import observability

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def add_ops_routes(target: Any, name_prefix: str = "ops") -> None:
    """Add the three routes to ``target`` (a Sanic app or Blueprint)."""
    observability.register_database_collector()

    async def healthz(request: Request) -> HTTPResponse:
        return response.json(observability.liveness())

    async def readyz(request: Request) -> HTTPResponse:
        ready, body = await asyncio.to_thread(observability.readiness)
        return response.json(body, status=200 if ready else 503)

    async def metrics(request: Request) -> HTTPResponse:
        forwarded = bool(request.headers.get("x-forwarded-for") or request.headers.get("forwarded"))
        if not observability.metrics_allowed(
            request.headers.get("authorization"), request.ip, forwarded
        ):
            return response.json(
                {"error": "forbidden", "message": "Metrics need the metrics token."}, status=403
            )
        body, content_type = await asyncio.to_thread(observability.render_metrics)
        return response.raw(body, content_type=content_type)

    target.add_route(healthz, "/healthz", methods=["GET"], name=f"{name_prefix}_healthz")
    target.add_route(readyz, "/readyz", methods=["GET"], name=f"{name_prefix}_readyz")
    target.add_route(metrics, "/metrics", methods=["GET"], name=f"{name_prefix}_metrics")
