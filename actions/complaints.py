"""Complaint form: thin rasa_sdk classes over ``bot.flows.complaints``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.common import AskAction, FlowValidation, SubmitAction
from bot.flows import complaints, feedback
from bot.flows.base import HANDOFF_REASON_SLOT, Context, Reply
from bot.flows.records import Saved, save_complaint


class ValidateComplaintForm(FlowValidation):
    flow = complaints.FLOW
    customer_every_turn = True  # the related reference must belong to this customer


class ActionAskCmpCategory(AskAction):
    slot = complaints.CATEGORY

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return complaints.ask_category(ctx)


class ActionAskCmpConfirm(AskAction):
    slot = complaints.CONFIRM

    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        return complaints.ask_confirmation(state, ctx)


class ActionSubmitComplaint(SubmitAction):
    flow = complaints.FLOW
    kind = "complaint"

    def save(self, ctx: Context, state: Mapping[str, Any], key: str) -> Saved:
        return save_complaint(ctx, state, key)

    def outcome(
        self, saved: Saved, state: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Reply], dict[str, Any]]:
        reason = complaints.human_reason(state)
        # The reason travels in the slot: a tap on "talk to an agent" (/request_human) hands
        # over with it (actions/handoff.py reads handoff_reason).
        # A pending rating offer is dropped: a "no" now answers the agent offer, not the rating.
        extra = {HANDOFF_REASON_SLOT: reason, **feedback.reset_offer()}
        return complaints.saved_replies(str(saved.reference), state, ctx), extra
