"""Shared glue between rasa_sdk and the plain flow logic in ``bot.flows``.

Reads a rasa_sdk ``Tracker`` into a :class:`~bot.flows.base.Turn` and a
:class:`~bot.flows.base.Context`, runs the flow functions in a worker thread (the CRM is
synchronous and the action server serves every conversation on one event loop), and turns
their results back into events and messages.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.flows import (
    calibration,
    complaints,
    feedback,
    financing,
    status,
    switching,
    verification,
)
from bot.flows.base import (
    EDIT_FIELD_SLOT,
    REQUESTED_SLOT,
    Button,
    Context,
    Entity,
    FormFlow,
    Reply,
    Turn,
    choice_payload,
    form_step,
    reset_slots,
)
from bot.flows.texts import edit_label, lang_of
from bot.profile import get_profile

logger = logging.getLogger(__name__)
T = TypeVar("T")

FLOWS: dict[str, FormFlow] = {
    flow.name: flow
    for flow in (
        calibration.FLOW,
        financing.FLOW,
        complaints.FLOW,
        status.FLOW,
        feedback.FLOW,
        verification.FLOW,
    )
}
# Actions that run right before a form and are not an "interruption" of it.
_FORM_GLUE_ACTIONS = {"action_listen", "action_extract_slots", "action_switch_flow", None}


def language_of(tracker: Tracker) -> str:
    return lang_of(tracker.get_slot("language"))


def turn_of(tracker: Tracker) -> Turn:
    message: Mapping[str, Any] = tracker.latest_message or {}
    intent = message.get("intent") or {}
    entities = tuple(
        Entity(
            name=str(e.get("entity")),
            value=e.get("value"),
            start=e.get("start"),
            end=e.get("end"),
        )
        for e in message.get("entities") or []
        if e.get("entity")
    )
    return Turn(
        text=str(message.get("text") or ""),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities,
        message_id=message.get("message_id"),
    )


def _resolve_customer(tracker: Tracker) -> int | None:
    from bot.crm.customers import resolve_customer

    try:
        return resolve_customer(tracker.get_latest_input_channel() or "rest", tracker.sender_id).id
    except Exception as exc:  # noqa: BLE001 - the flow goes on without CRM context
        logger.warning("could not resolve the customer (%s)", type(exc).__name__)
        return None


def build_context(
    tracker: Tracker, *, customer: bool = False, known_contact: bool = False
) -> Context:
    """A flow context; ``customer`` resolves the CRM customer (blocking: call in a thread)."""
    profile = get_profile()
    ctx = Context(
        language=language_of(tracker),
        today=profile.local_now().date(),
        profile=profile,
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "rest",
    )
    if customer or known_contact:
        ctx.customer_id = _resolve_customer(tracker)
    if known_contact and ctx.customer_id is not None:
        from bot.flows.records import known_contact as crm_known_contact

        try:
            ctx.known_contact = crm_known_contact(ctx.customer_id)
        except Exception as exc:  # noqa: BLE001
            logger.warning("could not read the customer's contact details (%s)", type(exc).__name__)
    return ctx


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


def utter(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        kwargs: dict[str, Any] = dict(reply.values)
        if buttons:
            dispatcher.utter_message(response=reply.response, buttons=buttons, **kwargs)
        else:
            dispatcher.utter_message(response=reply.response, **kwargs)


def slot_events(values: Mapping[str, Any]) -> list[EventType]:
    return [SlotSet(name, value) for name, value in values.items()]


def action_before_form(tracker: Tracker, form_name: str) -> str | None:
    """The action that ran before the current execution of ``form_name`` in this turn.

    Rasa hands the validation action a tracker ending in ``..., <previous action>,
    ActionExecuted(form), <slot candidates>``; a previous action other than listening means
    the form resumes after an unhappy path (a FAQ answer, ...), so the latest message is
    not an answer to the form's question.
    """
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    if actions and actions[-1] == form_name:
        actions = actions[:-1]
    return actions[-1] if actions else None


class FlowValidation(FormValidationAction, ABC):
    """Validation action of one flow's form: all slot logic lives in ``bot.flows``."""

    @property
    @abstractmethod
    def flow(self) -> FormFlow:
        """The flow (a class attribute in subclasses; abstract so rasa_sdk skips this base)."""

    #: Resolve the CRM customer on every turn (ownership checks), not only at activation.
    customer_every_turn: bool = False
    #: Look the customer up in the CRM at all (False: the flow needs no CRM context).
    crm_context: bool = True

    def name(self) -> str:
        return f"validate_{self.flow.name}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        activating = requested not in self.flow.all_slots()
        interrupted = (
            not activating and action_before_form(tracker, self.flow.name) not in _FORM_GLUE_ACTIONS
        )
        needs_customer = self.crm_context and (activating or self.customer_every_turn)
        ctx = await in_thread(
            build_context,
            tracker,
            customer=needs_customer,
            known_contact=self.crm_context and activating,
        )
        result = await in_thread(
            form_step,
            self.flow,
            dict(tracker.slots),
            requested,
            turn_of(tracker),
            ctx,
            interrupted=interrupted,
        )
        if result.rejected:
            return []  # nothing extracted: Rasa rejects the form and the rules take over
        utter(dispatcher, result.replies)
        events = slot_events(result.slots)
        language = answer_language(self.flow, requested, tracker)
        if language is not None:
            events.append(SlotSet("language", language))
        return events


