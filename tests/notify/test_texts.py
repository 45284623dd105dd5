"""Notification texts (data/notification_texts.yml) and WhatsApp templates (profile)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.notify.texts import TextRegistry, UnknownKind, get_texts
from bot.profile import ProfileError, load_profile, parse_profile


def test_every_kind_has_indonesian_and_english_text() -> None:
    texts = get_texts()
    assert {"otp_code", "stage_changed"} <= set(texts.kinds)
    for kind in texts.kinds.values():
        assert {"id", "en"} <= set(kind.text) and {"id", "en"} <= set(kind.subject)


def test_a_missing_value_stays_visible_instead_of_failing() -> None:
    registry = TextRegistry({"k": {"subject": {"id": "S"}, "text": {"id": "Halo {name}"}}})
    assert registry.render("k", "id", {}).text == "Halo {name}"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownKind):
        get_texts().render("no_such_kind", "id", {})


def test_the_sample_profile_has_a_template_for_each_starting_kind() -> None:
    profile = load_profile("data/business_profile.yml")
    otp = profile.whatsapp_template("otp_code")
    stage = profile.whatsapp_template("stage_changed")
    assert otp is not None and otp.button_parameter == "code"
    assert stage is not None and stage.language_code("en") == "en_US"


def test_a_template_without_languages_is_a_profile_error() -> None:
    import yaml

    with open("data/business_profile.yml", encoding="utf-8") as handle:
        raw: dict[str, Any] = yaml.safe_load(handle)
    raw["whatsapp_templates"] = {"otp_code": {"name": "x"}}
    with pytest.raises(ProfileError, match=r"whatsapp_templates\.otp_code\.languages"):
        parse_profile(raw)
