"""Pipelines are data: a business renames or drops an optional stage in its profile only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import PROJECT_ROOT
from bot.cases.errors import IllegalTransition
from bot.cases.queries import CaseFilter, stage_counts
from bot.cases.status_view import status_view
from bot.cases.transition import next_stages, transition
from bot.profile import BusinessProfile, ProfileError, load_profile
from tests.cases.helpers import Staff, calibration, force_stage

SHIPPED = PROJECT_ROOT / "data" / "business_profile.yml"


def _profile(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> BusinessProfile:
    raw = yaml.safe_load(SHIPPED.read_text())
    change(raw)
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return load_profile(path)


def _stages(raw: dict[str, Any]) -> dict[str, Any]:
    return raw["pipelines"]["calibration"]["stages"]


def _rename_survey(raw: dict[str, Any]) -> None:
    stages = _stages(raw)
    body = stages.pop("survey_scheduled")
    body["label"] = {"id": "Kunjungan lokasi", "en": "Site visit"}
    rebuilt = {}
    for key, value in stages.items():
        rebuilt[key] = value
        if key == "po_received":
            rebuilt["site_visit"] = body
            value["next"] = ["site_visit", "scheduled"]
    raw["pipelines"]["calibration"]["stages"] = rebuilt


def _drop_survey(raw: dict[str, Any]) -> None:
    _stages(raw)["survey_scheduled"]["enabled"] = False


def _relabel_received(raw: dict[str, Any]) -> None:
    _stages(raw)["received"]["label"] = {"id": "Permintaan masuk", "en": "Request in"}
    _stages(raw)["received"]["next_step"] = {
        "id": "kami hitung penawaran ({days} hari kerja)",
        "en": "quoting",
    }


def test_an_optional_stage_can_be_switched_off(crm_url: str, staff: Staff, tmp_path: Path) -> None:
    profile = _profile(tmp_path, _drop_survey)
    assert "survey_scheduled" not in profile.pipeline("calibration").stages
    reference = calibration(crm_url, location="onsite")
    force_stage(crm_url, reference, "po_received")
    allowed = [
        s.id for s in next_stages(reference, actor=staff.agent, url=crm_url, profile=profile)
    ]
    assert allowed == ["scheduled", "cancelled"]
    with pytest.raises(IllegalTransition):
        transition(
            reference,
            "survey_scheduled",
            {"survey_date": "2026-12-08", "surveyor": "A"},
            actor=staff.supervisor,
            url=crm_url,
            profile=profile,
        )
    counts = stage_counts(
        CaseFilter(type="calibration"), actor=staff.agent, url=crm_url, profile=profile
    )
    assert "survey_scheduled" not in [c.stage for c in counts]


def test_an_optional_stage_can_be_renamed(crm_url: str, staff: Staff, tmp_path: Path) -> None:
    profile = _profile(tmp_path, _rename_survey)
    reference = calibration(crm_url, location="onsite")
    force_stage(crm_url, reference, "po_received")
    allowed = next_stages(reference, actor=staff.agent, url=crm_url, profile=profile)
    assert [(s.id, s.label["id"]) for s in allowed][:1] == [("site_visit", "Kunjungan lokasi")]
    result = transition(
        reference,
        "site_visit",
        {"survey_date": "2026-12-08", "surveyor": "Andi"},
        actor=staff.supervisor,
        url=crm_url,
        profile=profile,
    )
    assert result.case.stage == "site_visit"
    view = status_view(reference, "en", url=crm_url, profile=profile)
    assert view.stage_label == "Site visit"


def test_labels_and_next_steps_come_from_the_profile(crm_url: str, tmp_path: Path) -> None:
    profile = _profile(tmp_path, _relabel_received)
    reference = calibration(crm_url)
    view = status_view(reference, "id", url=crm_url, profile=profile)
    assert view.stage_label == "Permintaan masuk"
    assert view.next_step == "kami hitung penawaran (2 hari kerja)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: _stages(raw)["quotation_sent"].update(enabled=False),
            "only stages marked 'optional",
        ),
        (lambda raw: _stages(raw).pop("survey_scheduled"), "unknown stage 'survey_scheduled'"),
        (
            lambda raw: _stages(raw)["received"].update(sla={"working_days": "calibration.nope"}),
            "does not have",
        ),
        (
            lambda raw: _stages(raw)["po_received"]["fields"][0].update(type="colour"),
            "must be one of",
        ),
        (lambda raw: raw["pipelines"].pop("financing"), "pipelines missing"),
        (
            lambda raw: raw["pipelines"]["complaint"]["stages"].update(
                escalated={"label": "x", "final": True}
            ),
            "Goodman",
        ),
        (lambda raw: raw["pipelines"]["calibration"].update(initial="inbox"), "initial"),
        (lambda raw: _stages(raw)["completed"].update(next=["received"]), "is final"),
    ],
)
def test_invalid_pipelines_are_refused_with_a_clear_message(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        _profile(tmp_path, change)


def test_sla_values_reuse_the_profiles_own_numbers(tmp_path: Path) -> None:
    def slower(raw: dict[str, Any]) -> None:
        raw["calibration"]["quotation_working_days"] = 4

    profile = _profile(tmp_path, slower)
    assert profile.pipeline("calibration").stages["received"].sla.working_days == 4
    assert profile.pipeline("calibration").stages["certificate_issued"].derived[0].months == 12
