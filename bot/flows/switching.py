"""Another request in the middle of a form: ask first, keep what was filled in.

A customer who says "mau komplain" half-way through a financing application may mean it,
or NLU may have misread an answer. Dropping the half-filled form on a guess lost real
applications, so the bot asks "Lanjutkan pengajuan pembiayaan, atau mulai keluhan?" with a
button for each. Choosing the other request *pauses* the form: its slots stay as they are
(they are conversation state, stored with the tracker, so every replica sees them) and the
form picks up where it stopped when the customer asks for it again.

The pending question is the ``flow_switch_to`` slot (the form asked about); the paused
forms are listed in ``paused_flows`` so the form can say it resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.base import Button, Reply, Turn, choice_payload, chosen
from bot.flows.texts import lang_of

SWITCH_SLOT = "flow_switch_to"
PAUSED_SLOT = "paused_flows"
RESUME_CHOICE = "resume_flow"

# The intent that starts each form.
FLOW_OF_INTENT: Mapping[str, str] = {
    "request_calibration": "calibration_request_form",
    "request_financing": "financing_request_form",
    "file_complaint": "complaint_form",
    "check_status": "status_form",
    "give_feedback": "feedback_form",
}
INTENT_OF_FLOW: Mapping[str, str] = {flow: intent for intent, flow in FLOW_OF_INTENT.items()}

# What each form is called in a sentence ("Lanjutkan <…>, atau mulai <…>?").
FLOW_NAMES: Mapping[str, Mapping[str, str]] = {
    "calibration_request_form": {"id": "permintaan kalibrasi", "en": "the calibration request"},
    "financing_request_form": {"id": "pengajuan pembiayaan", "en": "the financing application"},
    "complaint_form": {"id": "keluhan", "en": "the complaint"},
    "status_form": {"id": "cek status", "en": "the status check"},
    "feedback_form": {"id": "penilaian layanan", "en": "the rating"},
    "verification_form": {"id": "verifikasi", "en": "the verification"},
}
_RESUME_WORDS = frozenset(
    {"lanjut", "lanjutkan", "lanjut aja", "lanjutkan saja", "lanjut saja", "continue", "go on"}
)


# Forms left without asking: a verification step started by a status check holds nothing the
# customer typed that would be worth keeping.
LEFT_WITHOUT_ASKING = frozenset({"verification_form"})


def asks_before_leaving(flow: str) -> bool:
    return flow not in LEFT_WITHOUT_ASKING


def flow_name(flow: str, language: str) -> str:
    names = FLOW_NAMES.get(flow)
    return names[lang_of(language)] if names else flow


def target_of(intent: str | None) -> str | None:
    """The form that ``intent`` starts, if any."""
    return FLOW_OF_INTENT.get(intent or "")


def switch_question(current: str, target: str, language: str) -> Reply:
    """ "Lanjutkan pengajuan pembiayaan, atau mulai keluhan?" with a button for each."""
    lang = lang_of(language)
    current_name = flow_name(current, lang)
    target_name = flow_name(target, lang)
    if lang == "en":
        buttons = (
            Button(f"Continue {current_name}", choice_payload(RESUME_CHOICE)),
            Button(f"Start {target_name}", f"/{INTENT_OF_FLOW[target]}"),
        )
    else:
        buttons = (
            Button(f"Lanjutkan {current_name}", choice_payload(RESUME_CHOICE)),
            Button(f"Mulai {target_name}", f"/{INTENT_OF_FLOW[target]}"),
        )
    return Reply("utter_ask_switch_flow", {"current": current_name, "target": target_name}, buttons)


def wants_to_resume(turn: Turn) -> bool:
    """The "continue" button, or the word typed."""
    if chosen(turn) == RESUME_CHOICE:
        return True
    return turn.plain_text.lower().strip(" .!") in _RESUME_WORDS


def pause(state: Mapping[str, Any], current: str) -> dict[str, Any]:
    """Slot values that set ``current`` aside (its answers stay in their slots)."""
    paused = [name for name in (state.get(PAUSED_SLOT) or []) if name != current]
    return {SWITCH_SLOT: None, PAUSED_SLOT: [*paused, current], "requested_slot": None}


def resumed(state: Mapping[str, Any], flow: str) -> dict[str, Any] | None:
    """Slot values once ``flow`` is taken up again (None: it was not paused)."""
    paused = list(state.get(PAUSED_SLOT) or [])
    if flow not in paused:
        return None
    return {PAUSED_SLOT: [name for name in paused if name != flow] or None}
