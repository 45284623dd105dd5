"""Scripted customers: what they type, and how each reply is checked.

A script has two parts:

* ``opening``: fixed turns (a greeting, an FAQ question, the first request). A turn may
  name a loose expectation: a regular expression the reply must match, e.g. a fact from
  the business profile in an FAQ answer.
* ``answers``: for a request, the customer then answers whatever the bot asks, in whatever
  order. The question is recognised by matching the reply against the bot's own question
  templates (``utter_ask_*`` and ``utter_offer_feedback`` in domain/, read at run time),
  so a reordered form, a prefilled slot or a reworded question does not break the script.
  The conversation succeeds when a reply matches ``goal`` (e.g. a ``KAL-`` reference) and
  ends when the bot asks nothing more (after the feedback offer has been answered).

The bare bot understands none of this; it is replayed exactly the messages each full-stack
conversation sent (typed text instead of button payloads), so both get the same load.

Turn texts are templates filled from the conversation's context: a fictional customer
(name, company, phone, e-mail), plus the ``reference`` a status check asks about.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import PROJECT_ROOT

# The mix from issue 8.
MIX: tuple[tuple[str, float], ...] = (
    ("faq", 0.5),
    ("calibration", 0.2),
    ("financing", 0.1),
    ("complaint", 0.1),
    ("status", 0.1),
)

REF_KAL = r"\bKAL-\d{4}-\d{6}\b"
REF_FIN = r"\bFIN-\d{4}-\d{6}\b"
REF_CMP = r"\bCMP-\d{4}-\d{6}\b"
MAX_TURNS = 30  # a request needs ~15 messages; more means the customer is going in circles
MAX_SAME_QUESTION = 3  # the same question this many times in a row: the answer is refused


def _fill(template: str, context: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders from the context (regex braces such as ``\\d{4}`` stay)."""
    return re.sub(r"\{(\w+)\}", lambda m: context.get(m.group(1), m.group(0)), template)


def expectation(pattern: str, context: Mapping[str, str]) -> str:
    """A regex with ``{reference}`` replaced by the escaped reference of this conversation."""
    return pattern.replace("{reference}", re.escape(context.get("reference", "")))


@dataclass(frozen=True)
class Step:
    """One customer message.

    ``button``: when the bot's previous reply offered a button whose payload contains this
    string (``/affirm``, ``"analog"``...), the customer taps it and its payload is sent, as
    the widget does; otherwise ``text`` is typed. The bare bot always gets ``text``.
    """

    text: str
    expect: str | None = None  # regex (case-insensitive) the reply must match
    why: str = ""  # what the expectation stands for, in error reports
    button: str | None = None

    def problem(self, reply: str, context: Mapping[str, str]) -> str | None:
        """None when the reply is acceptable, else what was missing."""
        if not reply.strip():
            return "empty reply"
        if self.expect and not re.search(expectation(self.expect, context), reply, re.I | re.S):
            return f"expected {self.why or self.expect}"
        return None


Answers = Mapping[str, tuple[Step, ...]]


@dataclass(frozen=True)
class Script:
    name: str
    kind: str  # faq | calibration | financing | complaint | status
    language: str  # id | en
    opening: tuple[Step, ...]
    # Question key (response name without ``utter_ask_``) -> the answers given the 1st, 2nd...
    # time it is asked (the last one is repeated).
    answers: Answers = field(default_factory=dict)
    goal: str | None = None  # regex a reply must match for the conversation to succeed
    goal_why: str = ""
    creates: str | None = None  # KAL | FIN | CMP: the record a completed run stores
    feedback: bool = False  # the customer also leaves feedback (one `feedback` row)


@dataclass
class Conversation:
    sender: str
    script: Script
    context: dict[str, str] = field(default_factory=dict)
    offered_payloads: list[str] = field(default_factory=list)  # buttons of the last reply
    sent_texts: list[str] = field(default_factory=list)  # typed equivalents, for the replay

    def message(self, step: Step) -> str:
        """What the customer sends: the offered button's payload, or the typed text."""
        if step.button:
            for payload in self.offered_payloads:
                if step.button in payload:
                    return payload
        return self.text(step)

    def text(self, step: Step) -> str:
        return _fill(step.text, self.context)


def reply_payloads(body: Any) -> list[str]:
    """Payloads of the buttons in the bot's reply."""
    return [
        str(button["payload"])
        for message in (body if isinstance(body, list) else [])
        if isinstance(message, dict)
        for button in message.get("buttons") or []
        if isinstance(button, dict) and button.get("payload")
    ]


