"""Language detection keeps the language unless a message clearly is Indonesian or English."""

from __future__ import annotations

import pytest

from bot.nlp.language import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "jam buka kantor?",
        "ok kak",
        "Sy mau kalibrasi 12 pressure gauge",
        "bisa bayar via transfer?",
        "iya",
        "gak",
        "PO sudah dikirim",
    ],
)
def test_indonesian(text: str) -> None:
    assert detect_language(text) == "id"


@pytest.mark.parametrize(
    "text",
    [
        "What are your opening hours?",
        "are you a bot?",
        "how long does calibration take",
        "I want to pay my angsuran",
        "can I pay by transfer",
        "Where's my certificate KAL-2026-000123",
    ],
)
def test_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text", ["ok", "12", "thanks", "invoice", "yes", "no", "asdfgh", "", "KAL-2026-000123", "👍"]
)
def test_undecided_keeps_the_current_language(text: str) -> None:
    assert detect_language(text) is None
