"""What can go wrong in a back-office operation, as exceptions the web layer maps to HTTP.

Why exceptions with a status: the desk pages and the JSON API must answer the same way for
the same mistake; each class carries its HTTP status and a message per language, so the web
layer only translates, it never decides.
"""

from __future__ import annotations

from collections.abc import Mapping


class CaseError(Exception):
    status = 400
    code = "error"

    def __init__(self, message_id: str, message_en: str | None = None) -> None:
        super().__init__(message_en or message_id)
        self.messages = {"id": message_id, "en": message_en or message_id}

    def message(self, language: str) -> str:
        return self.messages.get(language) or self.messages["id"]


class CaseNotFound(CaseError):
    status = 404
    code = "not_found"


class Forbidden(CaseError):
    status = 403
    code = "forbidden"


class IllegalTransition(CaseError):
    status = 409
    code = "illegal_transition"


class StaleCase(CaseError):
    """Someone changed the case since the caller read it: reload and try again."""

    status = 409
    code = "stale"


class FieldErrors(CaseError):
    """Missing or invalid stage fields; ``errors`` maps field name to {id:, en:} messages."""

    status = 422
    code = "invalid_fields"

    def __init__(self, errors: Mapping[str, Mapping[str, str]]) -> None:
        names = ", ".join(sorted(errors))
        super().__init__(
            f"Data belum lengkap atau tidak valid: {names}", f"Missing or invalid: {names}"
        )
        self.errors = {name: dict(texts) for name, texts in errors.items()}