def reply_messages(body: Any) -> list[str]:
    return [
        str(message["text"])
        for message in (body if isinstance(body, list) else [])
        if isinstance(message, dict) and message.get("text")
    ]


def reply_text(body: Any) -> str:
    """The bot's reply as one string: message texts and button titles."""
    parts: list[str] = []
    for message in body if isinstance(body, list) else []:
        if not isinstance(message, dict):
            continue
        if message.get("text"):
            parts.append(str(message["text"]))
        parts.extend(
            str(button["title"])
            for button in message.get("buttons") or []
            if isinstance(button, dict) and button.get("title")
        )
    return "\n".join(parts)


# --------------------------------------------------------------------------------------
# Recognising the bot's questions from its own templates.
# --------------------------------------------------------------------------------------
QUESTION_PREFIX = "utter_ask_"
EXTRA_QUESTIONS = ("utter_offer_feedback", "utter_offer_human")
# The bot's "I did not understand" prompts: a reply ending with one is an error in any script.
NOT_UNDERSTOOD = frozenset({"rephrase", "offer_human"})


def _template_regex(text: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}\n]+\})", text.strip())
    body = "".join(".+?" if re.fullmatch(r"\{[^{}\n]+\}", p) else re.escape(p) for p in parts)
    return re.compile(body, re.S)


