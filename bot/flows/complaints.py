"""Complaint: category from the profile's taxonomy, optional related reference, description,
desired resolution and severity; stored at the first Goodman stage (research notes §1.7).

A related reference is accepted only if it belongs to this customer (by channel identity or
by the phone number given in this form). The refusal is the same whether the reference
exists or not, so nobody learns about someone else's records.

A high severity, a price negotiation or a specification dispute (the lab's digital/analog
case, research notes §1.6) also offers a human agent right after the ticket is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.crm.types import ComplaintInput
from bot.flows import texts
from bot.flows.base import (
    CONTACT_CORRECTIONS,
    Attempt,
    Button,
    Context,
    FormFlow,
    Reply,
    Turn,
    choice_payload,
    chosen,
    match_label,
    picked_option,
    read_yes_no,
)
from bot.flows.contact import (
    NAME,
    PHONE,
    contact_rows,
    extra_contact,
    optional_str,
    prefill_contact,
    read_contact,
)
from bot.flows.validators import check_reference, check_text
from bot.handoff.reasons import HIGH_SEVERITY_COMPLAINT, PRICE_NEGOTIATION, SPEC_DISPUTE
from bot.profile import pick

CATEGORY = "cmp_category"
RELATED = "cmp_related_reference"
DESCRIPTION = "cmp_description"
RESOLUTION = "cmp_resolution"
SEVERITY = "cmp_severity"
CONFIRM = "cmp_confirm"
NO_REFERENCE = "none"  # slot value for "no related reference" (a filled, skipped question)

CONTACT = (NAME, PHONE)
DESCRIPTION_MIN_WORDS = 8  # a first message this long is taken as the description

# Typed answers for the category question, beyond the profile's own labels.
CATEGORY_SYNONYMS: Mapping[str, Sequence[str]] = {
    "late_certificate": (
        "sertifikat",
        "certificate",
        "terlambat",
        "telat",
        "late",
        "dokumen",
        "berita acara",
    ),
    "wrong_invoice": (
        "invoice",
        "faktur",
        "tagihan salah",
        "wrong invoice",
        "faktur pajak",
        "bill",
    ),
    "technician_conduct": ("teknisi", "technician"),
    "damaged_instrument": ("rusak", "hilang", "damaged", "broken", "lost", "pecah"),
    "billing_dispute": (
        "angsuran",
        "cicilan",
        "instalment",
        "installment",
        "billing",
        "denda",
        "tagihan angsuran",
    ),
    "debt_collection_conduct": (
        "debt collector",
        "penagih",
        "penagihan",
        "collector",
        "dc",
        "kolektor",
    ),
    "service_quality": (
        "pelayanan",
        "layanan",
        "cs",
        "service",
        "lambat",
        "slow",
        "tidak responsif",
        "unresponsive",
    ),
    "other": ("lainnya", "lain", "other", "lain-lain"),
}
SEVERITY_SYNONYMS: Mapping[str, Sequence[str]] = {
    "low": ("ringan", "rendah", "low", "minor", "biasa", "tidak mendesak", "not urgent"),
    "medium": ("sedang", "medium", "cukup", "moderate", "normal"),
    "high": (
        "berat",
        "tinggi",
        "high",
        "mendesak",
        "urgent",
        "darurat",
        "serius",
        "parah",
        "critical",
        "serious",
    ),
}
_NO_REFERENCE_WORDS = (
    "tidak ada",
    "ga ada",
    "gak ada",
    "nggak ada",
    "tidak",
    "belum ada",
    "tdk ada",
    "none",
    "no",
    "nope",
    "no reference",
    "tidak punya",
    "lupa",
    "skip",
    "lewati",
    "-",
)

# Words that mark a price negotiation or a specification dispute in the customer's text.
_PRICE_NEGOTIATION = re.compile(
    r"\b(nego\w*|tawar\w*|diskon|discount|potongan harga|selisih harga|bargain\w*|negotiat\w*|"
    r"price difference|harga (?:terlalu )?mahal|kemahalan|too expensive)\b",
    re.IGNORECASE,
)
_SPEC_DISPUTE = re.compile(
    r"\b(spesifikasi|spek|spec|specification|tidak sesuai (?:po|pesanan|spek\w*)|beda (?:dengan|sama|dari) po|"
    r"not (?:as|what) (?:in|on) the po|does not match the po)\b",
    re.IGNORECASE,
)
_DIGITAL_ANALOG = re.compile(
    r"\bdigital\b.*\banalog|\banalog\w*\b.*\bdigital\b", re.IGNORECASE | re.DOTALL
)

# (reference, customer_id, phone) -> does the reference belong to this customer?
OwnershipCheck = Callable[[str, int | None, str | None], bool]


def crm_ownership(reference: str, customer_id: int | None, phone: str | None) -> bool:
    """The customer's own record (or one whose contact it proved). A typed phone number is
    a claim, not proof, so ``phone`` does not make someone else's reference acceptable."""
    from bot.crm.status import owns

    return owns(reference, customer_id)


