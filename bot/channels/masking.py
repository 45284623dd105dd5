"""Masking of customer identifiers for logs (a WhatsApp id is a phone number)."""

from __future__ import annotations


def mask_id(value: str | None) -> str:
    """``6281234567890`` -> ``…7890``: enough to correlate log lines, not to identify anyone."""
    if not value:
        return "<none>"
    text = str(value)
    return "…" + text[-4:] if len(text) > 4 else "…"
