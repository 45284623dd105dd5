"""Settings from the environment, in one place.

Every setting has a documented default that works on a developer machine with the
embedded SQLite database. Secrets have no default in git: when unset, a random value is
generated once and kept in ``var/`` (git-ignored) so restarts keep sessions valid.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot import PROJECT_ROOT


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def var_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where generated secrets, SQLite files, runtime endpoints and logs live (BOT_VAR_DIR)."""
    return Path(_environ(env).get("BOT_VAR_DIR") or PROJECT_ROOT / "var")


# This process's var dir. A process is told its var dir by the environment it starts with;
# code that prepares another process's environment uses ``load_settings(env).var_dir``.
VAR_DIR = var_dir()


def _secret(env_name: str, file_name: str, env: Mapping[str, str], directory: Path) -> str:
    """Return the secret from the environment, or a generated one persisted under var/."""
    value = env.get(env_name)
    if value:
        return value
    path = directory / file_name
    if path.exists():
        return path.read_text().strip()
    from bot.private_files import private_dir

    private_dir(directory, tighten=True)
    value = secrets.token_urlsafe(32)
    # O_EXCL so two processes starting together agree on one value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    rasa_host: str
    rasa_port: int
    action_port: int
    web_port: int
    action_endpoint_url: str
    business_profile_path: Path
    log_level: str
    var_dir: Path = field(default_factory=var_dir)
    # Address the action server listens on: loopback unless a container needs 0.0.0.0.
    action_host: str = "127.0.0.1"
    # Address the demo page (``python -m bot web``) listens on.
    web_host: str = "0.0.0.0"
    # Rasa's tracker store; None means "derive from the CRM database" (bot/tracker_store.py).
    tracker_database_url: str | None = None
    # The environment secrets are read from (on each access, never cached here).
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False, compare=False)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    # Secrets: read (or generated into var/) only when asked for, never kept in the settings.
    @property
    def rasa_auth_token(self) -> str:
        return _secret("RASA_AUTH_TOKEN", "rasa_auth_token", self.env, self.var_dir)

    @property
    def desk_secret_key(self) -> str:
        return _secret("DESK_SECRET_KEY", "desk_secret_key", self.env, self.var_dir)

    @property
    def action_server_token(self) -> str:
        """What Rasa sends the action server (``Authorization: Bearer``); shared by replicas."""
        return _secret("ACTION_SERVER_TOKEN", "action_server_token", self.env, self.var_dir)

    @property
    def analytics_hash_key(self) -> str:
        """Key of the sender-id hash in analytics rows (bot/analytics): shared by replicas."""
        return _secret("ANALYTICS_HASH_KEY", "analytics_hash_key", self.env, self.var_dir)

    @property
    def analytics_capture(self) -> bool:
        """``ANALYTICS_CAPTURE`` (default on): the event broker writes analytics_events."""
        return self.env.get("ANALYTICS_CAPTURE", "1").strip().lower() not in ("0", "false", "no")

    @property
    def metrics_token(self) -> str | None:
        """``METRICS_TOKEN``: /metrics answers with ``Authorization: Bearer`` it; unset: loopback
        clients only (bot/observability.py)."""
        return self.env.get("METRICS_TOKEN") or None

    @property
    def worker_metrics_port(self) -> int | None:
        """``WORKER_METRICS_PORT``: the worker's /metrics, /healthz, /readyz (off when unset)."""
        value = self.env.get("WORKER_METRICS_PORT", "").strip()
        return int(value) if value else None

    @property
    def worker_metrics_host(self) -> str:
        return self.env.get("WORKER_METRICS_HOST") or "127.0.0.1"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: this process's environment), read now."""
    env = _environ(env)
    directory = var_dir(env)
    rasa_port = int(env.get("RASA_PORT", "5005"))
    action_port = int(env.get("ACTION_PORT", "5055"))
    return Settings(
        database_url=env.get("CRM_DATABASE_URL") or f"sqlite:///{directory / 'crm.sqlite3'}",
        redis_url=env.get("REDIS_URL") or None,
        rasa_host=env.get("RASA_HOST", "localhost"),
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=int(env.get("WEB_PORT", "8080")),
        action_endpoint_url=env.get(
            "ACTION_ENDPOINT_URL", f"http://127.0.0.1:{action_port}/webhook"
        ),
        business_profile_path=Path(
            env.get("BUSINESS_PROFILE", PROJECT_ROOT / "data" / "business_profile.yml")
        ),
        log_level=env.get("LOG_LEVEL", "INFO"),
        var_dir=directory,
        action_host=env.get("ACTION_HOST") or "127.0.0.1",
        web_host=env.get("WEB_HOST") or "0.0.0.0",
        tracker_database_url=env.get("TRACKER_DATABASE_URL") or None,
        env=env,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """This process's settings, read once (tests call ``get_settings.cache_clear()``)."""
    return load_settings()


# --- channels (bot/channels/): WhatsApp Cloud API, Twilio, website widget -----------------
# Read on every call (no cache): channels read them once at start-up, and tests change env.
DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com/v18.0"


@dataclass(frozen=True)
class ChannelSettings:
    # WhatsApp Business Cloud API (Meta). Empty secrets mean "not configured": the webhook
    # then refuses every request (fail closed) instead of accepting unsigned posts.
    whatsapp_verify_token: str
    whatsapp_app_secret: str
    whatsapp_access_token: str
    whatsapp_phone_number_id: str
    # None when unset: credentials.yml may then give one, else DEFAULT_GRAPH_BASE_URL.
    whatsapp_graph_base_url: str | None
    # Twilio (WhatsApp through Twilio). The webhook URL is the exact public URL configured
    # in the Twilio console; Twilio signs that URL, not what the proxy forwards to us.
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_whatsapp_number: str
    twilio_webhook_url: str | None
    # Twilio REST API base URL (default Twilio's); tests point it at a local fake server.
    twilio_api_base_url: str | None
    # Website widget: browser origins allowed to open the socket.io connection, and the
    # Rasa URL the demo page tells the widget to connect to.
    web_origins: tuple[str, ...]
    rasa_public_url: str
    # Optional bearer token for the REST channel (recommended in production).
    rest_channel_token: str | None
    # Size limits shared by every channel. WhatsApp itself caps a text message at 4096
    # characters; a body far above any legitimate message (4096 emoji escaped in JSON are
    # ~50 KB) is refused before parsing.
    max_message_chars: int = 4096
    max_body_bytes: int = 256 * 1024
    # Payload a new widget conversation starts with.
    init_payload: str = "/greet"


def get_channel_settings(env: Mapping[str, str] | None = None) -> ChannelSettings:
    env = _environ(env)
    web_port = env.get("WEB_PORT", "8080")
    origins = env.get("WEB_ORIGINS") or f"http://localhost:{web_port},http://127.0.0.1:{web_port}"
    return ChannelSettings(
        whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
        whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", ""),
        whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN", ""),
        whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
        whatsapp_graph_base_url=(env.get("WHATSAPP_GRAPH_BASE_URL") or "").rstrip("/") or None,
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_whatsapp_number=env.get("TWILIO_WHATSAPP_NUMBER", ""),
        twilio_webhook_url=env.get("TWILIO_WEBHOOK_URL") or None,
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        web_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
        rasa_public_url=(
            env.get("RASA_PUBLIC_URL") or f"http://localhost:{env.get('RASA_PORT', '5005')}"
        ).rstrip("/"),
        rest_channel_token=env.get("REST_CHANNEL_TOKEN") or None,
        max_message_chars=int(env.get("CHAT_MAX_MESSAGE_CHARS") or 4096),
        max_body_bytes=int(env.get("CHAT_MAX_BODY_BYTES") or 256 * 1024),
        init_payload=env.get("CHAT_INIT_PAYLOAD") or "/greet",
    )


# --- agent desk (bot/desk/) ---------------------------------------------------------------
# Read on every call (no cache), like the channel settings. The session-signing key is
# Settings.desk_secret_key (DESK_SECRET_KEY); every replica must share it.


@dataclass(frozen=True)
class DeskSettings:
    # Mark the session cookie Secure (send it over HTTPS only). Set DESK_COOKIE_SECURE=1
    # whenever the desk is reached over HTTPS; off by default so http://localhost works.
    cookie_secure: bool
    # An agent counts as online if their desk was seen within this many seconds.
    presence_seconds: int
    # Failed-or-not login attempts allowed per username and client address per window.
    login_attempts: int
    login_window_seconds: int
    # Attempts allowed per client address per window, whatever the username.
    login_address_attempts: int
    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDR networks, "*" = any).
    # Empty (default): the client address is the socket peer and the header is ignored,
    # so nobody can pick their own address by sending the header.
    trusted_proxies: tuple[str, ...]


