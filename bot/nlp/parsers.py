"""Parsers for what Indonesian customers type: phones, e-mails, amounts, quantities, dates, references.

Plain functions without Rasa, shared by the NLU entity extractor and the form validators.
Every ``parse_*`` takes the customer's text and returns the normalised value, or ``None``
when the text holds no valid value (the caller then asks again, with the reason):

    parse_phone(text: str) -> Optional[str]
        "0812-3456-7890", "+62 812 3456 7890", "6281234567890" -> "+6281234567890" (E.164).
    parse_email(text: str) -> Optional[str]
        "Budi.S@PT-Maju.co.id" -> "Budi.S@pt-maju.co.id" (syntax check only, no DNS).
    parse_amount(text: str) -> Optional[Decimal]
        "Rp 150 juta", "150jt", "Rp150.000.000", "IDR 150,000,000" -> Decimal("150000000");
        "5,5 juta" -> Decimal("5500000"); "1,2 M" / "1.2 miliar" -> Decimal("1200000000");
        "500rb" -> Decimal("500000"). Whole Rupiah; str(value) is the entity value.
    parse_quantity(text: str, max_value: int = 10000) -> Optional[int]
        "12", "12 unit", "dua belas", "seratus lima", "twelve", "a dozen" -> 12 ...
        Only whole numbers 1..max_value.
    parse_date(text: str, lang: str = "id", today: Optional[date] = None) -> Optional[date]
        "hari ini", "besok", "lusa", "minggu depan" (Monday of next week), "bulan depan"
        (1st of next month), "3 hari lagi", "senin" (next Monday after today),
        "senin depan"/"next Monday" (Monday of next calendar week), "5 Desember",
        "5 des 2026", "December 5", "05/12", "05/12/2026", "2026-12-05" (numeric dates are
        day-first); a date without a year that already passed this year means next year.
        Does NOT reject past dates: the validator decides (compare with ``today``).
    parse_reference(text: str) -> Optional[str]
        "kal-2026-123", "KAL 2026 000123" -> "KAL-2026-000123" (prefixes KAL/FIN/CMP/HOF).

``find_*`` variants return every match as :class:`Span` (start, end, value) for entity
extraction. dateparser is only a last resort in :func:`parse_date`: dateparser 1.2 returns
None offline for "lusa", "minggu depan" and "next Monday", so the common forms are parsed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers

JAKARTA = ZoneInfo("Asia/Jakarta")
REFERENCE_PREFIXES = ("KAL", "FIN", "CMP", "HOF")


@dataclass(frozen=True)
class Span:
    """A parsed value found at ``text[start:end]``."""

    start: int
    end: int
    value: str


# ---------------------------------------------------------------------------------------
# phone
# ---------------------------------------------------------------------------------------


def find_phones(text: str) -> list[Span]:
    """Every valid Indonesian phone number in ``text``, as E.164."""
    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, "ID", leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        spans.append(Span(match.start, match.end, e164))
    return spans


def parse_phone(text: str) -> str | None:
    """The first valid phone number in ``text`` as E.164 (``+62...``), else None."""
    if not text:
        return None
    spans = find_phones(text)
    if spans:
        return spans[0].value
    # The matcher wants separators around a number; a bare digit string is common on WA.
    digits = re.sub(r"[^\d+]", "", text)
    if 8 <= len(digits.lstrip("+")) <= 15:
        try:
            number = phonenumbers.parse(digits, "ID")
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# ---------------------------------------------------------------------------------------
# e-mail
# ---------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)


def _normalise_email(candidate: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


def find_emails(text: str) -> list[Span]:
    spans = []
    for match in _EMAIL_RE.finditer(text or ""):
        value = _normalise_email(match.group(0).rstrip("."))
        if value:
            spans.append(
                Span(match.start(), match.start() + len(match.group(0).rstrip(".")), value)
            )
    return spans


def parse_email(text: str) -> str | None:
    """The first syntactically valid e-mail address in ``text`` (domain lower-cased)."""
    spans = find_emails(text)
    return spans[0].value if spans else None


# ---------------------------------------------------------------------------------------
# amount
# ---------------------------------------------------------------------------------------

_MULTIPLIERS: dict[str, int] = {
    "rb": 10**3,
    "ribu": 10**3,
    "k": 10**3,
    "rebu": 10**3,
    "thousand": 10**3,
    "jt": 10**6,
    "juta": 10**6,
    "jeti": 10**6,
    "million": 10**6,
    "mio": 10**6,
    "m": 10**9,
    "mil": 10**9,
    "miliar": 10**9,
    "milyar": 10**9,
    "milliar": 10**9,
    "billion": 10**9,
    "bn": 10**9,
    "triliun": 10**12,
    "trilyun": 10**12,
    "trillion": 10**12,
}
_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
_MULT = "|".join(sorted((re.escape(k) for k in _MULTIPLIERS), key=len, reverse=True))
_CURRENCY = r"(?:rp\.?|idr)"
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<cur>{_CURRENCY})\s*)?(?P<num>{_NUMBER})(?:\s*(?P<mult>{_MULT})(?![a-z]))?"
    rf"(?:\s*(?:rupiah|idr))?(?![\w])",
    re.IGNORECASE,
)


def _to_decimal(number: str, has_multiplier: bool) -> Decimal | None:
    """Read '150.000.000', '1,234,567.89', '5,5', '5.5' the way an Indonesian writer means it."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", number):  # 150.000.000,00 (id)
        number = number.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", number):  # 150,000,000.00 (en)
        number = number.replace(",", "")
    elif re.fullmatch(r"\d+[.,]\d+", number):
        whole, frac = re.split(r"[.,]", number)
        if len(frac) == 3 and not has_multiplier:
            number = whole + frac  # "150.000" without a multiplier is thousands
        else:
            number = f"{whole}.{frac}"  # "5,5 juta"
    elif not number.isdigit():
        return None
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def find_amounts(text: str, require_marker: bool = True) -> list[Span]:
    """Money amounts in ``text``. With ``require_marker`` (entity extraction), a bare
    number without "Rp"/"IDR" or a multiplier ("jt", "juta", "rb", "M") is not an amount."""
    spans = []
    for match in _AMOUNT_RE.finditer(text or ""):
        cur, num, mult = match.group("cur"), match.group("num"), match.group("mult")
        if require_marker and not cur and not mult:
            continue
        # A lone "m"/"k" right after a number is only an amount marker in money context.
        if mult and mult.lower() in {"m", "k"} and not cur and require_marker:
            following = text[match.end() : match.end() + 1]
            if following.isalpha():
                continue
        value = _to_decimal(num, bool(mult))
        if value is None:
            continue
        if mult:
            value *= _MULTIPLIERS[mult.lower()]
        value = value.quantize(Decimal(1))
        if value <= 0:
            continue
        spans.append(Span(match.start(), match.end(), str(value)))
    return spans


