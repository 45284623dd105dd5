"""Contact slots shared by the flows: company, name, phone/WhatsApp, e-mail.

They are shared on purpose: a customer who gave a name and number in one request is not
asked again in the next one (the summary still shows them, and they can be changed there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.base import Attempt, Context, Turn
from bot.flows.validators import check_email, check_name, check_phone, check_text

COMPANY = "contact_company"
NAME = "contact_name"
PHONE = "contact_phone"
EMAIL = "contact_email"
CONTACT_SLOTS = (COMPANY, NAME, PHONE, EMAIL)

_NAME_PREFIXES = (
    "nama saya",
    "namaku",
    "nama sy",
    "saya",
    "sy",
    "my name is",
    "i am",
    "i'm",
    "this is",
    "name:",
    "nama:",
    "namanya",
    "dengan",
)
_COMPANY_PREFIXES = (
    "dari",
    "perusahaan",
    "kantor",
    "company",
    "from",
    "we are",
    "kami dari",
    "saya dari",
    "sy dari",
    "nama perusahaan",
    "perusahaannya",
)


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str:
    """'nama saya Budi' -> 'Budi': only a leading phrase is dropped, the rest stays verbatim."""
    stripped = text.strip()
    lowered = stripped.lower()
    for prefix in sorted(prefixes, key=len, reverse=True):
        if lowered.startswith(prefix + " ") and len(stripped) > len(prefix) + 1:
            return stripped[len(prefix) :].strip(" :,")
    return stripped


def read_contact(slot: str, turn: Turn) -> Attempt:
    text = turn.plain_text
    if slot == PHONE:
        entity = turn.first("phone")
        checked = check_phone(str(entity)) if entity else check_phone(text)
    elif slot == EMAIL:
        entity = turn.first("email")
        checked = check_email(str(entity)) if entity else check_email(text)
    elif slot == NAME:
        checked = check_name(_strip_prefix(_before_contact(turn), _NAME_PREFIXES))
    elif slot == COMPANY:
        checked = check_text(
            _strip_prefix(_before_contact(turn), _COMPANY_PREFIXES), "company", min_length=2
        )
    else:  # pragma: no cover - programming error
        raise KeyError(slot)
    if not checked.ok:
        return Attempt.from_checked(checked)
    return Attempt.ok(**{slot: checked.value})


def _before_contact(turn: Turn) -> str:
    """The text before a phone number or e-mail typed on the same line ("Budi, 0812...")."""
    text = turn.plain_text
    cut = len(text)
    for entity in turn.entities:
        if entity.name in ("phone", "email") and entity.start is not None and entity.start > 0:
            cut = min(cut, entity.start)
    return text[:cut].strip(" ,;-/") if cut < len(text) else text


def extra_contact(turn: Turn, state: Mapping[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    """Phone or e-mail typed along with another answer, for slots still empty."""
    updates: dict[str, Any] = {}
    if PHONE in wanted and state.get(PHONE) is None and turn.first("phone"):
        checked = check_phone(str(turn.first("phone")))
        if checked.ok:
            updates[PHONE] = checked.value
    if EMAIL in wanted and state.get(EMAIL) is None and turn.first("email"):
        checked = check_email(str(turn.first("email")))
        if checked.ok:
            updates[EMAIL] = checked.value
    return updates


def prefill_contact(
    turn: Turn, state: Mapping[str, Any], ctx: Context, wanted: tuple[str, ...]
) -> dict[str, Any]:
    """Contact slots from the first message's entities, then from what the CRM knows."""
    updates = extra_contact(turn, state, wanted)
    known = {
        COMPANY: ctx.known_contact.get("company"),
        NAME: ctx.known_contact.get("name"),
        PHONE: ctx.known_contact.get("phone"),
        EMAIL: ctx.known_contact.get("email"),
    }
    for slot in wanted:
        if state.get(slot) is None and slot not in updates and known.get(slot):
            updates[slot] = known[slot]
    return updates


def contact_rows(state: Mapping[str, Any], wanted: tuple[str, ...]) -> list[tuple[str, Any]]:
    names = {COMPANY: "company", NAME: "contact_name", PHONE: "phone", EMAIL: "email"}
    return [(names[slot], state.get(slot)) for slot in wanted]


def optional_str(value: Any) -> str | None:
    """A form value as text, or None when the customer gave none."""
    return str(value) if value not in (None, "") else None
