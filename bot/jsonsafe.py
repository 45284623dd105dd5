"""One safe JSON parser for every body that arrives from outside (channels, desk).

``json.loads`` is recursive: a body of 100 000 ``[`` raises ``RecursionError`` deep inside
the decoder, which web frameworks turn into a 500 with a traceback. Here the size is checked
first, then the nesting depth by a flat scan of the brackets outside strings (no recursion,
linear time), and only then does the standard decoder run. Every failure is a subclass of
:class:`JSONBodyError` (a ``ValueError``), so a handler answers one clean 400.

Contract (other modules code against it)::

    loads(body: bytes | str, *, max_bytes=256 * 1024, max_depth=32) -> Any
    JSONBodyError(ValueError) > JSONTooLarge, JSONTooDeep, JSONInvalid
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "JSONBodyError",
    "JSONInvalid",
    "JSONTooDeep",
    "JSONTooLarge",
    "loads",
    "nesting_depth",
]

DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_DEPTH = 32


class JSONBodyError(ValueError):
    """The body cannot be accepted as JSON; ``code`` is a short machine-readable reason."""

    code = "invalid_json"


class JSONTooLarge(JSONBodyError):
    code = "json_too_large"


class JSONTooDeep(JSONBodyError):
    code = "json_too_deep"


class JSONInvalid(JSONBodyError):
    code = "invalid_json"


def nesting_depth(text: str, limit: int | None = None) -> int:
    """Deepest ``[``/``{`` nesting outside string literals; stops early once above ``limit``.

    Brackets inside strings (``"[[["``) and escaped quotes (``"a\\"["``) do not count.
    Unbalanced input is left to the decoder, which reports it as invalid.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def loads(
    body: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse ``body`` as JSON within the size and depth limits, or raise a JSONBodyError."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        if len(raw) > max_bytes:
            raise JSONTooLarge(f"The JSON body is larger than {max_bytes} bytes.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JSONInvalid("The body is not UTF-8 encoded JSON.") from None
    elif isinstance(body, str):
        text = body
        if len(text) > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise JSONTooLarge(f"The JSON body is larger than {max_bytes} bytes.")
    else:
        raise JSONInvalid("The body must be bytes or text.")
    if nesting_depth(text, max_depth) > max_depth:
        raise JSONTooDeep(f"The JSON body is nested deeper than {max_depth} levels.")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except JSONInvalid:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise JSONInvalid("The body is not valid JSON.") from None


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259) and break arithmetic downstream."""
    raise JSONInvalid(f"{name} is not allowed in JSON.")
