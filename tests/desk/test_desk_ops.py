"""The Rasa server's /desk/healthz, /desk/readyz and /desk/metrics (bot/desk/ops.py), and the
Prometheus counters the event broker keeps (messages by channel, response latency)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.crm import handoffs


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(desk) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(base_url=desk.url, timeout=30) as client:
        answer = await client.get("/desk/metrics")
    assert answer.status_code == 200
    return samples(answer.text)


async def test_rasa_server_health_readiness_and_metrics(
    desk_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    async with httpx.AsyncClient(base_url=desk_server.url, timeout=30) as client:
        assert (await client.get("/desk/healthz")).json() == {"status": "ok"}
        ready = await client.get("/desk/readyz")
        assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok"})
        proxied = await client.get("/desk/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
        assert proxied.status_code == 403

    handoffs.open_handoff("wa-ops", "whatsapp", None, "customer_request", {}, [], "ops-k")
    channel = (("channel", f"ops-{uuid.uuid4().hex[:6]}"),)
    before = await scrape(desk_server)
    sender = f"ops-{uuid.uuid4().hex[:6]}"
    broker = desk_server.broker
    broker.publish(
        {
            "event": "user",
            "sender_id": sender,
            "timestamp": time.time(),
            "input_channel": channel[0][1],
        }
    )
    broker.publish({"event": "bot", "sender_id": sender, "timestamp": time.time()})
    await broker.flush()
    after = await scrape(desk_server)
    assert ("layanan_messages_total", channel) not in before
    assert after[("layanan_messages_total", channel)] == 1
    latency = ("layanan_response_latency_seconds_count", ())
    assert after[latency] == before.get(latency, 0) + 1
    assert after[("layanan_handoff_queue_length", ())] == 1


async def test_answers_during_a_handoff_are_not_bot_latency(desk_server) -> None:
    before = await scrape(desk_server)
    sender = f"ops-{uuid.uuid4().hex[:6]}"
    broker = desk_server.broker
    for kind in ("pause", "user", "bot"):
        broker.publish({"event": kind, "sender_id": sender, "timestamp": time.time()})
    await broker.flush()
    after = await scrape(desk_server)
    latency = ("layanan_response_latency_seconds_count", ())
    assert after.get(latency, 0) == before.get(latency, 0)