def parse_amount(text: str) -> Decimal | None:
    """The first amount in ``text`` as whole Rupiah; a bare number counts ("150000000")."""
    spans = find_amounts(text, require_marker=False)
    if not spans:
        return None
    # Prefer an amount with a currency or multiplier over a stray number ("2 mobil 150jt").
    marked = find_amounts(text, require_marker=True)
    return Decimal((marked or spans)[0].value)


# ---------------------------------------------------------------------------------------
# quantity (digits, Indonesian and English number words)
# ---------------------------------------------------------------------------------------

_ID_UNITS = {
    "nol": 0,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "sebelas": 11,
    "seratus": 100,
    "seribu": 1000,
    "se": 1,
}
_EN_UNITS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORDS = (
    set(_ID_UNITS) - {"se"}
    | set(_EN_UNITS) - {"a", "an"}
    | {"belas", "puluh", "ratus", "ribu", "hundred", "thousand", "dozen", "lusin"}
)
QUANTITY_UNITS = (
    "unit",
    "units",
    "buah",
    "bh",
    "pcs",
    "pc",
    "piece",
    "pieces",
    "biji",
    "alat",
    "set",
    "sets",
    "titik",
    "ea",
    "item",
    "items",
)


def words_to_number(words: list[str]) -> int | None:
    """Indonesian or English number words -> int ("dua ratus lima belas" -> 215)."""
    if not words:
        return None
    total, current, seen = 0, 0, False
    for word in words:
        w = word.lower()
        if w in ("dan", "and", "-"):
            continue
        if w in ("belas",):
            current += 10
        elif w in ("puluh",):
            current *= 10
        elif w in ("ratus", "hundred"):
            total += (current or 1) * 100
            current = 0
        elif w in ("ribu", "thousand"):
            total = (total + (current or 1)) * 1000
            current = 0
        elif w in ("dozen", "lusin"):
            current = (current or 1) * 12
        elif w in ("seratus",):
            total += 100
        elif w in ("seribu",):
            total = (total + current + 0) * 1000 if (total or current) else 1000
            current = 0
        elif w in _ID_UNITS:
            current += _ID_UNITS[w]
        elif w in _EN_UNITS:
            current += _EN_UNITS[w]
        else:
            return None
        seen = True
    return total + current if seen else None