def get_desk_settings(env: Mapping[str, str] | None = None) -> DeskSettings:
    env = _environ(env)
    return DeskSettings(
        cookie_secure=env.get("DESK_COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
        presence_seconds=int(env.get("DESK_PRESENCE_SECONDS", "60")),
        login_attempts=int(env.get("DESK_LOGIN_ATTEMPTS", "5")),
        login_window_seconds=int(env.get("DESK_LOGIN_WINDOW_SECONDS", "300")),
        login_address_attempts=int(env.get("DESK_LOGIN_ADDRESS_ATTEMPTS", "30")),
        trusted_proxies=tuple(
            part.strip()
            for part in (
                env.get("DESK_TRUSTED_PROXIES") or env.get("FORWARDED_ALLOW_IPS") or ""
            ).split(",")
            if part.strip()
        ),
    )


# --- notification worker (bot/notify/, ``python -m bot worker``) --------------------------
# Read on every call (no cache), like the channel settings. Secrets (SMTP_PASSWORD) come from
# the environment only, never from a file in git.


@dataclass(frozen=True)
class WorkerSettings:
    # Seconds between polls when nothing was due; a busy worker polls again at once.
    poll_seconds: float
    # Rows claimed per transaction.
    batch_size: int
    # Provider calls in flight at once per worker (a claimed batch is sent by this many
    # threads): a provider answers in 0.1-1 s, so one-at-a-time would cap a worker at a few/s.
    concurrency: int
    # Attempts before a notification is dead-lettered (status 'dead').
    max_attempts: int
    # A row left in 'sending' longer than this was claimed by a worker that died: reclaimable.
    lease_seconds: int
    # Retry n waits about backoff_base * 2**(n-1) seconds (with jitter), at most backoff_max.
    backoff_base_seconds: float
    backoff_max_seconds: float
    # E-mail (SMTP). smtp_host empty = e-mail disabled (notifications wait, see bot/notify).
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str
    smtp_password: str
    smtp_from: str
    smtp_timeout_seconds: float


def get_worker_settings() -> WorkerSettings:
    env = os.environ
    return WorkerSettings(
        poll_seconds=float(env.get("NOTIFY_POLL_SECONDS", "1.0")),
        batch_size=int(env.get("NOTIFY_BATCH_SIZE", "20")),
        concurrency=max(1, int(env.get("NOTIFY_CONCURRENCY", "4"))),
        max_attempts=int(env.get("NOTIFY_MAX_ATTEMPTS", "6")),
        lease_seconds=int(env.get("NOTIFY_LEASE_SECONDS", "300")),
        backoff_base_seconds=float(env.get("NOTIFY_BACKOFF_BASE_SECONDS", "30")),
        backoff_max_seconds=float(env.get("NOTIFY_BACKOFF_MAX_SECONDS", "3600")),
        smtp_host=env.get("SMTP_HOST", "").strip(),
        smtp_port=int(env.get("SMTP_PORT", "587")),
        smtp_starttls=env.get("SMTP_STARTTLS", "1").lower() in ("1", "true", "yes"),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_from=env.get("SMTP_FROM", "").strip(),
        smtp_timeout_seconds=float(env.get("SMTP_TIMEOUT_SECONDS", "20")),
    )


# --- trust and personal data (issue 12) ---------------------------------------------------
# Small functions rather than Settings fields: read on every call, like the channel settings.


def rasa_bind_host(env: Mapping[str, str] | None = None) -> str:
    """Interface the Rasa server listens on (RASA_BIND_HOST; default 127.0.0.1, this machine).

    ``python -m bot run`` passes it to ``rasa run --interface``. The REST channel reads it too:
    bound to a loopback address it may serve local callers without REST_CHANNEL_TOKEN; bound
    to anything else (``0.0.0.0`` in a container) it requires the token.
    """
    return _environ(env).get("RASA_BIND_HOST", "").strip() or "127.0.0.1"


def is_loopback_host(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost``: reachable from this machine only."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def personal_data_retention_days() -> int | None:
    """PERSONAL_DATA_RETENTION_DAYS: after this many days without activity, a closed
    conversation's personal data are anonymised (``python -m bot customer purge-expired``).
    Unset or 0 (the default): kept until erased on request; each business sets its own period
    (UU PDP asks for one, but its length is the business's decision, not ours)."""
    raw = _environ(None).get("PERSONAL_DATA_RETENTION_DAYS", "").strip()
    days = int(raw or "0")
    if days < 0:
        raise ValueError("PERSONAL_DATA_RETENTION_DAYS must be 0 (keep) or a number of days")
    return days or None


def tracker_database_url(env: Mapping[str, str] | None = None) -> str:
    """TRACKER_DATABASE_URL, else the CRM database (PostgreSQL) or a sibling SQLite file.

    With SQLite the tracker gets its own file: Rasa and the action server then never
    wait on each other's write lock. (bot/tracker_store.py creates it private.)
    """
    settings = load_settings(env) if env is not None else get_settings()
    if settings.tracker_database_url:
        return settings.tracker_database_url
    if settings.database_url.startswith("sqlite"):
        return f"sqlite:///{settings.var_dir / 'tracker.sqlite3'}"
    return settings.database_url


# --- logging (bot/logging_setup.py) ----------------------------------------------------------


@dataclass(frozen=True)
class LogSettings:
    level: str
    # "text" or "json" (one JSON object per line); masked either way.
    format: str
    # LOG_FILE: a path, "" for var/logs/bot.log, "-" for the console only.
    file: str


def get_log_settings(env: Mapping[str, str] | None = None) -> LogSettings:
    env = _environ(env)
    return LogSettings(
        level=env.get("LOG_LEVEL", "INFO"),
        format=env.get("LOG_FORMAT", "text").strip().lower(),
        file=env.get("LOG_FILE", "").strip(),
    )


def handoff_max_wait_minutes(default: int, env: Mapping[str, str] | None = None) -> int:
    """HANDOFF_MAX_WAIT_MINUTES: a widget customer waiting longer is offered a callback
    (0 = never)."""
    return int(_environ(env).get("HANDOFF_MAX_WAIT_MINUTES") or default)
