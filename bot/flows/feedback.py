"""Feedback: a 1-5 rating (CSAT), the kind (kritik / saran / pujian), would-recommend, a comment.

Each answer is stored as it is given (actions/feedback.py, under the key of the message
that gave the rating, slot ``fb_key``): a customer who rates 4★ and then walks away, skips
the follow-up questions or cancels still leaves the 4★ behind, stored exactly once.

Offered after a saved request or a closed handoff (slot ``feedback_offered``), always
skippable: "lewati"/"skip" or a "no" to the rating question ends it with nothing stored.
The offer context (``feedback_reference`` of the saved record, ``feedback_handoff_id`` of the
closed handoff) links the feedback to what it is about, so the desk can report CSAT after
handoff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.crm.types import FeedbackInput
from bot.flows.base import (
    Attempt,
    Button,
    Context,
    FormFlow,
    Reply,
    Turn,
    chosen,
    picked_option,
    read_yes_no,
)
from bot.flows.validators import check_rating, check_text

RATING = "fb_rating"
KIND = "fb_kind"
RECOMMEND = "fb_recommend"
COMMENT = "fb_comment"
SKIPPED = "fb_skipped"
KEY = "fb_key"  # idempotency key of the stored feedback (from the rating's message)
OFFERED = "feedback_offered"
REFERENCE = "feedback_reference"
HANDOFF_ID = "feedback_handoff_id"
LAST_HANDOFF_ID = "last_handoff_id"  # set by the desk when an agent closes a handoff
RATING_ENTITY = "feedback_rating"  # entity of the rating buttons' payloads
NO_COMMENT = ""  # a filled, skipped comment

KIND_SYNONYMS: Mapping[str, Sequence[str]] = {
    "kritik": ("kritik", "criticism", "critique", "complaint", "keluhan", "negative"),
    "saran": ("saran", "suggestion", "usul", "usulan", "masukan", "idea", "advice"),
    "pujian": ("pujian", "praise", "compliment", "puji", "positive", "thanks", "mantap"),
}
_SKIP_WORDS = (
    "skip",
    "lewati",
    "lewat",
    "nanti saja",
    "nanti aja",
    "tidak usah",
    "gak usah",
    "ga usah",
    "nggak usah",
    "no thanks",
    "no thank you",
    "later",
    "tidak",
    "no",
)
# After the rating, "tidak"/"no" answer the question (would recommend?); these skip it.
_FOLLOW_UP_SKIP_WORDS = tuple(word for word in _SKIP_WORDS if word not in ("tidak", "no"))
_NO_COMMENT_WORDS = (
    "-",
    "tidak ada",
    "ga ada",
    "gak ada",
    "nggak ada",
    "tidak",
    "no",
    "none",
    "nothing",
    "skip",
    "lewati",
    "cukup",
    "itu saja",
    "that's all",
    "no comment",
)


def _is_skip(turn: Turn, words: Sequence[str]) -> bool:
    return chosen(turn) == "skip" or turn.plain_text.lower().strip(" .!") in words


class FeedbackFlow(FormFlow):
    name = "feedback_form"
    own_intents = frozenset({"give_feedback"})
    slots = (RATING, KIND, RECOMMEND, COMMENT, SKIPPED, KEY)
    free_text_slots = frozenset({COMMENT})

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        if state.get(SKIPPED):
            return []
        return [RATING, KIND, RECOMMEND, COMMENT]

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = {
            RATING: None,
            KIND: None,
            RECOMMEND: None,
            COMMENT: None,
            SKIPPED: None,
            KEY: None,
        }
        # Rating buttons (ours and the desk's closing prompt) carry the score as an entity.
        rating = turn.first(RATING_ENTITY) or chosen(turn)
        if rating is not None and str(rating).isdigit() and 1 <= int(str(rating)) <= 5:
            updates[RATING] = int(str(rating))
        if turn.first(RATING_ENTITY) is not None and state.get(LAST_HANDOFF_ID) not in (None, ""):
            # The desk's closing prompt: this feedback is about that handoff.
            updates[HANDOFF_ID] = state.get(LAST_HANDOFF_ID)
            updates[REFERENCE] = None
        elif not state.get(OFFERED):
            # Asked for directly: about nothing in particular.
            updates[HANDOFF_ID] = None
            updates[REFERENCE] = None
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot == RATING:
            if _is_skip(turn, _SKIP_WORDS) or (
                turn.intent == "deny" and not turn.plain_text[:1].isdigit()
            ):
                return Attempt.ok(**{SKIPPED: True})
            choice = chosen(turn)
            checked = check_rating(choice if choice else turn.plain_text)
            if not checked.ok:
                return Attempt.from_checked(checked, "utter_invalid_rating")
            return Attempt.ok(**{RATING: checked.value})
        if (
            slot in (KIND, RECOMMEND)
            and state.get(RATING) is not None
            and _is_skip(turn, _FOLLOW_UP_SKIP_WORDS)
        ):
            # The rating is enough: the rest is skipped, the rating stays stored.
            return Attempt.ok(**{SKIPPED: True})
        if slot == KIND:
            key = picked_option(turn, KIND_SYNONYMS)
            if key is None:
                return Attempt.fail("utter_invalid_choice")
            return Attempt.ok(**{KIND: key})
        if slot == RECOMMEND:
            answer = read_yes_no(turn)
            if answer is None:
                return Attempt.fail("utter_invalid_yes_no")
            return Attempt.ok(**{RECOMMEND: answer})
        if slot == COMMENT:
            if _is_skip(turn, _NO_COMMENT_WORDS) or (
                turn.intent == "deny" and len(turn.plain_text) < 15
            ):
                return Attempt.ok(**{COMMENT: NO_COMMENT})
            comment = check_text(turn.plain_text, "comment", min_length=1)
            if not comment.ok:
                return Attempt.from_checked(comment)
            return Attempt.ok(**{COMMENT: comment.value})
        raise KeyError(slot)


FLOW = FeedbackFlow()


def build_input(state: Mapping[str, Any]) -> FeedbackInput | None:
    """The feedback to store, or None when the customer skipped it."""
    if state.get(RATING) is None:
        return None
    comment = state.get(COMMENT)
    handoff = state.get(HANDOFF_ID)
    return FeedbackInput(
        rating=int(state[RATING]),
        kind=state.get(KIND),
        would_recommend=state.get(RECOMMEND),
        comment=comment if comment not in (None, NO_COMMENT) else None,
        related_reference=state.get(REFERENCE) or None,
        handoff_id=int(handoff) if handoff not in (None, "") else None,
    )


def rating_payload(score: int) -> str:
    return f'/give_feedback{{"{RATING_ENTITY}": "{score:d}"}}'


def offer_reply(language: str) -> Reply:
    """The rating question offered after a saved request: 5..1 stars, or skip."""
    stars = {5: "5 ★★★★★", 4: "4 ★★★★", 3: "3 ★★★", 2: "2 ★★", 1: "1 ★"}
    buttons = [Button(stars[s], rating_payload(s)) for s in stars]
    buttons.append(Button("Skip" if language == "en" else "Lewati", "/deny"))
    return Reply("utter_offer_feedback", buttons=tuple(buttons))


def offer_slots(reference: str | None = None, handoff_id: int | None = None) -> dict[str, Any]:
    """Slots that mark a feedback offer (set with the offer message)."""
    return {OFFERED: True, REFERENCE: reference, HANDOFF_ID: handoff_id}


def reset_offer() -> dict[str, Any]:
    return {OFFERED: None, REFERENCE: None, HANDOFF_ID: None}
