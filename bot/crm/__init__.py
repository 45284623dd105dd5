"""The CRM data layer: models, engine/session handling, migrations and repositories.

Callers (actions, channels, the desk) use the repository modules only. Every repository
call is one short unit of work and returns plain frozen dataclasses (``bot.crm.types``),
never live ORM objects, so nothing outside this package holds a session open.
"""

from bot.crm.db import CRMConfigError, get_engine, session_scope

__all__ = ["CRMConfigError", "get_engine", "session_scope"]