_WORD_RE = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)?")
_JOINERS = ("dan", "and")
_LEADING_ARTICLES = ("a", "an")


def _is_number_word(word: str) -> bool:
    return word.lower() in _NUMBER_WORDS


def find_quantities(text: str, require_unit: bool = False) -> list[Span]:
    """Whole-number quantities: a digit run or a run of number words, plus an optional
    unit word ("12 unit", "dua belas buah", "a dozen"). Digits that belong to dates,
    phone numbers, money or references ("05/12", "150.000", "KAL-2026-...") are skipped.
    With ``require_unit`` only numbers followed by a unit word count."""
    text = text or ""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD_RE.finditer(text)]
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        start, end, tok = tokens[i]
        value: int | None = None
        j = i + 1
        if tok.isdigit():
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            if (
                before in "/-.:,+"
                or after in "/-:"
                or (after in ".," and end + 1 < len(text) and text[end + 1].isdigit())
            ):
                i += 1
                continue
            value = int(tok)
        else:
            run: list[str] = []
            j = i
            while j < len(tokens):
                word = tokens[j][2].lower()
                nxt = tokens[j + 1][2].lower() if j + 1 < len(tokens) else ""
                if (
                    _is_number_word(word)
                    or (word in _JOINERS and run and _is_number_word(nxt))
                    or (
                        word in _LEADING_ARTICLES
                        and not run
                        and nxt in ("dozen", "hundred", "thousand")
                    )
                ):
                    run.append(word)
                else:
                    break
                j += 1
            value = words_to_number(run) if run else None
        if value is None:
            i += 1
            continue
        span_end = tokens[j - 1][1]
        has_unit = j < len(tokens) and tokens[j][2].lower() in QUANTITY_UNITS
        if has_unit:
            span_end = tokens[j][1]
            j += 1
        if value > 0 and (has_unit or not require_unit):
            spans.append(Span(start, span_end, str(value)))
        i = max(j, i + 1)
    return spans


def parse_quantity(text: str, max_value: int = 10000) -> int | None:
    """The first whole quantity 1..``max_value`` in ``text`` ("12 unit", "dua belas")."""
    if text is None:
        return None
    stripped = text.strip()
    if re.fullmatch(r"-\s*\d+|\d+[.,]\d+", stripped):
        return None  # negative or fractional: not a count
    for span in find_quantities(stripped):
        value = int(span.value)
        return value if 1 <= value <= max_value else None
    return None


# ---------------------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------------------

_MONTHS = {
    "januari": 1,
    "jan": 1,
    "january": 1,
    "februari": 2,
    "feb": 2,
    "pebruari": 2,
    "february": 2,
    "maret": 3,
    "mar": 3,
    "march": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "juni": 6,
    "jun": 6,
    "june": 6,
    "juli": 7,
    "jul": 7,
    "july": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "aug": 8,
    "august": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "october": 10,
    "november": 11,
    "nov": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "december": 12,
}
_WEEKDAYS = {
    "senin": 0,
    "monday": 0,
    "mon": 0,
    "selasa": 1,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "rabu": 2,
    "wednesday": 2,
    "wed": 2,
    "kamis": 3,
    "thursday": 3,
    "thu": 3,
    "thurs": 3,
    "jumat": 4,
    "jum'at": 4,
    "jumaat": 4,
    "friday": 4,
    "fri": 4,
    "sabtu": 5,
    "saturday": 5,
    "sat": 5,
    "minggu": 6,
    "ahad": 6,
    "sunday": 6,
    "sun": 6,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted((re.escape(k) for k in _WEEKDAYS), key=len, reverse=True))


def _today(today: date | None) -> date:
    return today or datetime.now(JAKARTA).date()


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _future_year(month: int, day: int, today: date) -> date | None:
    """Day/month without a year: this year, or next year if that date already passed."""
    candidate = _safe_date(today.year, month, day)
    if candidate and candidate < today:
        candidate = _safe_date(today.year + 1, month, day)
    return candidate


def _full_year(year: int) -> int:
    return year + 2000 if year < 100 else year


