"""Customer-facing handoff texts, Indonesian and English.

Kept in code rather than in the domain because the desk (inside the Rasa server, no action
server round trip) sends some of them: the join, closing and feedback messages; the queue
and callback-ticket messages that go with them are kept beside them. The callback form's
questions and refusals are domain responses (domain/handoff.yml).
Business facts (hours, the address form) are filled in from the business profile.
"""

from __future__ import annotations

from typing import Any

from bot.profile import BusinessProfile, get_profile

TEXTS: dict[str, dict[str, str]] = {
    "queued": {
        "id": "Baik, {addr}. Saya sambungkan ke tim customer service kami. Saat ini {online} "
        "online, dan posisi antrean {addr} nomor {position}{wait}.\n\n"
        "Mohon tunggu sebentar. Pesan yang {addr} kirim selama menunggu langsung terbaca oleh "
        "agen. Jam layanan agen: {hours}.",
        "en": "Sure. I'm connecting you to our customer service team. {online} "
        "online, and you are number {position} in the queue{wait}.\n\n"
        "Please wait a moment. Anything you write while you wait goes straight to the agent. "
        "Agent hours: {hours}.",
    },
    "wait_estimate": {
        "id": " (perkiraan waktu tunggu sekitar {duration})",
        "en": " (estimated wait about {duration})",
    },
    "already_waiting": {
        "id": "{addr} sudah dalam antrean untuk berbicara dengan agen (posisi {position}). "
        "Mohon tunggu sebentar, ya.",
        "en": "You are already in the queue for an agent (position {position}). Please wait a "
        "moment.",
    },
    "offline_out_of_hours": {
        "id": "Mohon maaf, {addr}, saat ini di luar jam layanan agen kami ({hours}), jadi belum "
        "ada agen yang bisa membalas di sini. Kami bisa menghubungi {addr} kembali.",
        "en": "Sorry, it is outside our agents' working hours ({hours}), so no agent can reply "
        "here right now. We can contact you back.",
    },
    "offline_nobody_online": {
        "id": "Mohon maaf, {addr}, saat ini belum ada agen yang online. Kami bisa menghubungi "
        "{addr} kembali. Jam layanan agen: {hours}.",
        "en": "Sorry, no agent is online right now. We can contact you back. Agent hours: {hours}.",
    },
    "callback_confirmed": {
        "id": "Terima kasih, {addr}. Permintaan dihubungi kembali sudah kami catat (tiket "
        "{ticket}). Agen kami akan menghubungi {addr} lewat {channel} {when}.",
        "en": "Thank you. Your callback request is recorded (ticket {ticket}). Our agent will "
        "contact you by {channel} {when}.",
    },
    "agent_joined": {
        "id": "{agent} dari tim customer service sudah bergabung. Silakan sampaikan kebutuhan "
        "{addr}.",
        "en": "{agent} from our customer service team has joined. How can we help?",
    },
    # An agent passed the conversation on (issue 16): the customer is told who took over.
    "transferred_agent": {
        "id": "Percakapan {addr} sekarang dilanjutkan oleh {agent}. Mohon tunggu sebentar, "
        "{agent} akan segera membalas.",
        "en": "Your conversation is now continued by {agent}, who will reply shortly.",
    },
    "transferred_team": {
        "id": "Percakapan {addr} kami teruskan ke tim {team}. Mohon tunggu sebentar, petugas "
        "kami akan segera bergabung.",
        "en": "We have passed your conversation on to our {team} team. Please wait a moment, "
        "someone will join shortly.",
    },
    "closed": {
        "id": "Percakapan dengan {agent} sudah selesai. Terima kasih, {addr}! Mulai sekarang "
        "{addr} kembali dilayani asisten virtual kami.",
        "en": "Your conversation with {agent} has ended. Thank you! Our virtual assistant is "
        "back to help you from here.",
    },
    "left_queue": {
        "id": "Baik, {addr} sudah keluar dari antrean. Terima kasih sudah menunggu. Asisten "
        "virtual kami siap membantu lagi; kapan saja {addr} bisa meminta bicara dengan agen.",
        "en": "All right, you have left the queue. Thank you for waiting. Our virtual "
        "assistant is here to help again; you can ask for an agent any time.",
    },
    "not_in_queue": {
        "id": "{addr} sedang tidak dalam antrean agen. Asisten virtual kami siap membantu.",
        "en": "You are not in the queue for an agent. Our virtual assistant is here to help.",
    },
    "leave_too_late": {
        "id": "Agen kami sudah bergabung dalam percakapan ini, jadi antrean tidak bisa "
        "ditinggalkan lagi. Silakan sampaikan kebutuhan {addr} kepada agen.",
        "en": "An agent has already joined this conversation, so the queue can no longer be "
        "left. Please tell the agent how we can help.",
    },
    "feedback_prompt": {
        "id": "Bagaimana penilaian {addr} atas bantuan agen kami? (1 = sangat kurang, "
        "5 = sangat baik)",
        "en": "How would you rate our agent's help? (1 = very poor, 5 = excellent)",
    },
}


def minutes(count: int, language: str | None) -> str:
    """ "5 menit" / "1 minute" / "5 minutes" (Indonesian nouns do not inflect)."""
    if language == "en":
        return f"{count} minute" if count == 1 else f"{count} minutes"
    return f"{count} menit"


def agents_online(count: int, language: str | None) -> str:
    """The subject of "... online": "1 agent is" / "2 agents are" / "2 agen"."""
    if language == "en":
        return "1 agent is" if count == 1 else f"{count} agents are"
    return f"{count} agen"


CHANNEL_LABELS = {
    "whatsapp": {"id": "WhatsApp", "en": "WhatsApp"},
    "phone": {"id": "telepon", "en": "phone"},
    "email": {"id": "e-mail", "en": "e-mail"},
}


def address(language: str, profile: BusinessProfile | None = None) -> str:
    if language == "en":
        return "you"
    return (profile or get_profile()).address_form


def text(
    key: str, language: str | None, profile: BusinessProfile | None = None, **values: Any
) -> str:
    """The ``key`` text in ``language`` (Indonesian unless 'en'), placeholders filled."""
    lang = "en" if language == "en" else "id"
    profile = profile or get_profile()
    values.setdefault("addr", address(lang, profile))
    rendered = TEXTS[key][lang].format(**values)
    # A sentence may start with the address form ("Bapak/Ibu sudah ...").
    return rendered[:1].upper() + rendered[1:]


def feedback_buttons(language: str | None) -> list[dict[str, str]]:
    """Rating buttons 5..1 and skip, as the feedback flow (bot.flows.feedback) reads them.

    The score travels as the ``feedback_rating`` entity of ``give_feedback``; the flow links
    the rating to the handoff through the ``last_handoff_id`` slot the desk sets on close.
    """
    stars = {5: "5 ★★★★★", 4: "4 ★★★★", 3: "3 ★★★", 2: "2 ★★", 1: "1 ★"}
    buttons = [
        {"title": stars[score], "payload": f'/give_feedback{{"feedback_rating": "{score}"}}'}
        for score in stars
    ]
    buttons.append({"title": "Skip" if language == "en" else "Lewati", "payload": "/deny"})
    return buttons
