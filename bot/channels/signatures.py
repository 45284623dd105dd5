"""Webhook signature checks (Meta's X-Hub-Signature-256)."""

from __future__ import annotations

import enum
import hashlib
import hmac


class SignatureCheck(enum.Enum):
    VALID = "valid"
    MISSING = "missing"  # -> 401: the caller did not authenticate at all
    INVALID = "invalid"  # -> 403: the caller authenticated and failed


def meta_signature(body: bytes, app_secret: str) -> str:
    """The header value Meta sends: ``sha256=`` + HMAC-SHA256(app secret, raw body) in hex."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_meta_signature(body: bytes, header: str | None, app_secret: str) -> SignatureCheck:
    """Verify the raw body (never a re-serialised JSON: key order and spacing would differ)."""
    if not header:
        return SignatureCheck.MISSING
    if not app_secret:
        return SignatureCheck.INVALID
    expected = meta_signature(body, app_secret)
    # compare_digest: constant time, so the signature cannot be guessed byte by byte.
    if hmac.compare_digest(
        expected.encode("ascii"), header.strip().lower().encode("ascii", "replace")
    ):
        return SignatureCheck.VALID
    return SignatureCheck.INVALID
