"""Settings from the environment, in one place.

Every setting has a documented default that works on a developer machine with the
embedded SQLite database. Secrets have no default in git: when unset, a random value is
generated once and kept in ``var/`` (git-ignored) so restarts keep sessions valid.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot import PROJECT_ROOT

VAR_DIR = Path(os.environ.get("BOT_VAR_DIR", PROJECT_ROOT / "var"))


def _default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"


def _secret(env_name: str, file_name: str) -> str:
    """Return the secret from the environment, or a generated one persisted under var/."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = VAR_DIR / file_name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
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
    redis_url: Optional[str]
    rasa_host: str
    rasa_port: int
    action_port: int
    web_port: int
    action_endpoint_url: str
    business_profile_path: Path
    log_level: str

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def rasa_auth_token(self) -> str:
        return _secret("RASA_AUTH_TOKEN", "rasa_auth_token")

    @property
    def desk_secret_key(self) -> str:
        return _secret("DESK_SECRET_KEY", "desk_secret_key")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    rasa_port = int(os.environ.get("RASA_PORT", "5005"))
    action_port = int(os.environ.get("ACTION_PORT", "5055"))
    return Settings(
        database_url=os.environ.get("CRM_DATABASE_URL") or _default_database_url(),
        redis_url=os.environ.get("REDIS_URL") or None,
        rasa_host=os.environ.get("RASA_HOST", "localhost"),
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=int(os.environ.get("WEB_PORT", "8080")),
        action_endpoint_url=os.environ.get(
            "ACTION_ENDPOINT_URL", f"http://localhost:{action_port}/webhook"
        ),
        business_profile_path=Path(
            os.environ.get("BUSINESS_PROFILE", PROJECT_ROOT / "data" / "business_profile.yml")
        ),
        log_level=os.environ.get("LOG_LEVEL", "INFO"),
    )
