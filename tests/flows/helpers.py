"""A tiny driver that runs a flow turn by turn like Rasa would, without Rasa."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bot.flows.base import Context, Entity, FormFlow, Reply, StepResult, Turn, form_step

TODAY = date(2026, 11, 25)  # a Wednesday


def ent(name: str, value: Any, text: str | None = None, within: str | None = None) -> Entity:
    """An entity; with ``text``/``within`` its span is where ``text`` occurs in ``within``."""
    if text is not None and within is not None:
        start = within.index(text)
        return Entity(name, value, start, start + len(text))
    return Entity(name, value)


class Conversation:
    def __init__(self, flow: FormFlow, ctx: Context, state: dict[str, Any] | None = None) -> None:
        self.flow = flow
        self.ctx = ctx
        self.state: dict[str, Any] = dict(state or {})
        self.replies: list[Reply] = []
        self.last: StepResult | None = None

    @property
    def asked(self) -> str | None:
        return self.state.get("requested_slot")

    def say(
        self,
        text: str,
        intent: str = "inform",
        entities: Sequence[Entity] = (),
        confidence: float = 0.95,
        interrupted: bool = False,
    ) -> StepResult:
        turn = Turn(text=text, intent=intent, confidence=confidence, entities=tuple(entities))
        result = form_step(
            self.flow,
            self.state,
            self.state.get("requested_slot"),
            turn,
            self.ctx,
            interrupted=interrupted,
        )
        self.last = result
        if not result.rejected:
            self.state.update(result.slots)
        self.replies = result.replies
        return result

    def click(self, choice: str, intent: str = "inform") -> StepResult:
        return self.say(
            f'/{intent}{{"choice": "{choice}"}}', intent, [Entity("choice", choice)], confidence=1.0
        )

    @property
    def responses(self) -> list[str]:
        return [r.response for r in self.replies]

    def reply_values(self, response: str) -> dict[str, Any]:
        return dict(next(r.values for r in self.replies if r.response == response))


def start(
    flow: FormFlow,
    ctx: Context,
    text: str,
    intent: str,
    entities: Sequence[Entity] = (),
    state: dict[str, Any] | None = None,
) -> tuple[Conversation, StepResult]:
    conversation = Conversation(flow, ctx, state)
    result = conversation.say(text, intent, entities)
    return conversation, result


class Records:
    """Two customers with one record each, stored through the real CRM."""

    def __init__(self) -> None:
        from bot.crm.customers import resolve_customer
        from bot.crm.requests import create_calibration_request, create_financing_request
        from bot.crm.types import (
            CalibrationItemInput,
            CalibrationRequestInput,
            FinancingRequestInput,
        )

        # The owner writes on WhatsApp; her calibration request carries her number.
        self.owner = resolve_customer("whatsapp", "6281234567890")
        self.owner_phone = "+6281234567890"
        self.kal = create_calibration_request(
            self.owner.id,
            CalibrationRequestInput(
                company_name="PT Maju Jaya",
                contact_name="Budi",
                phone="0812-3456-7890",
                service_type="kalibrasi",
                service_location="lab",
                items=(
                    CalibrationItemInput(
                        instrument_type="pressure_gauge", quantity=2, spec="analog"
                    ),
                ),
            ),
            "test:owner:1",
        ).reference
        # Someone else, on the website, with a financing application.
        self.other = resolve_customer("rest", "web-visitor-2")
        self.other_phone = "+6281399998888"
        self.fin = create_financing_request(
            self.other.id,
            FinancingRequestInput(
                product_type="car",
                amount=Decimal("150000000"),
                name="Rina",
                phone="0813-9999-8888",
                consent=True,
            ),
            "test:other:1",
        ).reference
