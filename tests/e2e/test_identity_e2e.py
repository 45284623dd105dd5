"""Record takeover by phone number, end to end over REST (issue 12, item 1).

Customer A files a calibration request with phone P. A stranger on another web session
files a complaint giving P, then starts a calibration request, then asks for A's status.
Before the fix the stranger's session was merged into A's record: A's name was
overwritten and the stranger's form was pre-filled with A's company and e-mail. Now a
typed phone is a claim: the stranger sees none of A's details and A's record is unchanged;
only someone who receives the one-time code at P (read here from the outbox row, as the
worker would send it) proves the number and is linked.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.flow_chat import Chat, rows

pytestmark = pytest.mark.model

PHONE_TYPED = "0812-7000-1234"
PHONE = "+6281270001234"
A_COMPANY = "PT Alpha Sejahtera"
A_NAME = "Anindya Prameswari"
A_EMAIL = "anindya@alpha-sejahtera.co.id"


def _calibration(chat: Chat, company: str, name: str, email: str, phone: str) -> list[str]:
    """Answer the calibration form up to its summary; every bot text seen is returned."""
    seen = [chat.say("mau tera ulang 3 timbangan digital, dikirim ke lab")]
    if "Layanan apa" in chat.text:
        chat.click("Tera ulang")
        seen.append(chat.text)
    for _ in range(12):
        text = chat.text
        if "Sudah benar" in text:
            return seen
        if "alat lain" in text:
            chat.click("Tidak, itu saja")
        elif "digital atau analog" in text:
            chat.click("Digital")
        elif "Berapa unit" in text:
            chat.say("3")
        elif "on-site" in text:
            chat.click("laboratorium")
        elif "jadwal" in text:
            chat.say("minggu depan")
        elif "perusahaan" in text.lower():
            chat.say(company)
        elif "siapa saya berbicara" in text:
            chat.say(name)
        elif "telepon/WhatsApp" in text:
            chat.say(phone)
        elif "email" in text.lower():
            chat.say(email)
        else:
            raise AssertionError(f"unexpected question: {text!r}")
        seen.append(chat.text)
    raise AssertionError(f"no summary: {chat.text!r}")


def _customer_of(url: str, sender: str) -> int:
    (identity,) = rows(url, "customer_identities", kind="web", value=sender)
    return int(identity["customer_id"])


def _latest_code(url: str) -> str:
    notification = rows(url, "notifications", kind="otp_code")[-1]
    assert (notification["channel"], notification["recipient"]) == ("whatsapp", PHONE[1:])
    return str(notification["payload"]["code"])


def _offered(chat: Chat) -> str:
    return " ".join(str(b.get("title")) for b in chat.buttons)


def _ask_status_and_send_code(chat: Chat, reference: str) -> None:
    chat.say(f"cek status {reference}")
    assert "Status Permintaan" not in chat.text and "kode verifikasi" in chat.text
    assert "WhatsApp 08**-****-1234" in _offered(chat) and "7000" not in _offered(chat)
    chat.click("WhatsApp")
    assert "Kode verifikasi sudah kami kirim ke 08**-****-1234" in chat.text


def test_a_typed_phone_number_takes_over_nothing(stack: Any) -> None:
    url = stack.database_url
    owner = Chat(stack)
    _calibration(owner, A_COMPANY, A_NAME, A_EMAIL, PHONE_TYPED)
    owner.click("Ya, kirim")
    kal = owner.reference()
    owner_id = _customer_of(url, owner.sender)
    (owner_before,) = rows(url, "customers", id=owner_id)
    identities_before = rows(url, "customer_identities", customer_id=owner_id)

    # The stranger files a complaint giving A's phone number ...
    stranger = Chat(stack)
    seen = [stranger.say("saya mau komplain")]
    stranger.click("Sertifikat/dokumen terlambat")
    seen.append(stranger.text)
    seen += [stranger.say(answer) for answer in ("Orang Asing", PHONE_TYPED)]
    stranger.click("Tidak ada")
    seen.append(stranger.say("Sertifikat belum dikirim"))
    seen.append(stranger.say("Dikirim minggu ini"))
    stranger.click("Sedang")
    seen.append(stranger.text)
    stranger.click("Ya, kirim")
    complaint = stranger.reference()
    assert complaint.startswith("CMP-")
    # ... then starts a calibration request: nothing of A's is pre-filled or shown.
    seen += _calibration(stranger, "CV Lain", "Orang Asing", "orang@asing.example", PHONE_TYPED)
    for secret in (A_COMPANY, A_EMAIL, A_NAME):  # the takeover showed A's details here
        assert secret not in "\n".join(seen)
    summary = stranger.text
    assert "CV Lain" in summary and "orang@asing.example" in summary
    stranger.click("Ya, kirim")
    seen.append(stranger.text)
    # ... and asks for A's status: only the verification step, the number masked.
    _ask_status_and_send_code(stranger, kal)
    seen += [stranger.text, _offered(stranger)]
    code = _latest_code(url)
    stranger.say("000000" if code != "000000" else "111111")
    seen.append(stranger.text)
    assert "belum sesuai" in stranger.text and "Status Permintaan" not in stranger.text
    everything = "\n".join(seen)
    for secret in (A_COMPANY, A_EMAIL, A_NAME):
        assert secret not in everything

    # A's record is unchanged; the stranger has a record of its own.
    assert rows(url, "customers", id=owner_id) == [owner_before]
    assert rows(url, "customer_identities", customer_id=owner_id) == identities_before
    stranger_id = _customer_of(url, stranger.sender)
    assert stranger_id != owner_id
    (stranger_row,) = rows(url, "customers", id=stranger_id)
    assert (stranger_row["name"], stranger_row["company"]) == ("Orang Asing", "CV Lain")
    (complaint_row,) = rows(url, "complaints", reference=complaint)
    assert (complaint_row["customer_id"], complaint_row["contact_phone"]) == (stranger_id, PHONE)
    assert not rows(url, "customer_identities", kind="phone", value=PHONE)

    # A, on a new device, receives the code at P: proven, shown the status, linked.
    laptop = Chat(stack)
    _ask_status_and_send_code(laptop, kal)
    laptop.say(_latest_code(url))
    assert "verifikasi berhasil" in laptop.text
    assert f"Status Permintaan kalibrasi {kal}" in laptop.text
    laptop_id = _customer_of(url, laptop.sender)
    (proven,) = rows(url, "customer_identities", kind="phone", value=PHONE)
    assert proven["customer_id"] == laptop_id and proven["verified_at"] is not None
    # A third device proving the same number joins that proven customer.
    tablet = Chat(stack)
    _ask_status_and_send_code(tablet, kal)
    tablet.say(_latest_code(url))
    assert f"Status Permintaan kalibrasi {kal}" in tablet.text
    assert _customer_of(url, tablet.sender) == laptop_id
    # The stranger is still on its own and still cannot see A's request.
    assert _customer_of(url, stranger.sender) == stranger_id
    stranger.say(f"cek status {kal}")
    assert "Status Permintaan" not in stranger.text
