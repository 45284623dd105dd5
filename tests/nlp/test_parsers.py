"""The parsers that forms use to validate what customers type (no Rasa involved)."""

from __future__ import annotations

from datetime import date
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
