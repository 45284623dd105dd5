"""Metrics and funnels from analytics rows (bot.analytics.metrics): exact numbers for a
hand-made set of conversations, stored through the real capture and read back with SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.analytics.capture import record_events
from bot.analytics.metrics import Report, compute

KEY = "metrics-test-key"
DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


class Script:
    """The tracker events of one conversation, as Rasa's broker receives them."""

    def __init__(self, sender: str, start: datetime, channel: str, language: str) -> None:
        self.sender, self.channel = sender, channel
        self.clock = start.timestamp()
        self.events: list[dict[str, Any]] = []
        self.slot("language", language)

    def _add(self, event: str, **fields: Any) -> Script:
        self.clock += 1
        self.events.append(
            {"event": event, "sender_id": self.sender, "timestamp": self.clock, **fields}
        )
        return self

    def user(self, intent: str, confidence: float = 0.9) -> Script:
        return self._add(
            "user",
            text="(customer text)",
            input_channel=self.channel,
            parse_data={"intent": {"name": intent, "confidence": confidence}},
        )

    def action(self, name: str) -> Script:
        self._add("action", name=name)
        return self._add("bot", text="(bot text)")

    def slot(self, name: str, value: Any) -> Script:
        return self._add("slot", name=name, value=value)

    def form(self, name: str | None) -> Script:
        return self._add("active_loop", name=name)

    def ask(self, slot: str) -> Script:
        return self.slot("requested_slot", slot)

    def pause(self) -> Script:
        return self._add("pause")


def calibration(script: Script, answers: list[str], stored: bool) -> Script:
    script.user("request_calibration").form("calibration_request_form")
    for question in answers:
        script.ask(question).user("inform")
    if stored:
        script.form(None).action("action_submit_calibration")
    return script


def hand_made_set() -> list[Script]:
    before = Script("c0", DAY1 - timedelta(days=1), "web", "id").user("greet")  # outside window
    c1 = Script("c1", DAY1, "web", "id").user("greet")
    c1.action("utter_greet")
    c2 = calibration(
        Script("c2", DAY1, "web", "en"),
        ["cal_instrument_spec", "cal_quantity", "cal_site_address", "cal_confirm"],
        stored=True,
    )
    c3 = calibration(
        Script("c3", DAY1, "whatsapp", "id"), ["cal_instrument_spec"], stored=False
    ).ask("cal_quantity")
    c4 = Script("c4", DAY2, "whatsapp", "id").user("request_financing")
    c4.form("financing_request_form")
    for question in ("fin_product", "fin_down_payment", "fin_confirm"):
        c4.ask(question)
        if question != "fin_confirm":
            c4.user("inform")
    c4.user("human_handoff").form(None).slot("handoff_reason", "customer_request")
    c4.action("action_handoff")
    c5 = Script("c5", DAY2, "web", "id").user("ask_price")
    c5.action("utter_faq").user("not_helpful").action("utter_rephrase")
    c5.user("nlu_fallback", 0.2).action("action_default_fallback")
    c6 = Script("c6", DAY2, "whatsapp", "en").user("nlu_fallback", 0.3)
    c6.action("action_two_step_fallback")
    calibration(c6, ["cal_instrument_spec"], stored=False).ask("cal_quantity")
    c6.user("inform").ask("cal_quantity")  # asked again after an invalid answer
    c7 = Script("c7", DAY2 + timedelta(hours=1), "web", "en")
    c7.user("human_handoff").slot("handoff_reason", "low_confidence").pause()
    return [before, c1, c2, c3, c4, c5, c6, c7]


@pytest.fixture
def hand_made(crm_url: str) -> str:
    events = [event for script in hand_made_set() for event in script.events]
    record_events(events, KEY, crm_url)
    record_events(events, KEY, crm_url)  # a re-sent stream counts nothing twice
    return crm_url


def window(url: str, by: str | None = None) -> Any:
    return compute(DAY1.replace(hour=0), DAY2.replace(hour=0) + timedelta(days=1), by, url)


def test_overall_numbers(hand_made: str) -> None:
    result = window(hand_made)
    assert isinstance(result, Report)
    assert result.conversations == 7
    assert result.messages == 20
    assert (result.contained, result.containment_rate) == (4, 4 / 7)
    assert (result.fallback_turns, result.fallback_rate) == (2, 2 / 20)
    assert (result.not_helpful, result.not_helpful_rate) == (1, 1 / 7)
    assert (result.handoffs, result.handoff_rate) == (2, 2 / 7)
    assert result.handoff_reasons == {"customer_request": 1, "low_confidence": 1}


def test_funnels_show_where_customers_abandon(hand_made: str) -> None:
    result = window(hand_made)
    calibration_funnel = result.funnels["calibration_request_form"]
    assert calibration_funnel.started == 3
    assert calibration_funnel.questions == {
        "cal_instrument_spec": 3,
        "cal_quantity": 3,
        "cal_site_address": 1,
    }
    assert (calibration_funnel.summary, calibration_funnel.stored) == (1, 1)
    assert calibration_funnel.abandoned_at == {"cal_quantity": 2}
    assert calibration_funnel.most_abandoned_at == "cal_quantity"
    financing = result.funnels["financing_request_form"]
    assert (financing.started, financing.summary, financing.stored) == (1, 1, 0)
    assert financing.questions == {"fin_product": 1, "fin_down_payment": 1}
    assert financing.abandoned_at == {"summary": 1}


def test_grouped_by_day_channel_and_language(hand_made: str) -> None:
    by_day = window(hand_made, "day")
    assert {day: r.conversations for day, r in by_day.items()} == {
        date(2026, 11, 2): 3,
        date(2026, 11, 3): 4,
    }
    assert by_day[date(2026, 11, 2)].containment_rate == 1.0
    assert by_day[date(2026, 11, 3)].handoffs == 2
    by_channel = window(hand_made, "channel")
    assert {c: (r.conversations, r.messages) for c, r in by_channel.items()} == {
        "web": (4, 10),
        "whatsapp": (3, 10),
    }
    by_language = window(hand_made, "language")
    assert {lang: r.conversations for lang, r in by_language.items()} == {"en": 3, "id": 4}
    assert by_language["en"].funnels["calibration_request_form"].stored == 1
