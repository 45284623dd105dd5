"""Our own entry points for the two servers: ``python -m bot serve-rasa`` and ``serve-actions``.

Why not ``python -m rasa run`` / ``python -m rasa_sdk`` directly:

* **No secret on a command line.** ``rasa run`` takes its API token only as
  ``--auth-token <secret>``, which every local user can read in ``ps``. ``serve-rasa`` reads
  the token from ``RASA_AUTH_TOKEN`` or ``var/rasa_auth_token`` and hands it to Rasa's own
  command-line parser in this process, so the real argv never contains it.
* **Patches installed at start, explicitly.** ``serve-rasa`` calls ``bot.patches.install()``
  before Rasa loads anything, whatever credentials.yml lists (the widget's websocket needs
  the Sanic shim even without the desk channel), and stops with a clear error on a Rasa or
  Sanic version the patches were not written for.
* **An authenticated action server.** rasa_sdk has no authentication and listens on
  0.0.0.0: anyone who can reach it can run any action with forged slots. ``serve-actions``
  builds rasa_sdk's own Sanic app, listens on ``ACTION_HOST`` (127.0.0.1 by default) and
  refuses every call except ``/health`` without ``Authorization: Bearer
  <ACTION_SERVER_TOKEN>``, which Rasa sends from the runtime endpoints file
  (``bot.runner.write_runtime_endpoints``).

The command lines themselves are built in one place, ``bot.runner``.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import get_settings
from bot.errors import StartupError

logger = logging.getLogger(__name__)

# Options of `rasa run` that serve-rasa sets itself and refuses on its own command line.
_SECRET_OPTIONS = ("--auth-token", "-t", "--jwt-secret", "--ssl-password")


def serve_rasa(rasa_run_args: list[str]) -> int:
    """``rasa run <rasa_run_args> --enable-api --auth-token <token>``, in this process."""
    for arg in rasa_run_args:
        if arg.split("=", 1)[0] in _SECRET_OPTIONS:
            raise StartupError(
                f"{arg.split('=', 1)[0]} must not be given on the command line "
                "(visible in `ps`): serve-rasa reads RASA_AUTH_TOKEN or var/rasa_auth_token"
            )
    from bot import patches

    patches.install()
    token = get_settings().rasa_auth_token
    import rasa.__main__

    # Rasa's CLI parses sys.argv; changing this list does not change what `ps` shows.
    sys.argv = ["rasa", "run", *rasa_run_args, "--enable-api", "--auth-token", token]
    rasa.__main__.main()
    return 0


def bearer_token_guard(
    token: str, open_paths: frozenset[str] = frozenset({"/health"})
) -> Callable[[Any], Awaitable[Any]]:
    """A Sanic request middleware: 401 unless ``Authorization: Bearer <token>``."""
    if not token:
        raise StartupError("the action server token is empty")
    expected = f"Bearer {token}".encode()

    async def require_token(request: Any) -> Any:
        if request.path in open_paths:
            return None
        given = (request.headers.get("Authorization") or "").encode()
        if hmac.compare_digest(given, expected):
            return None
        from sanic import response

        logger.warning("action server call to %s without a valid credential refused", request.path)
        return response.json(
            {"error": "unauthorized", "message": "A valid action-server credential is required."},
            status=401,
        )

    return require_token


async def _time_action(request: Any) -> None:
    import time

    request.ctx.started = time.perf_counter()


async def _count_action(request: Any, resp: Any) -> None:
    """Prometheus: latency and failures of each custom action call (``/webhook``)."""
    if request.path != "/webhook" or not hasattr(request.ctx, "started"):
        return
    import time

    from bot.observability import ACTION_ERRORS, ACTION_LATENCY

    try:
        action = str((request.json or {}).get("next_action") or "unknown")[:80]
    except Exception:  # noqa: BLE001 - an unreadable body is still a call
        action = "unknown"
    ACTION_LATENCY.labels(action=action).observe(time.perf_counter() - request.ctx.started)
    if resp is not None and resp.status >= 400:
        ACTION_ERRORS.labels(action=action).inc()


def create_action_app(token: str, actions_package: str = "actions") -> Any:
    """rasa_sdk's own Sanic app (same routes, same executor) behind the token guard."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.plugin import plugin_manager

    # No CORS: only Rasa calls the action server, never a browser.
    app = create_app(actions_package, cors_origins=None)
    # /healthz, /readyz, /metrics (issue 17): open to the probe; /metrics has its own guard.
    from bot.desk.ops import OPS_PATHS, add_ops_routes

    add_ops_routes(app)
    app.register_middleware(
        bearer_token_guard(token, frozenset({"/health"}) | OPS_PATHS), "request"
    )
    app.register_middleware(_time_action, "request")
    app.register_middleware(_count_action, "response")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def serve_actions(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot serve-actions")
    parser.add_argument("--host", help="listen address (default ACTION_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default ACTION_PORT, 5055)")
    parser.add_argument("--actions", default="actions", help="package of the custom actions")
    args = parser.parse_args(argv)
    settings = get_settings()
    host = args.host or settings.action_host
    port = args.port or settings.action_port

    from rasa_sdk import utils

    utils.configure_colored_logging(settings.log_level)
    utils.update_sanic_log_level()
    from bot.logging_setup import install_pii_filter

    install_pii_filter()
    app = create_action_app(settings.action_server_token, args.actions)
    logger.info("Action server listening on http://%s:%s (credential required)", host, port)
    app.run(host, port, workers=utils.number_of_sanic_workers())
    return 0
