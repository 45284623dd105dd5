"""Rule-based entity extraction over spaCy blank("id") + data/entities patterns."""

from __future__ import annotations

import itertools

import pytest

from bot.nlp.entities import EntityRecognizer, extract_entities


def found(text: str) -> list[tuple[str, str, str]]:
    return [(e.entity, e.text, e.value) for e in extract_entities(text)]


def test_calibration_request_fills_type_quantity_location_and_city() -> None:
    entities = found("mau kalibrasi 12 pressure gauge di pabrik Cikarang")
    assert ("service_type", "kalibrasi", "kalibrasi") in entities
    assert ("quantity", "12", "12") in entities
    assert ("instrument_type", "pressure gauge", "pressure_gauge") in entities
    assert ("service_location", "di pabrik", "onsite") in entities
    assert ("city", "Cikarang", "Cikarang") in entities


def test_contact_details_are_normalised() -> None:
    entities = found("hub 0812-3456-7890 / budi.s@pt-maju.co.id")
    assert ("phone", "0812-3456-7890", "+6281234567890") in entities
    assert ("email", "budi.s@pt-maju.co.id", "budi.s@pt-maju.co.id") in entities


def test_financing_request() -> None:
    entities = found("mau kredit mobil baru di Surabaya, harga 250jt dp 50 juta")
    assert ("product_type", "mobil", "car") in entities
    assert ("vehicle_condition", "baru", "new") in entities
    assert ("city", "Surabaya", "Surabaya") in entities
    assert [v for k, _, v in entities if k == "amount"] == ["250000000", "50000000"]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("tera ulang timbangan", "service_type", "tera_ulang"),
        ("mau ditera dulu", "service_type", "tera"),
        ("alatnya sudah dikalibrasi", "service_type", "kalibrasi"),
        ("kalibarsi termometer", "service_type", "kalibrasi"),
        ("we need them recalibrated", "service_type", "kalibrasi"),
        ("timbangannya rusak", "instrument_type", "scale"),
        ("jangka sorong 3 unit", "instrument_type", "caliper"),
        ("pinjaman jaminan bpkb", "product_type", "multipurpose"),
        ("excavator bekas", "vehicle_condition", "used"),
        ("motor second", "vehicle_condition", "used"),
        ("used car please", "vehicle_condition", "used"),
        ("kantor di jaksel", "city", "Jakarta Selatan"),
        ("yang analog", "instrument_spec", "analog"),
        ("kirim ke lab aja", "service_location", "lab"),
        ("status kal-2026-123", "reference", "KAL-2026-000123"),
        ("dua belas buah termometer", "quantity", "12"),
    ],
)
def test_values_are_normalised(text: str, kind: str, value: str) -> None:
    assert value in [v for k, _, v in found(text) if k == kind]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("saya baru transfer angsuran", "vehicle_condition"),  # "baru" = "just", no vehicle
        ("wait a second", "vehicle_condition"),
        ("tenor 36 bulan", "quantity"),  # months, not a count
        ("rating 5", "quantity"),
        ("KAL-2026-000123", "quantity"),
        ("email saya bekasi@contoh.co.id", "city"),  # inside an e-mail
        ("outstanding balance", "instrument_type"),
    ],
)
def test_no_false_entity(text: str, kind: str) -> None:
    assert kind not in [k for k, _, _ in found(text)]


def test_entities_never_overlap() -> None:
    entities = extract_entities("jangka sorong 5 unit di Sorong, Rp 1.500.000, 0812-3456-7890")
    spans = sorted((e.start, e.end) for e in entities)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert ("instrument_type", "jangka sorong") in [(e.entity, e.text) for e in entities]
    assert ("city", "Sorong") in [(e.entity, e.text) for e in entities]


def test_patterns_come_from_the_files(tmp_path) -> None:
    (tmp_path / "instrument_type.jsonl").write_text(
        '{"label": "instrument_type", "pattern": "viscometer", "id": "viscometer"}\n'
    )
    recognizer = EntityRecognizer.from_dir(tmp_path)
    assert [(e.entity, e.value) for e in recognizer.extract("kalibrasi viscometer")] == [
        ("instrument_type", "viscometer")
    ]
