"""Engine, URL handling and column types."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot import PROJECT_ROOT
from bot.crm.customers import resolve_customer
from bot.crm.db import CRMConfigError, get_engine, session_scope
from bot.crm.models import Customer, FinancingRequest
from bot.crm.requests import create_financing_request, get_financing_request
from bot.crm.types import FinancingRequestInput
from bot.errors import StartupError


@pytest.mark.parametrize(
    "url, expected",
    [
        ("definitely not a url", "not a database URL"),
        ("mysql://u:s3cret-pw@localhost/db", "unsupported driver"),
        ("nosuchdb+driver://u:s3cret-pw@h/db", "unsupported driver"),
        ("sqlite:////proc/no-such-dir/crm.sqlite3", "cannot create the directory"),
        ("postgresql+psycopg2://crm:s3cret-pw@127.0.0.1:1/crm", "cannot connect"),
    ],
)
def test_bad_url_gives_one_clear_line_without_password(url: str, expected: str) -> None:
    _assert_one_clear_line(url, expected)


@pytest.mark.postgres
def test_wrong_database_name_gives_one_clear_line(postgres_admin_url: str) -> None:
    wrong = sa.engine.make_url(postgres_admin_url).set(
        password="s3cret-pw", database="crm_no_such_db_x"
    )
    _assert_one_clear_line(
        wrong.render_as_string(hide_password=False), 'database "crm_no_such_db_x" does not exist'
    )


def _assert_one_clear_line(url: str, expected: str) -> None:
    with pytest.raises(CRMConfigError) as caught:
        get_engine(url)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert "s3cret-pw" not in message
    assert isinstance(caught.value, StartupError)  # the CLI prints these as one line


def test_cli_with_bad_url_prints_one_line_and_no_traceback(tmp_path) -> None:
    env = dict(
        os.environ,
        CRM_DATABASE_URL="postgresql://crm:s3cret-pw@127.0.0.1:1/crm",
        BOT_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cannot connect to the CRM database" in lines[0]
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_sqlite_file_and_directory_are_created_with_wal_and_foreign_keys(tmp_path) -> None:
    path = tmp_path / "deep" / "er" / "crm.sqlite3"
    engine = get_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert path.exists()
    engine.dispose()


def test_engine_is_cached_per_url(crm_url: str) -> None:
    assert get_engine(crm_url) is get_engine(crm_url)


def test_session_scope_rolls_back_the_whole_unit_on_error(crm_url: str) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), session_scope(crm_url) as session:
        session.add(Customer(name="Rolled Back", first_seen=now, last_seen=now))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(crm_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == 0


def test_foreign_keys_are_enforced(crm_url: str) -> None:
    data = FinancingRequestInput(
        product_type="car",
        amount=Decimal("1000000.00"),
        name="Ani",
        phone="081234567890",
        consent=True,
    )
    with pytest.raises(sa.exc.IntegrityError):
        create_financing_request(999_999, data, "fk-check", url=crm_url)


@pytest.mark.parametrize(
    "amount",
    [Decimal("150000000.00"), Decimal("1234567890123456.78"), Decimal("0.10"), Decimal("99.99")],
)
def test_money_roundtrip_is_exact(crm_url: str, amount: Decimal) -> None:
    customer = resolve_customer("rest", "money-user", url=crm_url)
    data = FinancingRequestInput(
        product_type="car",
        amount=amount,
        down_payment=Decimal("0.01"),
        name="Ani",
        phone="081234567890",
        consent=True,
    )
    created = create_financing_request(customer.id, data, f"money-{amount}", url=crm_url)
    stored = get_financing_request(created.reference, url=crm_url)
    assert stored.amount == amount and isinstance(stored.amount, Decimal)
    assert str(stored.amount) == str(amount)
    assert stored.down_payment == Decimal("0.01")
    with session_scope(crm_url) as session:  # sums are exact in SQL too
        total = session.execute(sa.select(sa.func.sum(FinancingRequest.amount))).scalar_one()
        assert total == amount


def test_money_refuses_floats_and_sub_cent_values(crm_url: str) -> None:
    customer = resolve_customer("rest", "money-user", url=crm_url)
    for bad in (150000000.0, Decimal("1.005")):
        data = FinancingRequestInput(
            product_type="car", amount=bad, name="Ani", phone="081234567890", consent=True
        )
        with pytest.raises((TypeError, ValueError)):
            create_financing_request(customer.id, data, f"bad-{bad}", url=crm_url)


def test_timestamps_come_back_aware_utc(crm_url: str) -> None:
    jakarta = timezone(timedelta(hours=7))
    local = datetime(2026, 3, 1, 9, 30, tzinfo=jakarta)
    with session_scope(crm_url) as session:
        customer = Customer(name="T", first_seen=local, last_seen=local)
        session.add(customer)
        session.flush()
        customer_id = customer.id
    with session_scope(crm_url) as session:
        stored = session.get(Customer, customer_id)
        assert stored.first_seen.tzinfo is not None
        assert stored.first_seen.utcoffset() == timedelta(0)
        assert stored.first_seen == datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(crm_url: str) -> None:
    with pytest.raises(sa.exc.StatementError), session_scope(crm_url) as session:
        session.add(
            Customer(name="T", first_seen=datetime(2026, 1, 1), last_seen=datetime(2026, 1, 1))
        )
        session.flush()
