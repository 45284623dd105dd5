"""Normalising contact details so one person's phone or e-mail matches across channels.

The CRM stores phones as E.164 (``+6281234567890``) and e-mails lower-cased, because
identities are matched by exact value: "0812-3456-7890" typed on the web and WhatsApp's
"6281234567890" must meet. Parsing itself is bot/nlp/parsers' job (one set of rules for
the NLU, the forms and the CRM); this module adds the CRM's strictness: invalid -> ValueError.
"""

from __future__ import annotations

import re

from bot.nlp.parsers import parse_email, parse_phone


def normalize_phone(raw: str) -> str:
    """E.164 form of a phone number (Indonesian by default); ValueError when not valid."""
    value = parse_phone((raw or "").strip())
    if value is None:
        raise ValueError("not a valid phone number")
    return value


def normalize_email(raw: str) -> str:
    """Syntax-checked, lower-cased e-mail address; ValueError otherwise.

    Lower-casing the local part is technically lossy but what customers expect: one
    address typed twice with different capitals is the same person.
    """
    value = parse_email((raw or "").strip())
    if value is None:
        raise ValueError("not a valid e-mail address")
    return value.lower()


def whatsapp_identity(wa_id: str) -> str:
    """The identity value for a WhatsApp sender: wa_id is the number without '+'."""
    digits = re.sub(r"\D", "", wa_id or "")
    if not digits or len(digits) < 8:
        return (wa_id or "").strip()  # test senders and other non-numbers stay as they are
    try:
        return normalize_phone("+" + digits)
    except ValueError:
        return "+" + digits
