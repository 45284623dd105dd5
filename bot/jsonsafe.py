"""JSON parsing for bodies that come from outside: bounded size, bounded nesting, clean errors.

``json.loads`` recurses once per nesting level, so a body of 100,000 ``[`` raises
``RecursionError`` (a 500 with a traceback, not a 400). Here the nesting depth is measured
first, by a linear scan that never recurses, and only a body within both limits is parsed.
Every refusal is a ``ValueError`` subclass, so a handler answers 400 with one ``except``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSONInvalid", "JSONTooDeep", "JSONTooLarge", "JSONUnsafe", "loads"]

DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_DEPTH = 32

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


class JSONUnsafe(ValueError):
    """Base class: the body was refused; ``code`` is a short machine-readable reason."""

    code = "invalid_json"


class JSONTooLarge(JSONUnsafe):
    code = "json_too_large"


class JSONTooDeep(JSONUnsafe):
    code = "json_too_deep"


class JSONInvalid(JSONUnsafe):
    code = "invalid_json"


def _reject_constant(name: str) -> Any:
    # NaN / Infinity are not JSON (RFC 8259) and break arithmetic downstream.
    raise JSONInvalid(f"{name} is not allowed in JSON")


def _depth_exceeds(data: bytes, max_depth: int) -> bool:
    """True when arrays/objects nest deeper than ``max_depth`` (brackets in strings ignored)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > max_depth:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def loads(
    body: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse ``body`` (UTF-8 bytes or text) or raise JSONTooLarge, JSONTooDeep or JSONInvalid."""
    if isinstance(body, str):
        data = body.encode("utf-8", "surrogatepass")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
    else:
        raise JSONInvalid(f"expected bytes or str, not {type(body).__name__}")
    if len(data) > max_bytes:
        raise JSONTooLarge(f"JSON body larger than {max_bytes} bytes")
    if _depth_exceeds(data, max_depth):
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        text = data.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except JSONInvalid:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError
        raise JSONInvalid(f"invalid JSON: {exc.__class__.__name__}") from None