_NEXT_YEAR_RE = re.compile(r"\b(tahun depan|thn depan|next year)\b")


def _day_month(month: int, day: int, year: str | None, text: str, today: date) -> date | None:
    """A day and month, with the year typed, "tahun depan", or else the next such date."""
    if year:
        return _safe_date(_full_year(int(year)), month, day)
    if _NEXT_YEAR_RE.search(text):
        return _safe_date(today.year + 1, month, day)
    return _future_year(month, day, today)


def _relative(text: str, today: date) -> date | None:
    offset = _offset(text, today)  # before "sekarang": "10 hari dari sekarang"
    if offset:
        return offset
    if re.search(r"\b(hari ini|today|skrg|sekarang|now)\b", text):
        return today
    if re.search(r"\b(lusa|day after tomorrow)\b", text):
        return today + timedelta(days=2)
    if re.search(r"\b(besok|bsk|besuk|esok|tomorrow|tmrw|tmr)\b", text):
        return today + timedelta(days=1)
    return None


def _offset(text: str, today: date) -> date | None:
    match = re.search(
        r"\b(\d{1,3})\s*(hari|hr|days?|minggu|mgg|weeks?)\s*(lagi|kedepan|ke depan|kemudian|dari sekarang|from now|later)\b",
        text,
    ) or re.search(r"\bin\s+(\d{1,3})\s*(days?|weeks?)\b", text)
    if match:
        n = int(match.group(1))
        unit = match.group(2)
        return today + timedelta(days=n * (7 if unit.startswith(("minggu", "mgg", "week")) else 1))
    if re.search(r"\b(seminggu lagi|in a week|a week from now|one week from now)\b", text):
        return today + timedelta(days=7)
    return None


_NEXT_WEEK_RE = re.compile(
    r"\b(minggu depan|mgg depan|minggu dpn|mg depan|pekan depan|next week|the week after this)\b"
)
_THIS_WEEK_RE = re.compile(r"\b(minggu ini|pekan ini|this week)\b")
_DAY_RE = re.compile(rf"\b(?P<day>{_WEEKDAY_RE})\b")
# "minggu" is a week, not Sunday, in "minggu depan", "2 minggu lagi", "seminggu".
_WEEK_WORD_AFTER = ("depan", "dpn", "ini", "lagi", "lalu", "kemarin", "kedepan", "ke")


def _weekday_mentions(text: str) -> list[re.Match[str]]:
    days = []
    for match in _DAY_RE.finditer(text):
        if match.group("day") == "minggu":
            before = text[: match.start()].rstrip()
            after = text[match.end() :].lstrip()
            is_day = before.endswith("hari") or not after.startswith(_WEEK_WORD_AFTER)
            if re.search(r"\d\s*$", before) or not is_day:
                continue
        days.append(match)
    return days


def _weekday(text: str, today: date) -> date | None:
    """Weekdays with or without a week: "selasa" (the next Tuesday), "selasa depan", "next
    Tuesday", "minggu depan hari selasa", "minggu depan kalau bisa, hari selasa", "next week
    Wednesday" (that day of next calendar week), "jumat ini"/"this Friday" (this week's)."""
    monday = today - timedelta(days=today.weekday())
    days = _weekday_mentions(text)
    next_week = bool(_NEXT_WEEK_RE.search(text))
    if days:
        match = days[0]
        target = _WEEKDAYS[match.group("day")]
        before = text[: match.start()].rstrip()
        after = text[match.end() :].lstrip()
        if (
            next_week
            or re.search(r"\bnext(?:\s+hari)?$", before)
            or after.startswith(("depan", "dpn", "next week"))
        ):
            return monday + timedelta(days=7 + target)
        this_week = (
            bool(_THIS_WEEK_RE.search(text))
            or re.search(r"\b(this|coming)$", before)
            or after.startswith("ini")
        )
        if this_week and target >= today.weekday():
            return monday + timedelta(days=target)
        delta = (target - today.weekday()) % 7 or 7
        return today + timedelta(days=delta)
    if next_week:
        return monday + timedelta(days=7)
    if re.search(r"\b(bulan depan|next month|bln depan)\b", text):
        day = re.search(r"\b(?:tanggal|tgl|tg|the)\s*(\d{1,2})(?:st|nd|rd|th)?\b", text)
        year, month = today.year + (today.month == 12), today.month % 12 + 1
        return _safe_date(year, month, int(day.group(1)) if day else 1)
    return None


