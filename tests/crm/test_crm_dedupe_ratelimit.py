"""Webhook dedupe and rate limits live in the database, shared by every replica."""

from __future__ import annotations

from datetime import timedelta

from bot.crm.dedupe import claim_inbound_message, purge_inbound_messages
from bot.crm.ratelimit import hit, reset


def test_inbound_message_is_claimed_once(crm_url: str) -> None:
    assert claim_inbound_message("whatsapp", "wamid.ABC", url=crm_url)
    assert not claim_inbound_message("whatsapp", "wamid.ABC", url=crm_url)
    assert claim_inbound_message("twilio", "wamid.ABC", url=crm_url)  # ids are per channel


def test_concurrent_deliveries_are_processed_once(crm_url: str, race) -> None:
    assert sum(race(lambda _: claim_inbound_message("whatsapp", "wamid.RACE", url=crm_url), 8)) == 1


def test_purge_forgets_old_ids_only(crm_url: str) -> None:
    claim_inbound_message("whatsapp", "m1", url=crm_url)
    assert purge_inbound_messages(timedelta(days=1), url=crm_url) == 0
    assert purge_inbound_messages(timedelta(seconds=-1), url=crm_url) == 1
    assert claim_inbound_message("whatsapp", "m1", url=crm_url)


def test_rate_limit_window(crm_url: str) -> None:
    t0 = 1_800_000_000.0  # a multiple of 60
    assert [hit("login:dina", 3, 60, now=t0 + i, url=crm_url) for i in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert hit("login:other", 3, 60, now=t0 + 5, url=crm_url)  # keys are independent
    assert hit("login:dina", 3, 60, now=t0 + 60, url=crm_url)  # a new window starts over
    reset("login:dina", url=crm_url)
    assert all(hit("login:dina", 3, 60, now=t0 + 61, url=crm_url) for _ in range(3))


def test_rate_limit_counts_concurrent_hits_exactly(crm_url: str, race) -> None:
    allowed = race(lambda _: hit("login:burst", 5, 3600, now=1_800_000_000.0, url=crm_url), 12)
    assert sum(allowed) == 5


def test_long_keys_from_user_input_are_counted_too(crm_url: str) -> None:
    key = "login:user:" + "x" * 5000
    assert [hit(key, 1, 60, now=1_800_000_000.0, url=crm_url) for _ in range(2)] == [True, False]


def test_claims_now_and_then_forget_ids_older_than_the_retention(crm_url: str) -> None:
    import sqlalchemy as sa

    from bot.crm import dedupe
    from bot.crm.db import run_in_transaction
    from bot.crm.models import InboundMessage
    from bot.crm.sqltypes import utcnow

    def keep() -> float:  # a draw that never purges
        return 0.5

    claim_inbound_message("whatsapp", "old", url=crm_url, draw=keep)
    run_in_transaction(
        lambda s: s.execute(
            sa.update(InboundMessage).values(received_at=utcnow() - timedelta(days=30))
        ),
        crm_url,
    )
    claim_inbound_message("whatsapp", "new-1", url=crm_url, draw=keep)
    assert not claim_inbound_message("whatsapp", "old", url=crm_url, draw=keep)
    claim_inbound_message("whatsapp", "new-2", url=crm_url, draw=lambda: 0.0)  # this claim purges
    assert claim_inbound_message(
        "whatsapp", "old", url=crm_url, draw=keep
    )  # forgotten after 30 days
    assert not claim_inbound_message(
        "whatsapp", "new-1", url=crm_url, draw=keep
    )  # recent ids are kept
    assert timedelta(days=30) > dedupe.RETENTION