def answer_language(flow: FormFlow, requested: str | None, tracker: Tracker) -> str | None:
    """The language an answer switches the conversation to, if any.

    The ``language`` slot is not mapped while a form is active: the text of a name, a
    company or an address says nothing about the customer's language. Any other answer
    ("yes, please", "next Tuesday") that is clearly in one language does.
    """
    if requested is None or requested in flow.free_text_slots or requested in flow.textual_slots:
        return None
    turn = turn_of(tracker)
    detected = turn.first("language")
    if detected not in ("id", "en") or detected == tracker.get_slot("language"):
        return None
    return str(detected)


class AskAction(Action, ABC):
    """``action_ask_<slot>`` whose question depends on the state or the business profile."""

    slot: str = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    @abstractmethod
    def reply(self, state: Mapping[str, Any], ctx: Context) -> Reply:
        """The question to send."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ctx = build_context(tracker)
        utter(dispatcher, [self.reply(dict(tracker.slots), ctx)])
        return []


class ActionAskEditField(Action):
    """After a "no" to the summary: which part should be changed?"""

    def name(self) -> str:
        return f"action_ask_{EDIT_FIELD_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        flow = FLOWS.get(tracker.active_loop_name or "")
        language = language_of(tracker)
        buttons = tuple(
            Button(edit_label(key, language), choice_payload(key))
            for key in (flow.edit_targets if flow else {})
        )
        utter(dispatcher, [Reply("utter_ask_edit_field", buttons=buttons)])
        return []


FLOW_LABEL_RESPONSES = {
    calibration.FLOW.name: "calibration",
    financing.FLOW.name: "financing",
    complaints.FLOW.name: "complaint",
    status.FLOW.name: "status",
    feedback.FLOW.name: "feedback",
}


def stop_flow_events(flow_name: str | None) -> list[EventType]:
    """Deactivate the form and forget what it collected (contact details are kept)."""
    events: list[EventType] = [ActiveLoop(None)]
    flow = FLOWS.get(flow_name or "")
    values = reset_slots(flow) if flow else {REQUESTED_SLOT: None}
    if flow is feedback.FLOW:
        values.update(feedback.reset_offer())  # the rating offer is answered: no
    events += slot_events(values)
    return events


class ActionCancelFlow(Action):
    """Stop the active form; nothing is saved (the customer cancelled it)."""

    #: ``utter_flow_<outcome>_<flow label>`` tells the customer what happened.
    outcome: str = "cancelled"

    def name(self) -> str:
        return "action_cancel_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        active = tracker.active_loop_name
        kind = FLOW_LABEL_RESPONSES.get(active or "", "generic")
        if active == feedback.FLOW.name and tracker.get_slot(feedback.KEY):
            # The rating is stored as soon as it is given: say so rather than "not stored".
            dispatcher.utter_message(response="utter_feedback_kept")
        else:
            dispatcher.utter_message(response=f"utter_flow_{self.outcome}_{kind}")
        return stop_flow_events(active)


class ActionSwitchFlow(ActionCancelFlow):
    """Another request in the middle of a form: ask first, then set the form aside.

    The first time, the customer is asked "Lanjutkan pengajuan pembiayaan, atau mulai
    keluhan?" and the rule runs the form again, which repeats its question (the form stays
    active, so an answer goes back to it; Rasa would not return to a rejected form on the
    next message otherwise). Asking for the other request again (its button, or in words)
    pauses the form with its answers kept and starts the other one through a
    ``FollowupAction`` (bot/flows/switching.py).
    """

    outcome = "switched"

    def name(self) -> str:
        return "action_switch_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        active = tracker.active_loop_name
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        target = switching.target_of(intent)
        if active not in FLOWS or target is None or not switching.asks_before_leaving(active):
            # Nothing worth keeping (a verification step): go straight to the other request.
            events = await super().run(dispatcher, tracker, domain)
            return events + ([FollowupAction(target)] if target and target != active else [])
        language = language_of(tracker)
        if tracker.get_slot(switching.SWITCH_SLOT) != target:
            utter(dispatcher, [switching.switch_question(active, target, language)])
            return [SlotSet(switching.SWITCH_SLOT, target)]
        dispatcher.utter_message(
            response="utter_flow_paused", current=switching.flow_name(active, language)
        )
        values = switching.pause(dict(tracker.slots), active)
        if FLOWS[active] is feedback.FLOW:
            values.update(feedback.reset_offer())
        return [ActiveLoop(None), *slot_events(values), FollowupAction(target)]


class SubmitAction(Action, ABC):
    """Store a completed form exactly once and tell the customer the outcome.

    The idempotency key comes from the sender and the confirming message, so Rasa retrying
    this action (or calling it again for the same confirmation) returns the first record.
    """

    kind: str = ""

    def name(self) -> str:
        return f"action_submit_{self.kind}"

    @property
    @abstractmethod
    def flow(self) -> FormFlow:
        """The flow whose form this action saves (a class attribute in subclasses)."""

    @abstractmethod
    def save(self, ctx: Context, state: Mapping[str, Any], key: str) -> Any:
        """Store the record (blocking; runs in a worker thread)."""

    @abstractmethod
    def outcome(
        self, saved: Any, state: Mapping[str, Any], ctx: Context
    ) -> tuple[list[Reply], dict[str, Any]]:
        """Replies and extra slot values after saving."""

    def not_confirmed(self, state: Mapping[str, Any], ctx: Context) -> list[Reply]:
        return [Reply("utter_not_saved")]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from bot.flows.idempotency import confirming_event, idempotency_key

        state = dict(tracker.slots)
        confirm = self.flow.confirm_slot
        if confirm and state.get(confirm) is not True:
            ctx = build_context(tracker)
            utter(dispatcher, self.not_confirmed(state, ctx))
            return slot_events(reset_slots(self.flow))
        ctx = await in_thread(build_context, tracker, customer=True)
        try:
            if ctx.customer_id is None:
                raise RuntimeError("no CRM customer")
            key = idempotency_key(self.kind, tracker.sender_id, confirming_event(tracker.events))
            saved = await in_thread(self.save, ctx, state, key)
        except Exception as exc:  # noqa: BLE001 - tell the customer; keep the answers for an agent
            from bot.crm.db import describe_db_error
            from bot.logging_setup import mask_pii

            # Enough to diagnose (table, constraint, conversation), no personal values.
            logger.error(
                "saving %s failed for customer %s (conversation %s): %s",
                self.kind,
                ctx.customer_id,
                mask_pii(tracker.sender_id),
                describe_db_error(exc),
            )
            utter(dispatcher, [Reply("utter_save_failed")])
            return []
        replies, extra = self.outcome(saved, state, ctx)
        utter(dispatcher, replies)
        return slot_events({**reset_slots(self.flow), **extra})
