"""Validators: the normalised value, or the reason (a response name) it was refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.flows import validators as v

TODAY = date(2026, 11, 25)  # Wednesday


@pytest.mark.parametrize(
    "text",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0812 3456 7890", "(0812) 3456 7890"],
)
def test_indonesian_phone_formats_become_e164(text: str) -> None:
    checked = v.check_phone(text)
    assert checked.ok and checked.value == "+6281234567890"


@pytest.mark.parametrize("text", ["12345", "nomor saya rahasia", "0812", ""])
def test_invalid_phone_gets_a_reason(text: str) -> None:
    checked = v.check_phone(text)
    assert not checked.ok and checked.error == "utter_invalid_phone"


def test_email_syntax_is_checked_without_dns() -> None:
    assert v.check_email("Budi.S@PT-Maju.co.id").value == "budi.s@pt-maju.co.id"
    assert v.check_email("budi@nonexistent-domain-for-tests.example").ok
    for bad in ("budi@maju", "budi.maju.co.id", "budi@@maju.co.id", ""):
        assert v.check_email(bad).error == "utter_invalid_email"


@pytest.mark.parametrize(
    "text,value", [("12", 12), ("12 unit", 12), ("dua belas", 12), ("1000", 1000)]
)
def test_quantities_are_positive_whole_numbers(text: str, value: int) -> None:
    assert v.check_quantity(text).value == value


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "banyak", ""])
def test_bad_quantities_are_refused(text: str) -> None:
    checked = v.check_quantity(text)
    assert checked.error == "utter_invalid_quantity" and checked.values["max"] == v.MAX_QUANTITY


def test_too_large_quantity_has_its_own_reason() -> None:
    checked = v.check_quantity("5000")
    assert checked.error == "utter_invalid_quantity_too_large"


@pytest.mark.parametrize(
    "text", ["150 juta", "Rp150.000.000", "150jt", "Rp 150.000.000,00", "IDR 150,000,000"]
)
def test_amount_forms_give_the_same_decimal(text: str) -> None:
    assert v.check_amount(text, "id").value == Decimal("150000000")


def test_amount_out_of_range_names_the_range_in_the_customers_language() -> None:
    low = v.check_amount("500rb", "id")
    assert low.error == "utter_invalid_amount_range" and low.values["min"] == "Rp1.000.000"
    assert v.check_amount("500rb", "en").values["min"] == "IDR 1,000,000"
    assert v.check_amount("murah saja", "id").error == "utter_invalid_amount"


@pytest.mark.parametrize(
    "text,lang,expected",
    [
        ("besok", "id", date(2026, 11, 26)),
        ("minggu depan", "id", date(2026, 11, 30)),
        ("5 Desember", "id", date(2026, 12, 5)),
        ("05/12", "id", date(2026, 12, 5)),
        ("next Monday", "en", date(2026, 11, 30)),
        ("hari ini", "id", TODAY),
    ],
)
def test_dates_in_both_languages(text: str, lang: str, expected: date) -> None:
    assert v.check_date(text, lang, TODAY).value == expected


def test_past_and_far_dates_are_refused_with_the_date_shown() -> None:
    past = v.check_date("20/11/2026", "id", TODAY)
    assert (
        past.error == "utter_invalid_date_past" and past.values["date"] == "Jumat, 20 November 2026"
    )
    assert v.check_date("20/11/2026", "en", TODAY).values["date"] == "Friday, 20 November 2026"
    assert v.check_date("05/12/2028", "id", TODAY).error == "utter_invalid_date_far"
    assert v.check_date("kapan-kapan", "id", TODAY).error == "utter_invalid_date"


def test_free_text_is_stored_verbatim_and_capped() -> None:
    payload = "PT Maju'; DROP TABLE customers;-- <script>alert(1)</script>"
    assert v.check_text(f"  {payload} ", "company").value == payload
    too_long = v.check_text("x" * 201, "company")
    assert too_long.error == "utter_invalid_text_long" and too_long.values == {
        "max": 200,
        "length": 201,
    }
    assert v.check_text(" ", "company").error == "utter_invalid_text_short"


def test_names_need_letters() -> None:
    assert v.check_name("Budi Santoso").value == "Budi Santoso"
    assert v.check_name("12345").error == "utter_invalid_name"
    assert v.check_name("B").error == "utter_invalid_text_short"


@pytest.mark.parametrize("text,value", [("5", 5), ("lima", 5), ("⭐⭐⭐", 3), ("1", 1)])
def test_ratings_one_to_five(text: str, value: int) -> None:
    assert v.check_rating(text).value == value


@pytest.mark.parametrize("text", ["0", "6", "bagus", "10"])
def test_bad_ratings(text: str) -> None:
    assert v.check_rating(text).error == "utter_invalid_rating"


def test_references_are_normalised_and_prefix_checked() -> None:
    assert v.check_reference("kal-2026-123").value == "KAL-2026-000123"
    assert v.check_reference("CMP 2026 000042").value == "CMP-2026-000042"
    assert v.check_reference("HOF-2026-000001").error == "utter_invalid_reference"
    assert v.check_reference("nomor saya 123").error == "utter_invalid_reference"


# -- city (gazetteer) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Jakarta", "Jakarta"),
        ("I live in Jakarta", "Jakarta"),
        ("Jakarta Selatan", "Jakarta Selatan"),
        ("DKI Jakarta", "Jakarta"),
        ("Bandung", "Bandung"),
        ("di Bandung kak", "Bandung"),
        ("Balikpapan", "Balikpapan"),
        ("saya tinggal di Balikpapan", "Balikpapan"),
        ("Kab. Bandung", "Kabupaten Bandung"),
        ("Kota Bandung", "Kota Bandung"),
        ("Jkt", "Jakarta"),
        ("balikpapn", "Balikpapan"),
        ("Malang", "Malang"),  # an everyday word, but the whole answer
    ],
)
def test_a_known_place_is_certainly_the_city(text: str, value: str) -> None:
    checked = v.check_city(text)
    assert (checked.value, checked.recognised) == (value, True)


def test_the_city_entity_from_nlu_is_normalised_through_the_gazetteer() -> None:
    checked = v.check_city("kantor pusat kami di jaksel", "Jakarta Selatan")
    assert (checked.value, checked.recognised) == ("Jakarta Selatan", True)


def test_an_unknown_place_is_kept_verbatim_but_not_certainly_a_city() -> None:
    checked = v.check_city("Desa Sukamaju")
    assert (checked.value, checked.recognised) == ("Desa Sukamaju", False)
    assert v.check_city("ab").error == "utter_invalid_text_short"


# -- contact time ---------------------------------------------------------------------------

PERIODS = ("morning", "afternoon", "late_afternoon", "anytime")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("sore hari", "late_afternoon"),
        ("pagi", "morning"),
        ("siang aja kak", "afternoon"),
        ("sore", "late_afternoon"),
        ("after lunch", "afternoon"),
        ("mornings please", "morning"),
        ("kapan aja bisa", "anytime"),
        ("terserah kakak", "anytime"),
    ],
)
def test_a_time_of_day_picks_the_choice(text: str, value: str) -> None:
    checked = v.check_contact_time(text, PERIODS)
    assert (checked.value, checked.recognised) == (value, True)


@pytest.mark.parametrize(
    "text", ["jam 9an", "weekday mornings", "besok jam 10 pagi", "malam", "jam 3 sore"]
)
def test_a_time_with_more_detail_is_kept_as_typed_and_recognised(text: str) -> None:
    checked = v.check_contact_time(text, PERIODS)
    assert (checked.value, checked.recognised) == (text, True)


def test_text_without_a_time_is_kept_but_not_recognised() -> None:
    checked = v.check_contact_time("hubungi istri saya", PERIODS)
    assert (checked.value, checked.recognised) == ("hubungi istri saya", False)
