"""The parsers that forms use to validate what customers type (no Rasa involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.nlp.parsers import (
    find_amounts,
    find_quantities,
    parse_amount,
    parse_date,
    parse_email,
    parse_phone,
    parse_quantity,
    parse_reference,
    parse_time_of_day,
)

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "081234567890",
        "wa sy 0812 3456 7890 ya",
    ],
)
def test_phone_formats_normalise_to_e164(text: str) -> None:
    assert parse_phone(text) == "+6281234567890"


def test_landline_with_area_code() -> None:
    assert parse_phone("(021) 5550-1000") == "+622155501000"


@pytest.mark.parametrize(
    "text", ["12345", "0812", "budi@gmail.com", "KAL-2026-000123", "Rp150.000.000", ""]
)
def test_not_a_phone(text: str) -> None:
    assert parse_phone(text) is None


def test_email_is_extracted_and_domain_lowercased() -> None:
    assert parse_email("email sy Budi.S@PT-Maju.co.id ya.") == "Budi.S@pt-maju.co.id"


@pytest.mark.parametrize("text", ["budi@", "budi at gmail dot com", "a@b.c", "@gmail.com"])
def test_invalid_email(text: str) -> None:
    assert parse_email(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "150 juta",
        "Rp 150 juta",
        "150jt",
        "150 jt",
        "Rp150.000.000",
        "Rp 150.000.000,00",
        "IDR 150,000,000",
        "150000000",
        "150 million",
    ],
)
def test_amount_spellings_parse_to_the_same_number(text: str) -> None:
    assert parse_amount(text) == Decimal("150000000")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5,5 juta", "5500000"),
        ("5.5 juta", "5500000"),
        ("1,2 M", "1200000000"),
        ("1.2 miliar", "1200000000"),
        ("500rb", "500000"),
        ("Rp. 75.000", "75000"),
        ("harga 2 mobil 150jt", "150000000"),
    ],
)
def test_amount_decimals_and_multipliers(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


def test_amount_needs_a_number() -> None:
    assert parse_amount("seratus ribu aja") is None
    assert parse_amount("mahal") is None


def test_entity_extraction_ignores_bare_numbers_as_amounts() -> None:
    assert find_amounts("tenor 36 bulan, 12 unit") == []
    assert [s.value for s in find_amounts("dp 30 jt tenor 36 bln")] == ["30000000"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("12 unit", 12),
        ("dua belas", 12),
        ("dua belas buah", 12),
        ("sebelas unit", 11),
        ("seratus lima", 105),
        ("dua ratus lima puluh tiga", 253),
        ("tiga ribu dua ratus", 3200),
        ("twelve", 12),
        ("twenty five units", 25),
        ("a dozen", 12),
        ("sy butuh 15 pressure gauge", 15),
    ],
)
def test_quantity(text: str, expected: int) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text", ["0", "-3", "2.5", "banyak", "tgl 05/12 ya", "Rp150.000", "", "20000"]
)
def test_not_a_quantity(text: str) -> None:
    assert parse_quantity(text) is None


def test_quantity_bound_is_configurable() -> None:
    assert parse_quantity("500 unit", max_value=100) is None
    assert parse_quantity("500 unit", max_value=1000) == 500


def test_quantity_spans_skip_dates_and_references() -> None:
    assert find_quantities("KAL-2026-000123 tgl 05/12") == []


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("hari ini", "id", date(2026, 11, 25)),
        ("besok", "id", date(2026, 11, 26)),
        ("besok pagi", "id", date(2026, 11, 26)),
        ("lusa", "id", date(2026, 11, 27)),
        ("minggu depan", "id", date(2026, 11, 30)),
        ("3 hari lagi", "id", date(2026, 11, 28)),
        ("jumat", "id", date(2026, 11, 27)),
        ("rabu", "id", date(2026, 12, 2)),
        ("senin depan", "id", date(2026, 11, 30)),
        ("kamis depan", "id", date(2026, 12, 3)),
        ("hari minggu", "id", date(2026, 11, 29)),
        ("5 Desember", "id", date(2026, 12, 5)),
        ("tgl 5 des 2026", "id", date(2026, 12, 5)),
        ("05/12", "id", date(2026, 12, 5)),
        ("05/12/2026", "id", date(2026, 12, 5)),
        ("2026-12-05", "id", date(2026, 12, 5)),
        ("bulan depan", "id", date(2026, 12, 1)),
        ("tomorrow", "en", date(2026, 11, 26)),
        ("next Monday", "en", date(2026, 11, 30)),
        ("next week", "en", date(2026, 11, 30)),
        ("in 3 days", "en", date(2026, 11, 28)),
        ("December 5", "en", date(2026, 12, 5)),
        ("Dec 5th", "en", date(2026, 12, 5)),
        ("the 3rd", "en", date(2026, 12, 3)),
    ],
)
def test_dates(text: str, lang: str, expected: date) -> None:
    assert parse_date(text, lang, today=WEDNESDAY) == expected


def test_date_without_year_that_passed_means_next_year() -> None:
    assert parse_date("5 Januari", "id", today=WEDNESDAY) == date(2027, 1, 5)
    assert parse_date("20/11", "id", today=WEDNESDAY) == date(2027, 11, 20)


def test_explicit_past_date_is_returned_for_the_validator_to_reject() -> None:
    assert parse_date("01/01/2025", "id", today=WEDNESDAY) == date(2025, 1, 1)


@pytest.mark.parametrize("text", ["asdf", "", "31/02", "kapan2"])
def test_not_a_date(text: str) -> None:
    assert parse_date(text, "id", today=WEDNESDAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status KAL-2026-000123 gmn?", "KAL-2026-000123"),
        ("kal 2026 123", "KAL-2026-000123"),
        ("FIN-2026-1", "FIN-2026-000001"),
        ("CMP2026000042", "CMP-2026-000042"),
        ("hof-2026-000007", "HOF-2026-000007"),
    ],
)
def test_reference(text: str, expected: str) -> None:
    assert parse_reference(text) == expected


def test_reference_needs_known_prefix() -> None:
    assert parse_reference("ABC-2026-000123") is None


# -- issue 13: weekday + relative week, resolved against a fixed Tuesday ---------------------

TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("minggu depan kalau bisa, hari selasa", "id", date(2026, 12, 8)),
        ("minggu depan hari selasa", "id", date(2026, 12, 8)),
        ("selasa depan", "id", date(2026, 12, 8)),
        ("hari kamis minggu depan", "id", date(2026, 12, 10)),
        ("minggu depan hari minggu", "id", date(2026, 12, 13)),
        ("next week Wednesday", "en", date(2026, 12, 9)),
        ("Wednesday next week", "en", date(2026, 12, 9)),
        ("this Friday", "en", date(2026, 12, 4)),
        ("10 hari dari sekarang", "id", date(2026, 12, 11)),
        ("a week from now", "en", date(2026, 12, 8)),
        ("tgl 8 bulan depan", "id", date(2027, 1, 8)),
        ("8 Desember tahun depan", "id", date(2027, 12, 8)),
    ],
)
def test_weekday_with_relative_week(text: str, lang: str, expected: date) -> None:
    assert parse_date(text, lang, today=TUESDAY) == expected


def test_today_defaults_to_jakarta_not_utc(time_machine) -> None:  # type: ignore[no-untyped-def]
    # 20:00 UTC on Monday 30 November is already Tuesday 1 December in Jakarta (UTC+7).
    time_machine.move_to(datetime(2026, 11, 30, 20, 0, tzinfo=UTC), tick=False)
    assert parse_date("selasa depan") == date(2026, 12, 8)
    assert parse_date("besok") == date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "period", "hour", "bare"),
    [
        ("pagi", "morning", None, True),
        ("sore hari", "late_afternoon", None, True),
        ("siang", "afternoon", None, True),
        ("malam", "evening", None, True),
        ("jam 9an", "morning", 9, True),
        ("after lunch", "afternoon", None, True),
        ("weekday mornings", "morning", None, True),
        ("jam 3 sore", "late_afternoon", 15, True),
        ("2pm", "afternoon", 14, True),
        ("jam 2", "afternoon", 14, True),  # office hours: 2 is 14:00
        ("jam 7 malam", "evening", 19, True),
        ("besok jam 10 pagi", "morning", 10, False),
        ("kapan aja", "anytime", None, True),
    ],
)
def test_time_of_day(text: str, period: str, hour: int | None, bare: bool) -> None:
    parsed = parse_time_of_day(text)
    assert parsed is not None
    assert (parsed.period, parsed.hour, parsed.bare) == (period, hour, bare)


def test_weekday_only_times() -> None:
    assert parse_time_of_day("weekday mornings").weekdays_only  # type: ignore[union-attr]
    assert parse_time_of_day("senin-jumat pagi").weekdays_only  # type: ignore[union-attr]
    assert not parse_time_of_day("pagi").weekdays_only  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["selamat pagi", "good morning", "halo", "Jakarta", "12 unit", ""])
def test_no_time_of_day(text: str) -> None:
    assert parse_time_of_day(text) is None