def _domain_responses(root: Path) -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((root / "domain").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        responses.update(data.get("responses") or {})
    return responses


@lru_cache(maxsize=4)
def question_templates(root: Path = PROJECT_ROOT) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(question key, regex) for every variant of every question response of the domain."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for name, variants in _domain_responses(root).items():
        if not (name.startswith(QUESTION_PREFIX) or name in EXTRA_QUESTIONS):
            continue
        key = (
            name[len(QUESTION_PREFIX) :]
            if name.startswith(QUESTION_PREFIX)
            else name[len("utter_") :]
        )
        found.extend(
            (key, _template_regex(str(variant["text"])))
            for variant in variants or []
            if isinstance(variant, dict) and variant.get("text")
        )
    # Longer templates first: "site_address_city" must win over "site_address".
    found.sort(key=lambda item: -len(item[1].pattern))
    return tuple(found)


def asked_question(messages: Sequence[str], root: Path = PROJECT_ROOT) -> str | None:
    """The question the bot's reply ends with (the last message that is one), if any."""
    templates = question_templates(root)
    for message in reversed(messages):
        for key, pattern in templates:
            if pattern.fullmatch(message.strip()):
                return key
    return None


# --------------------------------------------------------------------------------------
# Scripts. FAQ checks are facts from data/business_profile.yml.
# --------------------------------------------------------------------------------------
AFFIRM, DENY = "/affirm", "/deny"


def _choice(value: str) -> str:
    """Substring of a choice button's payload, e.g. ``/inform{"choice": "analog"}``."""
    return f'"{value}"'


def _a(*steps: Step) -> tuple[Step, ...]:
    return steps


CONTACT_ANSWERS: Answers = {
    "contact_company": _a(Step("{company}")),
    "contact_name": _a(Step("{name}")),
    "contact_phone": _a(Step("{phone}")),
    "contact_email": _a(Step("{email}")),
}
SKIP_FEEDBACK_ID: Answers = {"offer_feedback": _a(Step("lewati", button=DENY))}
SKIP_FEEDBACK_EN: Answers = {"offer_feedback": _a(Step("skip", button=DENY))}
GIVE_FEEDBACK_EN: Answers = {
    "offer_feedback": _a(Step("5", button=_choice("5"))),
    "fb_rating": _a(Step("5", button=_choice("5"))),
    "fb_kind": _a(Step("praise", button=_choice("pujian"))),
    "fb_recommend": _a(Step("yes", button=AFFIRM)),
    "fb_comment": _a(Step("Quick and clear, thank you!")),
}

FAQ_SCRIPTS: tuple[Script, ...] = (
    Script(
        "faq_hours_id",
        "faq",
        "id",
        (
            Step("halo"),
            Step("kantornya buka jam berapa ya?", r"08[.:]00", "the opening hour 08:00"),
            Step("oke makasih"),
        ),
    ),
    Script(
        "faq_price_id",
        "faq",
        "id",
        (
            Step(
                "permisi kak, berapa biaya kalibrasi pressure gauge?",
                r"150[.,]000",
                "the price from Rp150.000",
            ),
            Step("terima kasih"),
        ),
    ),
    Script(
        "faq_documents_en",
        "faq",
        "en",
        (
            Step("hello"),
            Step("what documents do I need for a car loan?", r"KTP|ID card", "the ID card (KTP)"),
            Step("thanks"),
        ),
    ),
    Script(
        "faq_accreditation_id",
        "faq",
        "id",
        (
            Step("lab kalian sudah terakreditasi KAN belum?", r"\bKAN\b", "the KAN accreditation"),
            Step("sip makasih"),
        ),
    ),
    Script(
        "faq_late_fee_id",
        "faq",
        "id",
        (
            Step("selamat siang"),
            Step("denda keterlambatan angsuran berapa persen?", r"0[,.]2\s*%", "the late fee 0.2%"),
            Step("makasih kak"),
        ),
    ),
    Script(
        "faq_hours_en",
        "faq",
        "en",
        (
            Step("what are your office hours?", r"08[.:]00", "the opening hour 08:00"),
            Step("thank you"),
        ),
    ),
    Script(
        "faq_address_id",
        "faq",
        "id",
        (
            Step(
                "alamat lab kalibrasi di cikarang dimana ya?", r"Cikarang", "the Cikarang address"
            ),
            Step("oke makasih"),
        ),
    ),
    Script(
        "faq_price_en",
        "faq",
        "en",
        (
            Step("hi"),
            Step(
                "how much does it cost to calibrate a thermometer?",
                r"200,000",
                "the price from IDR 200,000",
            ),
            Step("ok thanks"),
        ),
    ),
)

CALIBRATION_SCRIPTS: tuple[Script, ...] = (
    # On site: type, quantity and location come with the first message.
    Script(
        "calibration_onsite_id",
        "calibration",
        "id",
        (Step("halo, mau kalibrasi 12 pressure gauge di pabrik Cikarang"),),
        {
            "cal_service_type": _a(Step("kalibrasi", button=_choice("kalibrasi"))),
            "cal_instrument_type": _a(Step("pressure gauge")),
            "cal_instrument_spec": _a(Step("analog", button=_choice("analog"))),
            "cal_quantity": _a(Step("12")),
            "cal_more_instruments": _a(Step("tidak, itu saja", button=DENY)),
            "cal_location": _a(Step("di lokasi kami", button=_choice("onsite"))),
            "cal_site_address": _a(
                Step("Kawasan Industri Jababeka Blok C-3 No. 12, Cikarang Utara")
            ),
            "cal_site_address_city": _a(
                Step("Kawasan Industri Jababeka Blok C-3 No. 12, Cikarang Utara")
            ),
            "cal_preferred_date": _a(Step("minggu depan")),
            **CONTACT_ANSWERS,
            "cal_confirm": _a(Step("ya, sudah benar", button=AFFIRM)),
            **SKIP_FEEDBACK_ID,
        },
        goal=REF_KAL,
        goal_why="a KAL- reference",
        creates="KAL",
    ),
    # Sent to the lab, in English, with feedback.
    Script(
        "calibration_lab_en",
        "calibration",
        "en",
        (Step("Hello, I need a calibration quotation for thermometers"),),
        {
            "cal_service_type": _a(Step("calibration", button=_choice("kalibrasi"))),
            "cal_instrument_type": _a(Step("thermometer")),
            "cal_instrument_spec": _a(Step("digital", button=_choice("digital"))),
            "cal_quantity": _a(Step("3")),
            "cal_more_instruments": _a(Step("no, that's all", button=DENY)),
            "cal_location": _a(Step("we will send them to your laboratory", button=_choice("lab"))),
            "cal_site_address": _a(Step("Jl. Gatot Subroto Kav. 21, Jakarta")),
            "cal_site_address_city": _a(Step("Jl. Gatot Subroto Kav. 21")),
            "cal_preferred_date": _a(Step("next Monday")),
            **CONTACT_ANSWERS,
            "cal_confirm": _a(Step("yes, submit", button=AFFIRM)),
            **GIVE_FEEDBACK_EN,
        },
        goal=REF_KAL,
        goal_why="a KAL- reference",
        creates="KAL",
        feedback=True,
    ),
    # Tera ulang, two instrument lines.
    Script(
        "calibration_two_lines_id",
        "calibration",
        "id",
        (Step("mau minta penawaran tera ulang 3 timbangan digital"),),
        {
            "cal_service_type": _a(Step("tera ulang", button=_choice("tera_ulang"))),
            "cal_instrument_type": _a(Step("termometer")),
            "cal_instrument_spec": _a(
                Step("digital", button=_choice("digital")), Step("analog", button=_choice("analog"))
            ),
            "cal_quantity": _a(Step("3"), Step("2")),
            "cal_more_instruments": _a(
                Step("ya, tambah", button=AFFIRM), Step("tidak", button=DENY)
            ),
            "cal_location": _a(Step("dikirim ke lab", button=_choice("lab"))),
            "cal_site_address": _a(Step("Jl. Raya Bogor Km 30, Depok")),
            "cal_site_address_city": _a(Step("Jl. Raya Bogor Km 30")),
            "cal_preferred_date": _a(Step("besok")),
            **CONTACT_ANSWERS,
            "cal_confirm": _a(Step("ya", button=AFFIRM)),
            **SKIP_FEEDBACK_ID,
        },
        goal=REF_KAL,
        goal_why="a KAL- reference",
        creates="KAL",
    ),
)

FINANCING_SCRIPTS: tuple[Script, ...] = (
    Script(
        "financing_motorcycle_id",
        "financing",
        "id",
        (Step("mau ajukan kredit motor baru"),),
        {
            "fin_product": _a(Step("motor")),
            "fin_condition": _a(Step("baru", button=_choice("new"))),
            "fin_amount": _a(Step("25 juta")),
            "fin_down_payment": _a(Step("5 juta")),
            "fin_down_payment_plain": _a(Step("5 juta")),
            "fin_tenor": _a(Step("24 bulan", button=_choice("24"))),
            "fin_city": _a(Step("Medan")),
            "fin_consent": _a(Step("setuju", button=AFFIRM)),
            **CONTACT_ANSWERS,
            "fin_contact_time": _a(Step("pagi jam 9-12", button=_choice("morning"))),
            "fin_confirm": _a(Step("ya, kirim", button=AFFIRM)),
            **SKIP_FEEDBACK_ID,
        },
        goal=REF_FIN,
        goal_why="a FIN- reference",
        creates="FIN",
    ),
    Script(
        "financing_car_en",
        "financing",
        "en",
        (Step("Hello, I would like to apply for car financing please"),),
        {
            "fin_product": _a(Step("a car")),
            "fin_condition": _a(Step("new", button=_choice("new"))),
            "fin_amount": _a(Step("200 million")),
            "fin_down_payment": _a(Step("25%")),
            "fin_down_payment_plain": _a(Step("50 million")),
            "fin_tenor": _a(Step("36 months", button=_choice("36"))),
            "fin_city": _a(Step("Surabaya")),
            "fin_consent": _a(Step("I agree", button=AFFIRM)),
            **CONTACT_ANSWERS,
            "fin_contact_time": _a(Step("late afternoon", button=_choice("late_afternoon"))),
            "fin_confirm": _a(Step("yes, submit", button=AFFIRM)),
            **SKIP_FEEDBACK_EN,
        },
        goal=REF_FIN,
        goal_why="a FIN- reference",
        creates="FIN",
    ),
)

COMPLAINT_SCRIPTS: tuple[Script, ...] = (
    Script(
        "complaint_late_certificate_id",
        "complaint",
        "id",
        (Step("saya mau komplain"),),
        {
            "cmp_category": _a(Step("sertifikat terlambat", button=_choice("late_certificate"))),
            **CONTACT_ANSWERS,
            "cmp_related_reference": _a(Step("tidak ada", button=_choice("none"))),
            "cmp_description": _a(
                Step(
                    "Sertifikat kalibrasi kami sudah 3 minggu belum dikirim, padahal pekerjaan sudah selesai."
                )
            ),
            "cmp_resolution": _a(Step("Mohon sertifikatnya segera dikirim lewat email.")),
            "cmp_severity": _a(Step("sedang", button=_choice("medium"))),
            "cmp_confirm": _a(Step("ya, kirim", button=AFFIRM)),
        },
        goal=REF_CMP,
        goal_why="a CMP- ticket",
        creates="CMP",
    ),
    Script(
        "complaint_invoice_en",
        "complaint",
        "en",
        (Step("I want to make a complaint"),),
        {
            "cmp_category": _a(Step("wrong invoice", button=_choice("wrong_invoice"))),
            **CONTACT_ANSWERS,
            "cmp_related_reference": _a(Step("none", button=_choice("none"))),
            "cmp_description": _a(
                Step("The invoice lists ten units but we only sent eight thermometers.")
            ),
            "cmp_resolution": _a(Step("Please send a corrected invoice.")),
            "cmp_severity": _a(Step("medium", button=_choice("medium"))),
            "cmp_confirm": _a(Step("yes, submit", button=AFFIRM)),
        },
        goal=REF_CMP,
        goal_why="a CMP- ticket",
        creates="CMP",
    ),
)

# A status check by the conversation that filed the request (its owner; bench/run.py).
_STATUS_ANSWERS: Answers = {
    "status_reference": _a(Step("{reference}")),
}
_STATUS_GOAL = r"{reference}\s*:\s*\w"  # "Status ... KAL-2026-000001: Diterima ..."
STATUS_SCRIPTS: tuple[Script, ...] = (
    Script(
        "status_id",
        "status",
        "id",
        (Step("mau cek status {reference}"),),
        _STATUS_ANSWERS,
        goal=_STATUS_GOAL,
        goal_why="the stage of the reference",
    ),
    Script(
        "status_en",
        "status",
        "en",
        (Step("what's the status of {reference}?"),),
        _STATUS_ANSWERS,
        goal=_STATUS_GOAL,
        goal_why="the stage of the reference",
    ),
)

SCRIPTS_BY_KIND: dict[str, tuple[Script, ...]] = {
    "faq": FAQ_SCRIPTS,
    "calibration": CALIBRATION_SCRIPTS,
    "financing": FINANCING_SCRIPTS,
    "complaint": COMPLAINT_SCRIPTS,
    "status": STATUS_SCRIPTS,
}

# The record a status check asks about is created before the measured run by this script.
STATUS_SETUP_SCRIPT = CALIBRATION_SCRIPTS[0]

_NAMES = (
    "Budi Santoso",
    "Siti Rahmawati",
    "Agus Wijaya",
    "Dewi Lestari",
    "Rudi Hartono",
    "Rina Kusuma",
    "Andi Pratama",
    "Maya Sari",
    "John Tan",
    "Linda Hakim",
)
_COMPANIES = (
    "PT Maju Jaya Teknik",
    "CV Sinar Presisi",
    "PT Karya Mandiri Industri",
    "PT Sumber Makmur Abadi",
    "PT Nusantara Gauge Works",
)


def persona(number: int) -> dict[str, str]:
    """A fictional customer; phone and e-mail unique per number so records never collide."""
    name = _NAMES[number % len(_NAMES)]
    first = name.split()[0].lower()
    return {
        "name": name,
        "company": _COMPANIES[number % len(_COMPANIES)],
        "phone": f"0812{number % 10**8:08d}",
        "email": f"{first}.{number}@contoh-pelanggan.example",
    }


def mix_counts(total: int) -> dict[str, int]:
    """Exact counts per kind for ``total`` conversations (largest remainder)."""
    raw = {kind: total * share for kind, share in MIX}
    counts = {kind: int(value) for kind, value in raw.items()}
    leftover = total - sum(counts.values())
    for kind, _ in sorted(raw.items(), key=lambda kv: kv[1] - int(kv[1]), reverse=True)[:leftover]:
        counts[kind] += 1
    return counts


def build_level(total: int, seed: int) -> list[Script]:
    """The scripts of one level, in the issue's mix, shuffled deterministically."""
    scripts: list[Script] = []
    for kind, count in mix_counts(total).items():
        variants = SCRIPTS_BY_KIND[kind]
        # Start each level at another variant, so small levels do not all use the first ones.
        scripts += [variants[(seed + i) % len(variants)] for i in range(count)]
    random.Random(seed).shuffle(scripts)
    return scripts


def replay_script(conversation: Conversation) -> Script:
    """The messages a full-stack conversation sent, as a fixed script for the bare bot."""
    original = conversation.script
    return Script(
        name=original.name,
        kind=original.kind,
        language=original.language,
        opening=tuple(Step(text) for text in conversation.sent_texts),
    )


class SenderIds:
    """Unique sender ids and persona numbers for one benchmark run."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._numbers: Iterator[int] = itertools.count(1)

    def conversation(
        self, label: str, script: Script, context: Mapping[str, str] | None = None
    ) -> Conversation:
        number = next(self._numbers)
        ctx = persona(number)
        ctx.update(context or {})
        return Conversation(
            sender=f"bench-{self.run_id}-{label}-{number}", script=script, context=ctx
        )


def kinds(scripts: Iterable[Script]) -> dict[str, int]:
    out: dict[str, int] = {}
    for script in scripts:
        out[script.kind] = out.get(script.kind, 0) + 1
    return out
