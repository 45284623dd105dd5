"""The place gazetteer: real data, normalisation, aliases, prefixes, one-typo matching."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from bot import PROJECT_ROOT
from bot.nlp.gazetteer import (
    DEFAULT_DIR,
    Gazetteer,
    default_gazetteer,
    normalise,
    within_one_edit,
)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return default_gazetteer()


def _values(gazetteer: Gazetteer, text: str) -> list[str]:
    return [m.value for m in gazetteer.find(text)]


def test_every_province_and_kabupaten_kota_is_in_the_data() -> None:
    with (DEFAULT_DIR / "regions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kinds = [row["kind"] for row in rows]
    assert (kinds.count("province"), kinds.count("kabupaten"), kinds.count("kota")) == (38, 416, 98)
    names = {row["name"] for row in rows}
    assert {"Kota Balikpapan", "Kabupaten Bandung", "Kota Bandung", "Papua Barat Daya"} <= names


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Jakarta", "Jakarta"),
        ("DKI Jakarta", "Jakarta"),
        ("Jakarta Selatan", "Jakarta Selatan"),
        ("Kota Adm. Jakarta Selatan", "Jakarta Selatan"),
        ("jakartaselatan", "Jakarta Selatan"),
        ("Bandung", "Bandung"),
        ("Balikpapan", "Balikpapan"),
        ("BALIKPAPAN!!", "Balikpapan"),
        ("Kabupaten Kutai Kartanegara", "Kutai Kartanegara"),
        ("Toli-Toli", "Toli-Toli"),
        ("Prov. Jawa Barat", "Jawa Barat"),
        ("Papua Pegunungan", "Papua Pegunungan"),
    ],
)
def test_official_names_in_any_case_and_punctuation(
    gazetteer: Gazetteer, text: str, value: str
) -> None:
    assert _values(gazetteer, text) == [value]


@pytest.mark.parametrize(
    ("alias", "value"),
    [
        ("Jkt", "Jakarta"),
        ("Jaksel", "Jakarta Selatan"),
        ("Bdg", "Bandung"),
        ("Sby", "Surabaya"),
        ("Mks", "Makassar"),
        ("bpp", "Balikpapan"),
        ("jogja", "Yogyakarta"),
        ("Solo", "Surakarta"),
        ("tangsel", "Tangerang Selatan"),
        ("Cikarang", "Cikarang"),  # a town, not a kabupaten/kota: from the places list
    ],
)
def test_hand_made_aliases(gazetteer: Gazetteer, alias: str, value: str) -> None:
    assert gazetteer.lookup(alias) is not None
    assert gazetteer.lookup(alias).value == value  # type: ignore[union-attr]


def test_kab_and_kota_prefixes_keep_the_kind_only_where_the_name_is_shared(
    gazetteer: Gazetteer,
) -> None:
    # Bandung is both a kabupaten and a kota: the prefix says which one.
    assert _values(gazetteer, "Kab. Bandung") == ["Kabupaten Bandung"]
    assert _values(gazetteer, "kab bandung") == ["Kabupaten Bandung"]
    assert _values(gazetteer, "Kabupaten Bandung") == ["Kabupaten Bandung"]
    assert _values(gazetteer, "Kota Bandung") == ["Kota Bandung"]
    assert _values(gazetteer, "Bandung") == ["Bandung"]
    # Sidoarjo is only a kabupaten: the prefix adds nothing.
    assert _values(gazetteer, "Kab. Sidoarjo") == ["Sidoarjo"]
    assert _values(gazetteer, "Kota Balikpapan") == ["Balikpapan"]


def test_normalise() -> None:
    assert normalise("Kab. Bandung") == "kabupaten bandung"
    assert normalise("KOTA ADM. Jakarta  Utara") == "kota jakarta utara"
    assert normalise("Prop. Bali") == "prop bali"  # unknown abbreviation: left as is
    assert normalise("Propinsi Bali") == "provinsi bali"


@pytest.mark.parametrize(
    ("typo", "value"),
    [
        ("Balikpapn", "Balikpapan"),  # deletion
        ("Blaikpapan", "Balikpapan"),  # swap
        ("Surabayaa", "Surabaya"),  # insertion
        ("Semarahg", "Semarang"),  # substitution
        ("Pontianac", "Pontianak"),
        ("jakarta selatn", "Jakarta"),  # the longest exact name wins over a typo
    ],
)
def test_one_typo_in_a_long_name(gazetteer: Gazetteer, typo: str, value: str) -> None:
    assert gazetteer.lookup(typo) is not None
    assert gazetteer.lookup(typo).value == value  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["Bekas", "Depot", "Medna", "Balikpapaaan", "Surbyaa"])
def test_no_typo_match_for_short_names_or_two_edits(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.lookup(text) is None


def test_within_one_edit() -> None:
    assert within_one_edit("balikpapan", "blaikpapan")
    assert within_one_edit("surabaya", "surabay")
    assert not within_one_edit("surabaya", "suarbay")


@pytest.mark.parametrize(
    "text",
    [
        "sekarang saja",  # one edit from Semarang
        "minta penawaran kalibrasi",  # one edit from Pesawaran
        "di kampung saya",  # one edit from Lampung
        "saya malang sekali",  # Malang: an everyday word without a place word
        "tambang batu bara",
        "mau kredit mobil bekas",
        "sore hari",
        "udah itu aja",
    ],
)
def test_everyday_sentences_name_no_place(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(text) == []


def test_everyday_word_names_count_after_a_place_word_or_alone(gazetteer: Gazetteer) -> None:
    assert _values(gazetteer, "kantor kami di Malang") == ["Malang"]
    assert _values(gazetteer, "Kota Batu") == ["Batu"]
    assert gazetteer.lookup("Malang") is not None  # the whole answer to "which city?"


def test_no_word_of_the_training_data_is_corrected_into_a_place(gazetteer: Gazetteer) -> None:
    """Guards the one-typo matcher: a word customers use must not become a city."""
    files = [
        *(PROJECT_ROOT / "data" / "nlu").glob("*.yml"),
        *(PROJECT_ROOT / "domain").glob("*.yml"),
    ]
    words: set[str] = set()
    for path in files:
        words |= set(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    corrected = [
        (word, match.value)
        for word in sorted(words)
        for match in gazetteer.find(word)
        if match.typo
    ]
    assert corrected == []


def test_sentences_find_the_place(gazetteer: Gazetteer) -> None:
    assert _values(gazetteer, "I live in Jakarta") == ["Jakarta"]
    assert _values(gazetteer, "saya tinggal di Jakarta Selatan, dekat Blok M") == [
        "Jakarta Selatan"
    ]
    assert _values(gazetteer, "pabrik di Cikarang, kantor di Jkt") == ["Cikarang", "Jakarta"]


def test_aliases_must_name_a_known_region(tmp_path: Path) -> None:
    (tmp_path / "regions.csv").write_text("code,kind,province,name,value\n")
    (tmp_path / "aliases.yml").write_text("aliases: {Atlantis: [atl]}\n")
    with pytest.raises(ValueError, match="Atlantis"):
        Gazetteer.from_dir(tmp_path)


def test_source_round_trips(gazetteer: Gazetteer) -> None:
    copy = Gazetteer(gazetteer.source())
    assert [m.value for m in copy.find("di Balikpapan")] == ["Balikpapan"]


def test_out_of_scope_training_examples_name_no_place(gazetteer: Gazetteer) -> None:
    """A city answer must not look like out-of-scope text to the classifier (issue 13)."""
    import yaml

    named = []
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") != "out_of_scope":
                continue
            for line in block["examples"].splitlines():
                text = line.strip().removeprefix("- ")
                named += [(text, m.value) for m in gazetteer.find(text)]
    assert named == []