def human_reason(state: Mapping[str, Any]) -> str | None:
    """Why this complaint should go to a person at once, or None."""
    if state.get(SEVERITY) == "high":
        return HIGH_SEVERITY_COMPLAINT
    text = f"{state.get(DESCRIPTION) or ''}\n{state.get(RESOLUTION) or ''}"
    if _SPEC_DISPUTE.search(text) or _DIGITAL_ANALOG.search(text):
        return SPEC_DISPUTE
    if _PRICE_NEGOTIATION.search(text):
        return PRICE_NEGOTIATION
    return None


class ComplaintFlow(FormFlow):
    name = "complaint_form"
    own_intents = frozenset({"file_complaint"})
    slots = (CATEGORY, RELATED, DESCRIPTION, RESOLUTION, SEVERITY, CONFIRM)
    shared_slots = CONTACT
    textual_slots = frozenset({NAME})
    free_text_slots = frozenset({DESCRIPTION, RESOLUTION})
    confirm_slot = CONFIRM
    edit_targets: Mapping[str, tuple[str, ...]] = {
        "category": (CATEGORY,),
        "related_reference": (RELATED,),
        "description": (DESCRIPTION,),
        "resolution": (RESOLUTION,),
        "severity": (SEVERITY,),
        "contact_name": (NAME,),
        "phone": (PHONE,),
    }

    corrections: Mapping[str, str] = {
        **CONTACT_CORRECTIONS,
        "kategori": CATEGORY,
        "category": CATEGORY,
        "urgensi": SEVERITY,
        "severity": SEVERITY,
    }

    def __init__(self, ownership: OwnershipCheck = crm_ownership) -> None:
        self.ownership = ownership

    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        # The phone comes before the reference: it is how a customer on a new channel proves
        # that a reference is theirs.
        required = [CATEGORY, *CONTACT, RELATED, DESCRIPTION, RESOLUTION, SEVERITY]
        return self.with_confirmation(required, state)

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        updates: dict[str, Any] = prefill_contact(turn, state, ctx, CONTACT)
        text = turn.plain_text
        if len(text.split()) >= DESCRIPTION_MIN_WORDS and check_text(text, "description").ok:
            updates[DESCRIPTION] = text
        reference = turn.first("reference")
        if reference:
            checked = check_reference(str(reference))
            phone = updates.get(PHONE) or state.get(PHONE)
            if checked.ok and self.ownership(str(checked.value), ctx.customer_id, phone):
                updates[RELATED] = checked.value
        return updates

    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if slot in CONTACT:
            return read_contact(slot, turn)
        if slot == CATEGORY:
            key = chosen(turn) or match_label(turn.plain_text, category_labels(ctx))
            if key is None or ctx.profile.complaint_category(key) is None:
                return Attempt.fail("utter_invalid_choice")
            return Attempt.ok(**{CATEGORY: key})
        if slot == RELATED:
            return self._read_reference(turn, state, ctx)
        if slot == DESCRIPTION:
            checked = check_text(turn.plain_text, "description", min_length=5)
            if not checked.ok:
                return Attempt.from_checked(checked)
            return Attempt.ok(**{DESCRIPTION: checked.value})
        if slot == RESOLUTION:
            checked = check_text(turn.plain_text, "resolution", min_length=2)
            if not checked.ok:
                return Attempt.from_checked(checked)
            return Attempt.ok(**{RESOLUTION: checked.value})
        if slot == SEVERITY:
            key = picked_option(turn, SEVERITY_SYNONYMS)
            if key is None:
                return Attempt.fail("utter_invalid_choice")
            return Attempt.ok(**{SEVERITY: key})
        raise KeyError(slot)

    def _read_reference(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        if chosen(turn) == NO_REFERENCE:
            return Attempt.ok(**{RELATED: NO_REFERENCE})
        raw = turn.first("reference") or turn.plain_text
        checked = check_reference(str(raw))
        if not checked.ok:
            lowered = turn.plain_text.lower().strip(" .!")
            if read_yes_no(turn) is False or lowered in _NO_REFERENCE_WORDS:
                return Attempt.ok(**{RELATED: NO_REFERENCE})
            return Attempt.from_checked(checked, "utter_invalid_reference")
        if not self.ownership(str(checked.value), ctx.customer_id, state.get(PHONE)):
            # Same answer for "not yours" and "does not exist".
            return Attempt.refuse("utter_invalid_related_reference", reference=checked.value)
        return Attempt.ok(**{RELATED: checked.value})

    def extra(
        self, requested: str, turn: Turn, state: Mapping[str, Any], ctx: Context
    ) -> dict[str, Any]:
        if requested == NAME:
            return extra_contact(turn, state, CONTACT)
        return {}


FLOW = ComplaintFlow()


def category_labels(ctx: Context) -> dict[str, Sequence[str]]:
    labels: dict[str, Sequence[str]] = {}
    for category in ctx.profile.complaint_categories:
        names = [pick(category.label, "id"), pick(category.label, "en")]
        names += list(CATEGORY_SYNONYMS.get(category.id, ()))
        labels[category.id] = names
    return labels


def ask_category(ctx: Context) -> Reply:
    return Reply(
        "utter_ask_cmp_category",
        buttons=tuple(
            Button(pick(c.label, ctx.language), choice_payload(c.id))
            for c in ctx.profile.complaint_categories
        ),
    )


def related_text(value: str | None, language: str) -> str | None:
    if value in (None, NO_REFERENCE):
        return "-"
    return value


def summary(state: Mapping[str, Any], ctx: Context) -> str:
    lang = ctx.language
    category = ctx.profile.complaint_category(str(state.get(CATEGORY) or ""))
    rows: list[tuple[str, str | None]] = [
        ("category", pick(category.label, lang) if category else state.get(CATEGORY)),
        ("related_reference", related_text(state.get(RELATED), lang)),
        ("description", state.get(DESCRIPTION)),
        ("resolution", state.get(RESOLUTION)),
        ("severity", texts.label(texts.SEVERITIES, state.get(SEVERITY), lang)),
        *contact_rows(state, CONTACT),
    ]
    return texts.summary_text(rows, lang)


def ask_confirmation(state: Mapping[str, Any], ctx: Context) -> Reply:
    return Reply("utter_ask_cmp_confirm", {"summary": summary(state, ctx)})


def build_input(state: Mapping[str, Any]) -> ComplaintInput:
    related = state.get(RELATED)
    return ComplaintInput(
        category=str(state[CATEGORY]),
        description=str(state[DESCRIPTION]),
        severity=str(state[SEVERITY]),
        desired_resolution=state.get(RESOLUTION),
        related_reference=None if related in (None, NO_REFERENCE) else str(related),
        contact_name=optional_str(state.get(NAME)),
        contact_phone=optional_str(state.get(PHONE)),
    )


def saved_replies(reference: str, state: Mapping[str, Any], ctx: Context) -> list[Reply]:
    replies = [Reply("utter_complaint_saved", {"reference": reference})]
    reason = human_reason(state)
    if reason is not None:
        replies.append(Reply(f"utter_complaint_offer_human_{reason}", {"reference": reference}))
    return replies
