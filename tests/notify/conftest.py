"""The notification tests run on SQLite and PostgreSQL, like the CRM tests."""

from tests.crm.conftest import (  # noqa: F401 - fixtures re-exported for this directory
    crm_url,
    postgres_admin_url,
    postgres_crm_url,
    sqlite_template,
)
