"""Size limits and the polite replies that go with them, shared by every channel."""

from __future__ import annotations

from bot.config import get_channel_settings

MAX_SENDER_ID_CHARS = 128


def max_message_chars() -> int:
    """CHAT_MAX_MESSAGE_CHARS (4096, WhatsApp's own cap): the same limit on every channel."""
    return get_channel_settings().max_message_chars


def max_body_bytes() -> int:
    """CHAT_MAX_BODY_BYTES (256 KB): bodies above it are refused before parsing."""
    return get_channel_settings().max_body_bytes


class TextProblem:
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID = "invalid_characters"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be passed to Rasa, or None when it can."""
    if not text.strip():
        return TextProblem.EMPTY
    if len(text) > max_message_chars():
        return TextProblem.TOO_LONG
    # NUL is refused by PostgreSQL text columns; lone surrogates cannot be encoded as UTF-8.
    # Either would make the tracker store fail half-way through a turn.
    if "\x00" in text:
        return TextProblem.INVALID
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return TextProblem.INVALID
    return None


def _address_form() -> str:
    try:
        from bot.profile import get_profile

        return get_profile().address_form
    except Exception:  # noqa: BLE001 - a missing profile must not break an error reply
        return "Bapak/Ibu"


def looks_english(text: str) -> bool:
    """Cheap guess for channel-level replies sent before NLU runs (Indonesian by default)."""
    words = {w.strip(".,!?").lower() for w in text.split()[:40]}
    english = {"the", "is", "are", "you", "please", "my", "i", "what", "how", "can", "hello", "hi"}
    indonesian = {"yang", "saya", "dan", "di", "ini", "itu", "untuk", "apa", "bisa", "mau", "tidak"}
    return len(words & english) > len(words & indonesian)


def too_long_reply(text: str = "") -> str:
    if looks_english(text):
        return (
            f"Sorry, your message is too long (max {max_message_chars()} characters). "
            "Please send it in a few shorter messages."
        )
    return (
        f"Mohon maaf, {_address_form()}, pesan Anda terlalu panjang (maksimal "
        f"{max_message_chars()} karakter). Mohon kirim dalam beberapa pesan yang lebih singkat."
    )


def unsupported_reply() -> str:
    return (
        f"Mohon maaf, {_address_form()}, saat ini kami hanya dapat membaca pesan teks. "
        "Gambar, suara, video, lokasi, dan stiker belum dapat kami proses. "
        "Silakan tuliskan pertanyaan atau keperluan Anda dalam bentuk teks."
    )


def invalid_text_reply() -> str:
    return (
        f"Mohon maaf, {_address_form()}, pesan Anda berisi karakter yang tidak dapat kami "
        "proses. Silakan ketik ulang pesan Anda."
    )
