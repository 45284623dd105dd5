"""The generic form engine shared by every flow, without Rasa.

A flow (:class:`FormFlow`) says which slots it needs given what it already has, how to read
an answer for one slot, and what the first message already told us. :func:`form_step` runs
one turn of a form: it decides whether the customer's message answers the question at all
(otherwise the form *rejects* it, so a rule can answer a FAQ, cancel or hand over), reads and
validates the answer, counts failures in a row, and picks the next slot to ask.

Replies are names of domain responses plus template values, never literal text: the
language variant is chosen by Rasa from the ``language`` slot, so every customer-facing
sentence lives in the domain (domain/*.yml) in both languages.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.handoff.reasons import FAILED_VALIDATION
from bot.profile import BusinessProfile

REQUESTED_SLOT = "requested_slot"
FAILURES_SLOT = "flow_failures"
FAILED_SLOT_SLOT = "flow_failed_slot"
HANDOFF_REASON_SLOT = "handoff_reason"
EDIT_FIELD_SLOT = "edit_field"
EDIT_PENDING_SLOT = "edit_pending"
MAX_FAILURES = 3

# Intents that always mean "not an answer": the form rejects and a rule takes over.
HARD_INTERRUPTS: frozenset[str] = frozenset({"cancel", "request_human"})
# Intents that start another flow. A form treats its own trigger intent as an answer.
FLOW_INTENTS: frozenset[str] = frozenset(
    {"request_calibration", "request_financing", "file_complaint", "check_status", "give_feedback"}
)
# Small talk and questions: not an answer unless the text itself holds a valid value.
SOFT_INTERRUPTS: frozenset[str] = frozenset(
    {"faq", "greet", "goodbye", "thank", "bot_challenge", "out_of_scope", "not_helpful"}
)


@dataclass(frozen=True)
class Entity:
    name: str
    value: Any
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Turn:
    """The customer's latest message, as the flows see it."""

    text: str
    intent: str | None = None
    confidence: float = 1.0
    entities: tuple[Entity, ...] = ()
    message_id: str | None = None

    def values(self, name: str) -> list[Any]:
        return [e.value for e in self.entities if e.name == name and e.value not in (None, "")]

    def first(self, name: str) -> Any | None:
        values = self.values(name)
        return values[0] if values else None

    @property
    def is_payload(self) -> bool:
        """A button payload such as ``/inform{"choice": "x"}`` rather than typed text."""
        return self.text.strip().startswith("/")

    @property
    def plain_text(self) -> str:
        """The typed text; empty for a button payload (whose meaning is in intent/entities)."""
        return "" if self.is_payload else self.text.strip()


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A domain response to send, with values for its ``{placeholders}``."""

    response: str
    values: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()


@dataclass
class Context:
    """Everything a flow may consult besides the slots and the message."""

    language: str
    today: date
    profile: BusinessProfile
    sender_id: str = ""
    channel: str = ""
    customer_id: int | None = None
    # Contact details the CRM already knows for this customer: name, company, phone, email.
    known_contact: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Attempt:
    """What one answer gave: slot updates, or the reason it was refused."""

    updates: dict[str, Any] = field(default_factory=dict)
    error: Reply | None = None
    # Clearly an answer to the question, whatever NLU thought of it: refused with the right
    # shape (wrong value), or accepted because a gazetteer or parser recognised it
    # ("Balikpapan" as a city, "sore hari" as a contact time).
    recognised: bool = False

    @classmethod
    def ok(cls, **updates: Any) -> Attempt:
        return cls(updates=dict(updates))

    @classmethod
    def fail(cls, response: str, **values: Any) -> Attempt:
        """Not a value for this question (no date, no number...)."""
        return cls(error=Reply(response, values))

    @classmethod
    def refuse(cls, response: str, **values: Any) -> Attempt:
        """A value for this question that is not acceptable (a past date, another's reference)."""
        return cls(error=Reply(response, values), recognised=True)

    @classmethod
    def from_checked(cls, checked: Any, fallback: str = "utter_invalid_choice") -> Attempt:
        """The failed result of a ``bot.flows.validators`` check."""
        return cls(
            error=Reply(checked.error or fallback, dict(checked.values)),
            recognised=bool(checked.recognised),
        )

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class StepResult:
    slots: dict[str, Any]
    replies: list[Reply]
    rejected: bool = False


def choice_payload(value: str) -> str:
    """Payload of a button that picks ``value`` in the current question."""
    return f'/inform{{"choice": "{value}"}}'


def chosen(turn: Turn) -> str | None:
    """The value of a clicked choice button (entity ``choice``), if any."""
    value = turn.first("choice")
    return str(value) if value is not None else None


class FormFlow(ABC):
    """One form: its slots, what it requires, and how it reads answers."""

    #: The form's name in the domain (domain/<flow>.yml).
    name: str = ""
    #: Intents that start this flow: they are answers inside it, not interruptions.
    own_intents: frozenset[str] = frozenset()
    #: Every slot this flow owns (reset when the flow is cancelled or saved).
    slots: tuple[str, ...] = ()
    #: Slots shared with other flows (contact details): asked here, kept after the flow ends.
    shared_slots: tuple[str, ...] = ()
    #: Slots whose answer is free text: almost any message is an answer.
    free_text_slots: frozenset[str] = frozenset()
    #: Slots read as short text (names, instrument types, cities): a confident small-talk or
    #: FAQ intent is not taken as the answer, since any text would "read" as one.
    textual_slots: frozenset[str] = frozenset()
    #: Slot that holds the final yes/no confirmation (None: the flow has none).
    confirm_slot: str | None = None
    #: Edit choices offered when the customer does not confirm: choice -> slots to clear.
    edit_targets: Mapping[str, tuple[str, ...]] = {}
    #: Typed corrections ("ganti tanggalnya jadi 8 Desember"): field word -> slot it changes.
    corrections: Mapping[str, str] = {}
    #: Offer a person after MAX_FAILURES refused answers in a row (False for a form that runs
    #: because nobody is available).
    offers_human: bool = True

    @abstractmethod
    def required_slots(self, state: Mapping[str, Any], ctx: Context) -> list[str]:
        """Slots still to be asked, in order, given the current slot values."""

    @abstractmethod
    def read(self, slot: str, turn: Turn, state: Mapping[str, Any], ctx: Context) -> Attempt:
        """Read ``turn`` as the answer to ``slot``."""

    def prefill(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Slots the triggering message (or the CRM) already answers. Invalid values are dropped."""
        return {}

    def extra(
        self, requested: str, turn: Turn, state: Mapping[str, Any], ctx: Context
    ) -> dict[str, Any]:
        """Other empty slots that the same answer also fills (e.g. an e-mail typed with the name)."""
        return {}

    def other_answers(self, turn: Turn, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Values for other, still empty slots in a message that does not answer the question
        ("termometer digital 5 buah" when the service type is asked): kept, and the question
        is asked again."""
        return {}

    def noted(
        self, before: Mapping[str, Any], after: Mapping[str, Any], requested: str, ctx: Context
    ) -> str | None:
        """What one message filled besides a plain answer, to say back ("3 timbangan digital")."""
        return None

    def settle(self, state: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Derived updates after every step (e.g. move a finished instrument line to the list)."""
        return {}

    # -- helpers available to every flow ------------------------------------------------------

    def owned_slots(self) -> tuple[str, ...]:
        """Slots that belong to this flow alone (cleared when it is saved or cancelled)."""
        extra = (EDIT_FIELD_SLOT, EDIT_PENDING_SLOT) if self.confirm_slot else ()
        return tuple(self.slots) + extra

    def all_slots(self) -> tuple[str, ...]:
        """Every slot this form may ask for."""
        return self.owned_slots() + tuple(self.shared_slots)

    def with_confirmation(self, required: list[str], state: Mapping[str, Any]) -> list[str]:
        """Append the edit question (after a "no") and the confirmation to ``required``."""
        if not self.confirm_slot:
            return required
        if state.get(EDIT_PENDING_SLOT):
            required = [*required, EDIT_FIELD_SLOT]
        return [*required, self.confirm_slot]

    def read_confirmation(self, turn: Turn) -> Attempt:
        slot = self.confirm_slot
        if slot is None:
            raise TypeError(f"{type(self).__name__} asks for no confirmation")
        answer = read_yes_no(turn)
        if answer is True:
            return Attempt.ok(**{slot: True})
        if answer is False:
            return Attempt.ok(**{slot: None, EDIT_PENDING_SLOT: True, EDIT_FIELD_SLOT: None})
        return Attempt.fail("utter_invalid_confirmation")

    def read_edit_field(self, turn: Turn) -> Attempt:
        choice = chosen(turn)
        if choice is None:
            choice = match_label(turn.plain_text, self.edit_labels_for_matching())
        if choice is None or choice not in self.edit_targets:
            return Attempt.fail("utter_invalid_choice")
        updates: dict[str, Any] = {slot: None for slot in self.edit_targets[choice]}
        updates.update({EDIT_PENDING_SLOT: None, EDIT_FIELD_SLOT: None})
        return Attempt(updates=updates)

    def edit_labels_for_matching(self) -> Mapping[str, Sequence[str]]:
        from bot.flows.texts import EDIT_LABELS

        return {
            key: [
                EDIT_LABELS[key]["id"],
                EDIT_LABELS[key]["en"],
                *EDIT_LABELS[key]["words"],
            ]
            for key in self.edit_targets
            if key in EDIT_LABELS
        }

    def is_answer(self, slot: str, turn: Turn) -> bool | None:
        """False: certainly not an answer (reject). None: an answer only if it reads as one.

        Slot first, intent second: typed text for a free-text or short-text slot (a name, a
        company, a city, an address) *is* the answer whatever NLU thinks of it (a company
        called ``Robert'); DELETE FROM ...`` is not a status check, "Balikpapan" is not a
        calibration request). Only explicit escapes interrupt such a question: a cancel or a
        request for a person that says so in words, and an unmistakable FAQ question (answered,
        then the question is asked again). Structured questions (a date, an amount, a choice)
        take the message when it reads as a value and leave it to the rules otherwise.
        """
        intent = turn.intent or ""
        text = turn.plain_text
        if text and (slot in self.free_text_slots or slot in self.textual_slots):
            if is_explicit_escape(turn) or is_unmistakable_question(turn):
                return False
            if intent in FLOW_INTENTS and intent not in self.own_intents:
                # "saya mau cek status pengajuan": a request in so many words (the switch is
                # asked first, so a wrong guess costs the customer one click).
                return not is_unmistakable_request(turn)
            # "halo kak" is not a name; anything else is the answer.
            return not (slot in self.textual_slots and is_pure_small_talk(turn))
        if intent in HARD_INTERRUPTS:
            return False
        if intent in FLOW_INTENTS and intent not in self.own_intents:
            if turn.is_payload:
                return False  # a button that starts another request is never an answer
            # A reference typed when a reference is asked reads as "check_status" to NLU:
            # a structured question takes the message if it holds a value for it.
            return None
        if intent in SOFT_INTERRUPTS:
            return None
        return True


# Words that make a cancel or a request for a person explicit (NLU alone is not enough to
# drop a typed name or address: punctuation and SQL-looking text fool it).
CANCEL_WORDS = (
    "batal",
    "batalkan",
    "dibatalkan",
    "cancel",
    "gak jadi",
    "ga jadi",
    "gk jadi",
    "nggak jadi",
    "ngga jadi",
    "enggak jadi",
    "tidak jadi",
    "gajadi",
    "stop",
    "berhenti",
    "udahan",
    "never mind",
    "nevermind",
    "forget it",
    "gak usah",
    "ga usah",
    "nggak usah",
    "tidak usah",
    "quit",
    "abort",
)
HUMAN_WORDS = (
    "agen",
    "agent",
    "cs",
    "manusia",
    "operator",
    "human",
    "person",
    "petugas",
    "admin",
    "staff",
    "staf",
    "customer service",
    "representative",
    "orang",
)
# A question that is unmistakably one: NLU this sure it is a FAQ, and it reads as a question.
QUESTION_CONFIDENCE = 0.9
QUESTION_WORDS = frozenset(
    {
        "apa",
        "apakah",
        "kapan",
        "berapa",
        "bagaimana",
        "gimana",
        "dimana",
        "mana",
        "bisakah",
        "what",
        "when",
        "where",
        "how",
        "which",
        "do",
        "does",
        "is",
        "are",
        "can",
    }
)


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w@.]+", " ", text.lower()).split()) + " "


# A request in so many words: NLU sure of it and the text says "I want ...".
REQUEST_CONFIDENCE = 0.8
REQUEST_WORDS = (
    "mau",
    "ingin",
    "pengen",
    "pingin",
    "minta",
    "tolong",
    "mohon",
    "want",
    "would like",
    "i d like",
    "need",
    "please",
)
# Words of a greeting or thanks with no value in them (time-of-day words are values).
SMALL_TALK_WORDS = frozenset(
    {
        "halo",
        "hallo",
        "helo",
        "hai",
        "hi",
        "hello",
        "hey",
        "kak",
        "ka",
        "min",
        "gan",
        "selamat",
        "makasih",
        "terima",
        "kasih",
        "trims",
        "thanks",
        "thank",
        "you",
        "thx",
        "tq",
        "bye",
        "dadah",
        "ok",
        "oke",
        "okay",
        "sip",
    }
)
SMALL_TALK_INTENTS = frozenset({"greet", "thank", "goodbye"})


def is_unmistakable_request(turn: Turn) -> bool:
    """Another request said in so many words ("saya mau cek status pengajuan")."""
    if turn.is_payload:
        return True
    if turn.confidence < REQUEST_CONFIDENCE:
        return False
    words = _words(turn.plain_text)
    return any(f" {w} " in words for w in REQUEST_WORDS)


def is_pure_small_talk(turn: Turn) -> bool:
    """A greeting or thanks and nothing else ("halo kak", "makasih ya")."""
    if (turn.intent or "") not in SMALL_TALK_INTENTS:
        return False
    words = _words(turn.plain_text).split()
    return bool(words) and all(w in SMALL_TALK_WORDS or w in ("ya", "yaa") for w in words)


def is_explicit_escape(turn: Turn) -> bool:
    """A cancel or a request for a person that NLU recognises AND the words say."""
    if turn.is_payload:
        return (turn.intent or "") in HARD_INTERRUPTS
    words = _words(turn.plain_text)
    if turn.intent == "cancel":
        return any(f" {w} " in words for w in CANCEL_WORDS)
    if turn.intent == "request_human":
        return any(f" {w} " in words for w in HUMAN_WORDS)
    return False


def is_unmistakable_question(turn: Turn) -> bool:
    """A FAQ question NLU is sure of that is phrased as a question ("jam buka kapan?")."""
    if turn.intent != "faq" or turn.confidence < QUESTION_CONFIDENCE:
        return False
    stripped = turn.plain_text.strip()
    words = stripped.lower().split()
    if not words or len(words) > 15:
        return False
    return stripped.endswith("?") or (len(words) >= 3 and words[0] in QUESTION_WORDS)


def read_yes_no(turn: Turn) -> bool | None:
    """affirm/deny intent, a yes/no button, or an unmistakable yes/no word."""
    choice = chosen(turn)
    if choice in ("yes", "no"):
        return choice == "yes"
    if turn.intent == "affirm":
        return True
    if turn.intent == "deny":
        return False
    words = turn.plain_text.lower().strip(" .!?")
    if words in YES_WORDS:
        return True
    if words in NO_WORDS:
        return False
    return None


YES_WORDS = frozenset(
    {
        "ya",
        "iya",
        "y",
        "yes",
        "ok",
        "oke",
        "okay",
        "boleh",
        "betul",
        "benar",
        "setuju",
        "sip",
        "yup",
        "yep",
        "sure",
        "correct",
        "agree",
        "i agree",
        "ya benar",
        "iya benar",
        "lanjut",
        "kirim",
    }
)
NO_WORDS = frozenset(
    {
        "tidak",
        "tdk",
        "gak",
        "ga",
        "nggak",
        "enggak",
        "engga",
        "no",
        "n",
        "nope",
        "bukan",
        "belum",
        "tidak setuju",
        "ga setuju",
        "gak setuju",
        "i don't agree",
        "i do not agree",
        "salah",
    }
)


# "udah itu aja", "that's all": nothing more to add (to "any other instrument?").
DONE_PHRASES = (
    "itu aja",
    "itu saja",
    "itu doang",
    "segitu aja",
    "segitu saja",
    "udah",
    "sudah",
    "cukup",
    "that s all",
    "thats all",
    "that s it",
    "nothing else",
    "no more",
    "no other",
    "done",
)


def says_that_is_all(text: str) -> bool:
    """ "udah itu aja", "sudah cukup", "that's all": the customer has nothing more to add."""
    words = _words(text)
    return any(f" {phrase} " in words for phrase in DONE_PHRASES)


def picked_option(
    turn: Turn, options: Mapping[str, Sequence[str]], entity: str | None = None
) -> str | None:
    """The key of ``options`` that a choice button, the ``entity`` or the typed words name.

    None when the answer names none of them (the caller asks again).
    """
    value = (
        chosen(turn)
        or (turn.first(entity) if entity else None)
        or match_label(turn.plain_text, options)
    )
    return value if value in options else None


def match_label(text: str, labels: Mapping[str, Sequence[str]]) -> str | None:
    """The key whose label or synonym the text names; a number picks the n-th key.

    Exact matches win; otherwise the key with the longest synonym contained in the text
    ("tera ulang" beats "tera").
    """
    cleaned = " ".join(text.lower().split()).strip(" .!?")
    if not cleaned:
        return None
    keys = list(labels)
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(keys):
        return keys[int(cleaned) - 1]
    for key, names in labels.items():
        if cleaned == key.lower() or any(cleaned == str(n).lower() for n in names):
            return key
    best: str | None = None
    best_length = 0
    tie = False
    padded = " " + " ".join(re.sub(r"[^\w\-/@.]+", " ", cleaned).split()) + " "
    for key, names in labels.items():
        for name in names:
            name = str(name).lower()
            if len(name) >= 2 and f" {name} " in padded:
                if len(name) > best_length:
                    best, best_length, tie = key, len(name), False
                elif len(name) == best_length and key != best:
                    tie = True
    return None if tie else best


def form_step(
    flow: FormFlow,
    state: Mapping[str, Any],
    requested: str | None,
    turn: Turn,
    ctx: Context,
    *,
    interrupted: bool = False,
) -> StepResult:
    """Run one turn of ``flow``.

    ``requested`` is the slot the form asked for last (None, or another form's slot, when
    the form is being activated); ``interrupted`` is True when the form resumes after a
    FAQ answer or another unhappy path, so the latest message is not an answer.
    """
    current: dict[str, Any] = dict(state)
    updates: dict[str, Any] = {}
    replies: list[Reply] = []

    activating = requested not in flow.all_slots()
    if activating:
        from bot.flows import switching

        back = switching.resumed(current, flow.name)
        if back is not None:  # set aside for another request earlier: carry on from there
            updates.update(back)
            replies.append(
                Reply("utter_flow_resumed", {"flow": switching.flow_name(flow.name, ctx.language)})
            )
        prefilled = flow.prefill(turn, current, ctx)
        if back is not None:  # what the customer already answered stays as answered
            prefilled = {k: v for k, v in prefilled.items() if current.get(k) is None}
        updates.update(prefilled)
        updates[FAILURES_SLOT] = 0
        updates[FAILED_SLOT_SLOT] = None
    elif not interrupted and requested is not None and _switch_pending(current):
        # "Lanjutkan …, atau mulai …?" was asked: "continue" asks the question again;
        # anything else is read as usual (an answer, or the other request once more).
        from bot.flows import switching

        if switching.wants_to_resume(turn):
            return StepResult(
                {switching.SWITCH_SLOT: None, requested: current.get(requested)}, replies
            )
        result = form_step(flow, {**current, "flow_switch_to": None}, requested, turn, ctx)
        if not result.rejected:
            result.slots.setdefault("flow_switch_to", None)
        return result
    elif (
        not interrupted
        and requested is not None
        and requested not in flow.free_text_slots  # a description may well say "… salah"
        and (correction := read_correction(flow, current, turn, ctx))
    ):
        # "emailnya salah, yang benar budi@x.co.id": change that answer (read like any
        # answer), then the form goes on; on the summary, the summary is shown again.
        if correction.failed:
            if correction.error is not None:
                replies.append(correction.error)
        else:
            updates.update(correction.updates)
            if flow.confirm_slot:
                updates.update({flow.confirm_slot: None, EDIT_PENDING_SLOT: None})
                updates[EDIT_FIELD_SLOT] = None
    elif not interrupted and requested is not None:  # not activating: one of the form's slots
        verdict = flow.is_answer(requested, turn)
        if verdict is False:
            return StepResult({}, [], rejected=True)
        if requested == flow.confirm_slot:
            attempt = flow.read_confirmation(turn)
        elif requested == EDIT_FIELD_SLOT:
            attempt = flow.read_edit_field(turn)
        else:
            attempt = flow.read(requested, turn, current, ctx)
        others = (
            flow.other_answers(turn, current, ctx)
            if attempt.failed and not attempt.recognised
            else {}
        )
        if others:
            # Not an answer to this question but to others: keep those, ask this one again.
            attempt = Attempt(updates=others)
        if attempt.failed and verdict is None and not attempt.recognised:
            # Small talk, a question or another request that does not read as an answer:
            # let the rules answer it.
            return StepResult({}, [], rejected=True)
        if attempt.failed and not flow.offers_human:
            updates[requested] = None
            if attempt.error is not None:
                replies.append(attempt.error)
        elif attempt.failed:
            updates.update(_count_failure(requested, current, replies, attempt.error))
        else:
            updates.update(attempt.updates)
            updates[FAILURES_SLOT] = 0
            updates[FAILED_SLOT_SLOT] = None
            if flow.offers_human and current.get(HANDOFF_REASON_SLOT) == FAILED_VALIDATION:
                updates[HANDOFF_REASON_SLOT] = None  # the offer is moot once an answer works
            current.update(updates)
            updates.update(flow.extra(requested, turn, current, ctx))

    current.update(updates)
    settled = flow.settle(current, ctx)
    current.update(settled)
    updates.update(settled)
    if not activating and not interrupted and requested is not None:
        noted = flow.noted(state, current, requested, ctx)
        if noted:
            replies.append(Reply("utter_noted", {"noted": noted}))

    missing = [slot for slot in flow.required_slots(current, ctx) if current.get(slot) is None]
    updates[REQUESTED_SLOT] = missing[0] if missing else None
    if not activating and not interrupted and requested is not None and requested not in updates:
        # A SlotSet for the requested slot tells Rasa the message was handled (no rejection).
        updates[requested] = current.get(requested)
    # Failure bookkeeping that already holds its value needs no event: every SlotSet is
    # stored, sent to the action server and replayed on each later turn of the conversation
    # (these two were a third of all slot events in the benchmark).
    for slot in (FAILURES_SLOT, FAILED_SLOT_SLOT):
        if slot in updates and updates[slot] == state.get(slot):
            del updates[slot]
    return StepResult(updates, replies)


# Contact details are corrected the same way in every form.
CONTACT_CORRECTIONS: Mapping[str, str] = {
    "nama": "contact_name",
    "name": "contact_name",
    "email": "contact_email",
    "e-mail": "contact_email",
    "surel": "contact_email",
    "telepon": "contact_phone",
    "telp": "contact_phone",
    "hp": "contact_phone",
    "no hp": "contact_phone",
    "nomor hp": "contact_phone",
    "wa": "contact_phone",
    "nomor wa": "contact_phone",
    "phone": "contact_phone",
    "phone number": "contact_phone",
    "number": "contact_phone",
    "perusahaan": "contact_company",
    "nama perusahaan": "contact_company",
    "company": "contact_company",
}
_FIELD = r"(?:the\s+|my\s+)?(?P<field>[a-z][a-z\- ]{0,24}?)(?:nya|-nya)?"
_CORRECTION_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE | re.DOTALL)
    for pattern in (
        # "ganti tanggalnya jadi 8 Desember", "change the date to 8 December"
        rf"^(?:tolong\s+|mohon\s+|please\s+)?(?:ganti|ubah|koreksi|change|update|correct)\s+"
        rf"{_FIELD}\s+(?:jadi|menjadi|dengan|ke|to|into)\s+(?P<value>.+)$",
        # "emailnya salah, yang benar budi@x.co.id", "the e-mail is wrong, it's ..."
        rf"^{_FIELD}\s+(?:is\s+|was\s+)?(?:salah|keliru|wrong)\b[\s,.;:!-]*"
        r"(?:yang\s+)?(?:benar(?:nya)?|betul(?:nya)?|bener(?:nya)?|seharusnya|harusnya|"
        r"it'?s|it\s+is|should\s+be|the\s+right\s+one\s+is|correct\s+one\s+is)?\s*:?\s*"
        r"(?P<value>.+)$",
        # "my e-mail should be ...", "the date should be the 8th"
        rf"^{_FIELD}\s+(?:should\s+be|harusnya|seharusnya)\s+(?P<value>.+)$",
        # "tanggalnya tanggal 8 ya", "emailnya budi@x.co.id": a field word with -nya first
        r"^(?P<field>[a-z][a-z\-]{1,20}?)-?nya\s+(?:jadi\s+|diganti\s+)?(?P<value>.+)$",
    )
)


def read_correction(
    flow: FormFlow, state: Mapping[str, Any], turn: Turn, ctx: Context
) -> Attempt | None:
    """A typed correction of an answer already given, read like that answer; None if the
    message is not one (so it is read as an answer to the question)."""
    if turn.is_payload or not flow.corrections:
        return None
    text = turn.plain_text
    for pattern in _CORRECTION_PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        field_words = " ".join(found.group("field").lower().split())
        slot = flow.corrections.get(field_words)
        if slot is None or state.get(slot) is None or slot not in flow.all_slots():
            continue
        start = found.start("value")
        value = found.group("value").strip()
        entities = tuple(
            Entity(e.name, e.value, e.start - start, (e.end or e.start) - start)
            if e.start is not None and e.start >= start
            else e
            for e in turn.entities
            if e.start is None or e.start >= start
        )
        answer = Turn(
            text=value,
            intent="inform",
            confidence=turn.confidence,
            entities=entities,
            message_id=turn.message_id,
        )
        attempt = flow.read(slot, answer, {**state, slot: None}, ctx)
        return attempt if attempt.failed or attempt.updates else None
    return None


def _switch_pending(state: Mapping[str, Any]) -> bool:
    return bool(state.get("flow_switch_to"))


def _count_failure(
    slot: str, state: Mapping[str, Any], replies: list[Reply], error: Reply | None
) -> dict[str, Any]:
    previous = int(state.get(FAILURES_SLOT) or 0) if state.get(FAILED_SLOT_SLOT) == slot else 0
    count = previous + 1
    if error is not None:
        replies.append(error)
    updates: dict[str, Any] = {slot: None, FAILED_SLOT_SLOT: slot}
    if count >= MAX_FAILURES:
        replies.append(
            Reply("utter_offer_human_after_failures", buttons=())  # buttons come from the response
        )
        updates[HANDOFF_REASON_SLOT] = FAILED_VALIDATION
        count = 0
    updates[FAILURES_SLOT] = count
    return updates


def reset_slots(flow: FormFlow) -> dict[str, Any]:
    """Slot values that clear everything ``flow`` collected (after save or cancel)."""
    values: dict[str, Any] = {slot: None for slot in flow.owned_slots()}
    values.update({REQUESTED_SLOT: None, FAILURES_SLOT: 0, FAILED_SLOT_SLOT: None})
    return values
