"""Financing application form: thin rasa_sdk classes over ``bot.flows.financing``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.common import AskAction, FlowValidation, SubmitAction
from bot.flows import feedback, financing
from bot.flows.base import Context, Reply
from bot.flows.records import Saved, save_financing


class ValidateFinancingRequestForm(FlowValidation):
    flow = financing.FLOW


class ActionAskFinProduct(AskAction):
    slot = financing.PRODUCT

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return Reply("utter_ask_fin_product", buttons=financing.product_buttons(ctx))


class ActionAskFinDownPayment(AskAction):
    slot = financing.DOWN_PAYMENT

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return financing.ask_down_payment(state, ctx)


class ActionAskFinTenor(AskAction):
    slot = financing.TENOR

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return financing.ask_tenor(state, ctx)


class ActionAskFinConfirm(AskAction):
    slot = financing.CONFIRM

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return financing.ask_confirmation(state, ctx)


class ActionSubmitFinancing(SubmitAction):
    flow = financing.FLOW
    kind = "financing"

    def save(self, ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
        return save_financing(ctx, state, key)

    def not_confirmed(self, state: Mapping[str, Any], ctx: Context) -> list[Reply]:
        if state.get(financing.CONSENT) is False:
            return [Reply("utter_financing_no_consent")]
        return [Reply("utter_not_saved")]

    def outcome(
        self, saved: Saved, state: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Reply], dict[str, Any]]:
        replies = [
            financing.saved_reply(str(saved.reference), state, ctx),
            feedback.offer_reply(ctx.language),
        ]
        return replies, feedback.offer_slots(reference=saved.reference)
