"""Why a conversation was handed to a human: the codes stored on the handoff row.

Other flows trigger a handoff by setting the ``handoff_reason`` slot to one of these codes
and following up with ``action_handoff`` (see ``bot.handoff.start.handoff_events``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CUSTOMER_REQUEST = "customer_request"
REPEATED_FALLBACK = "repeated_fallback"
FAILED_VALIDATION = "failed_validation"
HIGH_SEVERITY_COMPLAINT = "high_severity_complaint"
PRICE_NEGOTIATION = "price_negotiation"
SPEC_DISPUTE = "spec_dispute"
NOT_HELPFUL = "not_helpful"

LABELS = {
    CUSTOMER_REQUEST: "Pelanggan minta agen",
    REPEATED_FALLBACK: "Bot dua kali tidak paham",
    FAILED_VALIDATION: "Tiga kali gagal validasi",
    HIGH_SEVERITY_COMPLAINT: "Keluhan berat",
    PRICE_NEGOTIATION: "Negosiasi harga",
    SPEC_DISPUTE: "Sengketa spesifikasi",
    NOT_HELPFUL: "Jawaban bot tidak membantu",
}

# The NLU helper's two-step fallback offers a human with this response.
_FALLBACK_OFFER_RESPONSE = "utter_offer_human"


def label(code: str) -> str:
    return LABELS.get(code, code)


def _intent(event: Mapping[str, Any]) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def infer_reason(slot_reason: str | None, events: Sequence[Mapping[str, Any]]) -> str:
    """The reason code: the slot set by the triggering flow, else read from the last turn."""
    if slot_reason:
        return str(slot_reason)
    last_user_index = None
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            last_user_index = index
            break
    if last_user_index is None:
        return CUSTOMER_REQUEST
    intent = _intent(events[last_user_index])
    if intent == NOT_HELPFUL:
        return NOT_HELPFUL
    if intent == "nlu_fallback":
        return REPEATED_FALLBACK
    # "/request_human" tapped on the fallback's offer counts as the fallback trigger.
    for event in reversed(events[:last_user_index]):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter == _FALLBACK_OFFER_RESPONSE:
                return REPEATED_FALLBACK
    return CUSTOMER_REQUEST
