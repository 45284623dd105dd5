"""Calibration request form: thin rasa_sdk classes over ``bot.flows.calibration``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.common import AskAction, FlowValidation, SubmitAction
from bot.flows import calibration, feedback
from bot.flows.base import Context, Reply
from bot.flows.records import Saved, save_calibration


class ValidateCalibrationRequestForm(FlowValidation):
    flow = calibration.FLOW


class ActionAskCalInstrumentSpec(AskAction):
    slot = calibration.INSTRUMENT_SPEC

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return calibration.ask_instrument_spec(state, ctx)


class ActionAskCalQuantity(AskAction):
    slot = calibration.QUANTITY

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return calibration.ask_quantity(state, ctx)


class ActionAskCalSiteAddress(AskAction):
    slot = calibration.SITE_ADDRESS

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return calibration.ask_site_address(state)


class ActionAskCalConfirm(AskAction):
    slot = calibration.CONFIRM

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return calibration.ask_confirmation(state, ctx)


class ActionSubmitCalibration(SubmitAction):
    flow = calibration.FLOW
    kind = "calibration"

    def save(self, ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
        return save_calibration(ctx, state, key)

    def outcome(
        self, saved: Saved, state: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Reply], dict[str, Any]]:
        replies = [
            calibration.saved_reply(str(saved.reference), state, ctx),
            feedback.offer_reply(ctx.language),
        ]
        return replies, feedback.offer_slots(reference=saved.reference)
