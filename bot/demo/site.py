"""``python -m bot web``: the demo company page with the chat widget, on WEB_PORT (8080).

A separate small process (standard-library HTTP server) rather than a route on the Rasa
server: the page is static, must stay up while Rasa restarts or retrains, and a real company
would serve it from its own website anyway. Everything is served from the project: the
widget (web/static), and socket.io-client from node_modules (installed by ``npm ci`` from
the committed package-lock.json), never from a CDN.
"""

from __future__ import annotations

import html
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from bot import PROJECT_ROOT

logger = logging.getLogger(__name__)

WEB_DIR = PROJECT_ROOT / "web"
SOCKET_IO_BUNDLE = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _static_files() -> dict[str, Path]:
    """URL path -> file. An explicit map: no path from the URL ever reaches the filesystem."""
    files = {f"/static/{p.name}": p for p in (WEB_DIR / "static").iterdir() if p.suffix in _TYPES}
    files["/vendor/socket.io.min.js"] = SOCKET_IO_BUNDLE
    return files


def page_values() -> dict[str, str]:
    """Company facts for the page from the business profile (neutral text if unavailable)."""
    values = {
        "company_name": "Contoh Perusahaan",
        "description": "Layanan kalibrasi alat ukur dan pembiayaan kendaraan.",
        "instruments": "-",
        "financing_products": "-",
        "branches": "",
        "phone": "-",
        "whatsapp": "-",
        "email": "-",
    }
    try:
        from bot.profile import get_profile, pick

        profile = get_profile()
        raw = profile.raw
        values.update(
            company_name=profile.name,
            description=pick(raw["company"].get("description", ""), "id").strip(),
            instruments=", ".join(pick(i.name, "id") for i in profile.instruments[:6]),
            financing_products=", ".join(pick(p.name, "id") for p in profile.financing_products),
            phone=str(profile.contact.get("phone", "-")),
            whatsapp=str(profile.contact.get("whatsapp", "-")),
            email=str(profile.contact.get("email", "-")),
        )
        escaped = {k: html.escape(v) for k, v in values.items()}
        escaped["branches"] = "".join(
            f"<li><strong>{html.escape(pick(b.name, 'id'))}</strong> — {html.escape(b.address)}</li>"
            for b in profile.branches
        )
        return escaped
    except Exception:
        logger.exception("business profile unavailable; the demo page uses neutral text")
        return {k: html.escape(v) for k, v in values.items()}


def widget_config() -> dict[str, object]:
    from bot.config import get_channel_settings

    settings = get_channel_settings()
    name = page_values()["company_name"]
    return {
        "socketUrl": settings.rasa_public_url,
        "socketPath": "/socket.io",
        "initPayload": settings.init_payload,
        "title": html.unescape(name),
        "storageKey": "layanan-chat:v1",
        "maxChars": settings.max_message_chars,
    }


def content_security_policy(rasa_url: str) -> str:
    parts = urlsplit(rasa_url)
    ws = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; "
        f"connect-src 'self' {rasa_url} {ws}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


class DemoSiteHandler(BaseHTTPRequestHandler):
    server_version = "demo-site"

    def _send(self, status: int, body: bytes, content_type: str, cache: bool = False) -> None:
        from bot.config import get_channel_settings

        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            content_security_policy(get_channel_settings().rasa_public_url),
        )
        self.send_header("Cache-Control", "public, max-age=300" if cache else "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self, path: str) -> tuple[int, bytes, str, bool]:
        if path in ("/", "/index.html"):
            template = Template((WEB_DIR / "index.html").read_text(encoding="utf-8"))
            return (
                200,
                template.safe_substitute(page_values()).encode(),
                "text/html; charset=utf-8",
                False,
            )
        if path == "/config.js":
            # json.dumps + escaping "<" keeps the value inert even if it contained "</script>".
            data = json.dumps(widget_config()).replace("<", "\\u003c")
            return 200, f"window.LAYANAN_CHAT_CONFIG = {data};\n".encode(), _TYPES[".js"], False
        if path == "/favicon.ico":
            return 204, b"", "image/x-icon", True
        if path == "/healthz":
            return 200, b'{"status": "ok"}', "application/json", False
        target: Path | None = _static_files().get(path)
        if target is None:
            return 404, b"Not found", "text/plain; charset=utf-8", False
        if not target.exists():
            logger.error("%s is missing: run `npm ci` (see docs/channels.md)", target)
            return 503, b"Widget bundle missing: run npm ci", "text/plain; charset=utf-8", False
        return 200, target.read_bytes(), _TYPES[target.suffix], True

    def do_GET(self) -> None:
        try:
            status, body, content_type, cache = self._route(urlsplit(self.path).path)
        except Exception:
            logger.exception("demo page failed")
            status, body, content_type, cache = (
                500,
                b"Internal error",
                "text/plain; charset=utf-8",
                False,
            )
        self._send(status, body, content_type, cache)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("demo site: " + format, *args)


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), DemoSiteHandler)
    server.daemon_threads = True
    return server


def serve(host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted. Defaults: WEB_HOST (0.0.0.0) and WEB_PORT (8080)."""
    from bot.config import get_settings

    host = host or get_settings().web_host
    port = port or get_settings().web_port
    if not SOCKET_IO_BUNDLE.exists():
        logger.error("socket.io-client is not installed (%s): run `npm ci`", SOCKET_IO_BUNDLE)
    server = make_server(host, port)
    logger.info("Demo page with the chat widget on http://localhost:%d/", port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
