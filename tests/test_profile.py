"""The business profile: every fact the bot states comes from data/business_profile.yml."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot import PROJECT_ROOT
from bot.profile import REQUIRED_COMPLAINT_CATEGORIES, ProfileError, get_profile, load_profile

SHIPPED = PROJECT_ROOT / "data" / "business_profile.yml"
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture()
def profile_copy(tmp_path: Path) -> Path:
    path = tmp_path / "business_profile.yml"
    shutil.copy(SHIPPED, path)
    return path


def _edit(path: Path, change) -> None:
    raw = yaml.safe_load(path.read_text())
    change(raw)
    # Bump the mtime explicitly: two writes within one timestamp tick must still count.
    stat = path.stat()
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_shipped_profile_is_valid_and_marked_as_sample() -> None:
    profile = load_profile(SHIPPED)
    assert profile.raw["sample_data"] is True
    assert "SAMPLE DATA" in SHIPPED.read_text()
    assert set(REQUIRED_COMPLAINT_CATEGORIES) <= set(profile.complaint_category_ids())
    assert {p.id for p in profile.financing_products} == {
        "motorcycle",
        "car",
        "multipurpose",
        "heavy_equipment",
    }
    assert profile.quotation_working_days > 0
    assert all(
        isinstance(i.price_min, Decimal) and i.price_min <= i.price_max for i in profile.instruments
    )


def test_template_values_in_both_languages(profile_copy: Path) -> None:
    profile = load_profile(profile_copy)
    values_id = profile.template_values("id")
    values_en = profile.template_values("en")
    assert set(values_id) == set(values_en)
    assert all(isinstance(v, str) for v in values_id.values())
    assert values_id["office_hours"].startswith("Senin–Jumat 08.00–17.00 WIB")
    assert values_en["office_hours"].startswith("Monday–Friday 08:00–17:00 WIB")
    assert "Rp150.000–Rp450.000" in values_id["calibration_price_list"]
    assert "IDR 150,000–IDR 450,000" in values_en["calibration_price_list"]
    assert values_id["quotation_working_days"] == "2"
    # An unknown language falls back to Indonesian rather than failing.
    assert profile.template_values("fr") == values_id


def test_edited_opening_hour_is_served_without_restart(profile_copy: Path) -> None:
    before = get_profile(profile_copy).template_values("id")["office_hours"]
    assert "08.00–17.00" in before

    def later(raw):
        raw["office_hours"]["monday"]["close"] = "18:30"

    _edit(profile_copy, later)
    after = get_profile(profile_copy).template_values("id")["office_hours"]
    assert after.startswith("Senin 08.00–18.30 WIB; Selasa–Jumat 08.00–17.00 WIB")


def test_broken_edit_keeps_the_last_good_profile(profile_copy: Path) -> None:
    good = get_profile(profile_copy)
    stat = profile_copy.stat()
    profile_copy.write_text("company: [this is: not valid")
    os.utime(profile_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert get_profile(profile_copy) is good


def test_first_load_of_a_broken_file_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("company: {name: X}\n")
    with pytest.raises(ProfileError, match="address_form"):
        get_profile(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["office_hours"]["monday"].update(open="25:00"), "08:00"),
        (lambda raw: raw["office_hours"]["monday"].update(close="07:00"), "closes before it opens"),
        (
            lambda raw: raw["calibration"]["instruments"][0].update(price_min="150.000"),
            "whole Rupiah",
        ),
        (
            lambda raw: raw["calibration"]["instruments"][0].update(price_min="9999999"),
            "above price_max",
        ),
        (lambda raw: raw["complaint_categories"].pop(0), "late_certificate"),
        (lambda raw: raw.update(timezone="Mars/Olympus"), "timezone"),
        (lambda raw: raw.update(holidays=["25-12-2026"]), "YYYY-MM-DD"),
    ],
)
def test_validation_errors_name_the_problem(profile_copy: Path, change, message: str) -> None:
    _edit(profile_copy, change)
    with pytest.raises(ProfileError, match=message):
        load_profile(profile_copy)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 19, 59, tzinfo=JAKARTA), True),  # Wednesday evening
        (datetime(2026, 11, 25, 20, 0, tzinfo=JAKARTA), False),  # closing time is exclusive
        (datetime(2026, 11, 25, 7, 59, tzinfo=JAKARTA), False),
        (datetime(2026, 11, 28, 10, 0, tzinfo=JAKARTA), True),  # Saturday
        (datetime(2026, 11, 29, 10, 0, tzinfo=JAKARTA), False),  # Sunday
        (datetime(2026, 12, 25, 10, 0, tzinfo=JAKARTA), False),  # holiday
        (datetime(2026, 11, 25, 5, 0, tzinfo=ZoneInfo("UTC")), True),  # 12:00 in Jakarta
        (datetime(2026, 11, 25, 10, 0), True),  # naive = already Jakarta time
    ],
)
def test_agent_hours(moment: datetime, expected: bool) -> None:
    assert load_profile(SHIPPED).is_within_agent_hours(moment) is expected


def test_working_days_skip_weekends_and_holidays() -> None:
    profile = load_profile(SHIPPED)
    assert profile.add_working_days(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Fri + 2 -> Tue
    assert profile.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)  # skips the 25th


def test_desk_teams_route_handoff_reasons_to_their_queues(profile_copy: Path) -> None:
    """Issue 16: every handoff reason has a team queue; an unknown reason goes to the first."""
    from bot.handoff import reasons

    profile = load_profile(profile_copy)
    assert [t.id for t in profile.teams] == ["cs", "teknis", "pembiayaan", "manajer"]
    assert profile.team_for_reason(reasons.PRICE_NEGOTIATION).id == "pembiayaan"
    assert profile.team_for_reason(reasons.SPEC_DISPUTE).id == "teknis"
    assert profile.team_for_reason(reasons.HIGH_SEVERITY_COMPLAINT).id == "manajer"
    assert profile.team_for_reason("something_new").id == "cs"
    assert profile.team("manajer").name["id"] == "Manajer Operasional"

    _edit(profile_copy, lambda raw: raw["teams"].append({"id": "cs", "name": "CS lagi"}))
    with pytest.raises(ProfileError, match="duplicate team id"):
        load_profile(profile_copy)
