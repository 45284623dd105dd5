"""Issue 13 over REST: another request mid-form is asked about and the form is kept; several
answers in one message; a typed correction on the summary; the financing summary's figures.

Runs on the session's stack (trained model, `rasa run`, action server, fresh SQLite CRM).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.flow_chat import Chat, rows

pytestmark = pytest.mark.model


def test_financing_switch_question_price_and_dp_together_and_a_typed_correction(stack) -> None:
    chat = Chat(stack)
    chat.say("mau ajukan kredit mobil baru")
    chat.say("harganya 350 juta, dp 70 juta")
    assert "Dicatat: harga Rp350.000.000, DP Rp70.000.000" in chat.text
    chat.say("eh saya mau komplain dulu")
    assert "Lanjutkan pengajuan pembiayaan, atau mulai keluhan?" in chat.text
    chat.click("Lanjutkan pengajuan pembiayaan")
    assert any("36 bulan" in b["title"] for b in chat.buttons)  # the tenor question again
    chat.click("36 bulan")
    assert "Di kota mana" in chat.text
    chat.say("Balikpapan")
    chat.click("Setuju")
    chat.say("Budi Santoso")
    chat.say("0812 3456 7890")
    chat.say("sore")
    summary = chat.text
    assert "Harga: Rp350.000.000" in summary and "Uang muka (DP): Rp70.000.000" in summary
    assert "Pokok pembiayaan (harga − DP): Rp280.000.000" in summary
    chat.say("ganti dp jadi 100 juta")
    assert "Pokok pembiayaan (harga − DP): Rp250.000.000" in chat.text  # the summary again
    chat.click("Ya, kirim")
    reference = chat.reference()
    (row,) = rows(stack.database_url, "financing_requests", reference=reference)
    assert Decimal(str(row["amount"])) == Decimal("350000000")
    assert Decimal(str(row["down_payment"])) == Decimal("100000000")
    assert (row["city"], row["name"]) == ("Balikpapan", "Budi Santoso")


def test_a_form_set_aside_for_another_request_resumes_with_its_answers(stack) -> None:
    chat = Chat(stack)
    chat.say("saya mau minta penawaran kalibrasi timbangan")
    chat.click("Digital")
    chat.say("saya mau komplain soal invoice")
    assert "Lanjutkan permintaan kalibrasi, atau mulai keluhan?" in chat.text
    chat.click("Mulai keluhan")
    assert "permintaan kalibrasi saya tunda dulu" in chat.text
    assert "Keluhannya tentang apa?" in chat.text
    chat.say("batal")
    chat.say("saya mau minta penawaran kalibrasi timbangan")
    assert "Kita lanjutkan permintaan kalibrasi yang tadi." in chat.text
    assert "digital atau analog" not in chat.text  # the answer given before is kept