def _absolute(text: str, today: date) -> date | None:
    match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)  # ISO
    if match:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", text)  # day-first
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3):
            return _safe_date(_full_year(int(match.group(3))), month, day)
        return _future_year(month, day, today)
    match = re.search(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?({_MONTH_RE})\.?(?:\s+(\d{{2,4}}))?\b", text
    )
    if match:
        day, month = int(match.group(1)), _MONTHS[match.group(2)]
        return _day_month(month, day, match.group(3), text, today)
    match = re.search(
        rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", text
    )
    if match:
        month, day = _MONTHS[match.group(1)], int(match.group(2))
        return _day_month(month, day, match.group(3), text, today)
    match = re.search(r"\b(?:tanggal|tgl|tg|date|the)\s*(\d{1,2})(?:st|nd|rd|th)?\b", text)
    if match:
        day = int(match.group(1))
        for offset in range(3):
            month = (today.month - 1 + offset) % 12 + 1
            year = today.year + (today.month - 1 + offset) // 12
            candidate = _safe_date(year, month, day)
            if candidate and candidate >= today:
                return candidate
    return None


DATE_RULES = (_relative, _weekday, _absolute)


def parse_date(text: str, lang: str = "id", today: date | None = None) -> date | None:
    """A calendar date from ``text`` relative to ``today`` (default: today in Jakarta)."""
    if not text or not text.strip():
        return None
    base = _today(today)
    normalised = normalise_date_text(text)
    for parser in DATE_RULES:
        result = parser(normalised, base)
        if result:
            return result
    return _dateparser_fallback(normalised, lang, base)


def normalise_date_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def _dateparser_fallback(text: str, lang: str, base: date) -> date | None:
    try:
        import dateparser
    except ImportError:  # pragma: no cover - dateparser is a declared dependency
        return None
    languages = [lang] if lang in ("id", "en") else ["id", "en"]
    result = dateparser.parse(
        text,
        languages=languages,
        settings={
            "RELATIVE_BASE": datetime(base.year, base.month, base.day, 12, 0),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "STRICT_PARSING": False,
        },
    )
    return result.date() if result else None


# ---------------------------------------------------------------------------------------
# time of day ("sore hari", "jam 9an", "after lunch", "weekday mornings")
# ---------------------------------------------------------------------------------------

# Periods follow the contact-time choices (bot/flows/texts.py CONTACT_TIMES) plus evening.
TIME_PERIODS = ("morning", "afternoon", "late_afternoon", "evening", "anytime")
_PERIOD_PHRASES: dict[str, tuple[str, ...]] = {
    "anytime": (
        "kapan saja",
        "kapan aja",
        "kapanpun",
        "kapan pun",
        "kapan2",
        "bebas",
        "terserah",
        "jam kerja",
        "jam kantor",
        "any time",
        "anytime",
        "whenever",
        "office hours",
        "working hours",
        "business hours",
    ),
    "late_afternoon": ("late afternoon", "sore", "sorean", "petang", "after work"),
    "afternoon": (
        "after lunch",
        "habis makan siang",
        "abis makan siang",
        "setelah makan siang",
        "sesudah makan siang",
        "habis istirahat",
        "abis lunch",
        "siang",
        "siangan",
        "afternoon",
        "afternoons",
        "lunch",
        "lunchtime",
        "noon",
        "midday",
    ),
    "morning": ("pagi", "pagian", "morning", "mornings", "before lunch", "sebelum makan siang"),
    "evening": ("malam", "malem", "evening", "evenings", "night", "tonight", "nanti malam"),
}
_WEEKDAY_ONLY = re.compile(
    r"\b(weekdays?|working days?|hari kerja|senin\s*(?:-|s/?d|sampai|sampe|to)\s*jumat)\b"
)
_HOUR_RE = re.compile(
    r"\b(?:(?P<marker>jam|pukul|pkl|pk|at|around|sekitar|after|before|abis|habis|setelah)\s*)?"
    r"(?P<hour>\d{1,2})(?:[.:](?P<minute>[0-5]\d))?\s*(?P<suffix>-?an|am|pm|a\.m\.|p\.m\.|wib|o'?clock)?"
    r"(?:\s*(?P<part>pagi|siang|sore|malam|malem))?\b"
)
_FILLER = frozenset(
    {
        "hari",
        "aja",
        "saja",
        "ya",
        "yah",
        "kak",
        "kakak",
        "mas",
        "mbak",
        "min",
        "pak",
        "bu",
        "sih",
        "deh",
        "dong",
        "kalau",
        "kalo",
        "bisa",
        "lebih",
        "enak",
        "baik",
        "the",
        "in",
        "please",
        "pls",
        "is",
        "are",
        "best",
        "any",
        "on",
        "sebaiknya",
        "sekitar",
        "waktu",
        "di",
        "pada",
        "paling",
        "untuk",
        "ok",
        "oke",
        "mungkin",
        "prefer",
        "preferably",
        "i",
        "a",
        "an",
    }
)
_GREETING_RE = re.compile(
    r"\s*(?:selamat|slamat|slmt|met|good)\s+(?:pagi|siang|sore|malam|morning|afternoon|evening)\b"
)


@dataclass(frozen=True)
class DayTime:
    """When to call: a period of the day, maybe an hour; ``bare`` if nothing else was said."""

    period: str
    hour: int | None = None
    weekdays_only: bool = False
    bare: bool = False


def _period_of_hour(hour: int) -> str:
    if hour < 12:
        return "morning"
    if hour < 15:
        return "afternoon"
    if hour < 18:
        return "late_afternoon"
    return "evening"


def parse_time_of_day(text: str) -> DayTime | None:
    """A time of day to be contacted: "pagi", "sore hari", "jam 9an", "after lunch",
    "weekday mornings", "jam 3 sore", "2pm". None when the text names no time of day.
    A bare clock hour without am/pm is read in office hours ("jam 2" = 14:00)."""
    if not text or not text.strip():
        return None
    cleaned = " " + re.sub(r"[^\w:./'-]+", " ", text.lower()).strip() + " "
    if _GREETING_RE.match(cleaned):
        return None  # "selamat pagi" greets; it does not say when to call
    rest = cleaned
    period: str | None = None
    hour: int | None = None
    match = _HOUR_RE.search(cleaned)
    if match and (match.group("marker") or match.group("suffix") or match.group("part")):
        value = int(match.group("hour"))
        suffix = (match.group("suffix") or "").replace(".", "")
        part = match.group("part")
        if value <= 24:
            if suffix == "pm" or (part in ("siang", "sore", "malam", "malem") and value < 12):
                if not (part == "siang" and value >= 10):
                    value = value + 12 if value < 12 else value
            elif suffix != "am" and not part and 1 <= value <= 6:
                value += 12  # "jam 2" in office hours is the afternoon
            hour = value % 24
            period = _period_of_hour(hour)
            if match.group("marker") in ("after", "abis", "habis", "setelah") and hour >= 12:
                period = _period_of_hour(hour + 1)
            rest = cleaned[: match.start()] + " " + cleaned[match.end() :]
    weekdays = bool(_WEEKDAY_ONLY.search(rest))
    rest = _WEEKDAY_ONLY.sub(" ", rest)
    if period is None:
        for key, phrases in _PERIOD_PHRASES.items():
            for phrase in sorted(phrases, key=len, reverse=True):
                if f" {phrase} " in rest:
                    period = key
                    rest = rest.replace(f" {phrase} ", " ", 1)
                    break
            if period:
                break
    else:
        for phrases in _PERIOD_PHRASES.values():
            for phrase in phrases:
                rest = rest.replace(f" {phrase} ", " ")
    if period is None:
        return None
    leftover = [w for w in rest.split() if w not in _FILLER and w not in ("weekday", "weekdays")]
    return DayTime(period, hour, weekdays, bare=not leftover)


# ---------------------------------------------------------------------------------------
# reference numbers
# ---------------------------------------------------------------------------------------

_REFERENCE_RE = re.compile(
    rf"\b({'|'.join(REFERENCE_PREFIXES)})[\s_./-]*(\d{{4}})[\s_./-]*(\d{{1,6}})\b", re.IGNORECASE
)


def find_references(text: str) -> list[Span]:
    spans = []
    for match in _REFERENCE_RE.finditer(text or ""):
        prefix, year, number = match.groups()
        spans.append(Span(match.start(), match.end(), f"{prefix.upper()}-{year}-{int(number):06d}"))
    return spans


def parse_reference(text: str) -> str | None:
    """``kal-2026-123`` -> ``KAL-2026-000123``; None if no reference-shaped text."""
    spans = find_references(text)
    return spans[0].value if spans else None


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
