"""How a refused input is worded for the person who sent it: one short line.

Every refusal names the field, says what was wrong and what is accepted, and echoes at
most an excerpt of what was sent (`excerpt`: `MAX_EXCERPT_CHARS` characters, then
"…"), however large the input was. `describe_validation_error` words pydantic's
findings; the workflow's data converter, the client's `explain_refusal` and the CLI
all call it, so a refusal reads the same wherever it is made. `bounded` caps any
message (a rule's refusal included) at `MAX_REFUSAL_CHARS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_EXCERPT_CHARS: Final = 40
"""The most of a person's input a refusal repeats."""
MAX_REFUSAL_CHARS: Final = 480
"""The longest refusal: one line a person reads, never the input itself."""
MAX_FINDINGS: Final = 5
"""Findings a refusal lists; more are counted ("and 12 more")."""
ELLIPSIS: Final = "…"

INVALID_INPUT: Final = "InvalidInput"
"""The type a refused Update carries when its argument does not fit its model."""


def excerpt(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    """`text` as a refusal may repeat it: its first `limit` characters, then "…"."""
    if len(text) <= limit:
        return text
    return text[:limit] + ELLIPSIS


def quoted(value: object) -> str:
    """A value a person sent, quoted and cut to an excerpt (its repr for non-strings)."""
    if isinstance(value, str):
        return repr(excerpt(value))
    if isinstance(value, (dict, list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    return excerpt(repr(value))


def bounded(message: str, limit: int = MAX_REFUSAL_CHARS) -> str:
    """`message` cut to at most `limit` characters, "…" included: no refusal is ever long."""
    return message if len(message) <= limit else excerpt(message, limit - len(ELLIPSIS))


def _accepted(item: ErrorDetails) -> str:
    """What the field takes, from the constraint pydantic checked."""
    context: dict[str, Any] = dict(item.get("ctx") or {})
    kind = item["type"]
    text = isinstance(item.get("input"), str)
    if kind in ("string_too_long", "too_long"):
        return f"at most {context.get('max_length')} {'characters' if text else 'items'}"
    if kind in ("string_too_short", "too_short"):
        return f"at least {context.get('min_length')} {'character' if text else 'item'}(s)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return 'a whole number such as 12 (not true, "12" or 12.0)'
    if kind in ("bool_type", "bool_parsing"):
        return "true or false"
    if kind == "enum":
        return f"one of {context.get('expected')}"
    return ""


def _finding(item: ErrorDetails, flags: Mapping[str, str] | None) -> str:
    loc = [str(step) for step in item["loc"]]
    if flags and loc and loc[0] in flags:
        loc[0] = flags[loc[0]]
    place = ".".join(loc) or "the request"
    message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = item.get("input")
    kind = item["type"]
    if kind in ("string_too_long", "too_long"):
        size = len(value) if isinstance(value, (str, dict, list, tuple)) else 0
        unit = "characters" if isinstance(value, str) else "items"
        message = f"too long ({size} {unit})"
    elif kind in ("int_type", "int_parsing", "int_from_float", "bool_type", "bool_parsing"):
        message = f"{quoted(value)} is not accepted"
    elif kind == "string_pattern_mismatch":
        message = f"{quoted(value)} does not have the expected form"
    elif isinstance(value, str) and not value.strip() and "short" in kind:
        message = "must not be empty"
    accepted = _accepted(item)
    return f"{place}: {excerpt(message, 160)}" + (f" (accepted: {accepted})" if accepted else "")


def describe_validation_error(
    error: ValidationError,
    *,
    flags: Mapping[str, str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> str:
    """pydantic's findings as one short line: each field, what was wrong, what is accepted.

    `flags` names a top-level field by the option that filled it (``reviewer`` → ``--by``);
    `hints` says what a value of a field with a pattern (named as in `flags`) looks like.
    The input is never repeated beyond an excerpt.
    """
    return describe_findings(error.errors(include_url=False), flags=flags, hints=hints)


def describe_findings(
    items: Sequence[ErrorDetails],
    *,
    flags: Mapping[str, str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> str:
    """`describe_validation_error` for findings already listed (an HTTP request's body)."""
    parts = []
    for item in items[:MAX_FINDINGS]:
        part = _finding(item, flags)
        place = part.split(":", 1)[0]
        if hints and item["type"] == "string_pattern_mismatch" and place in hints:
            part = f"{place}: {quoted(item.get('input'))} is not {hints[place]}"
        parts.append(part)
    more = len(items) - MAX_FINDINGS
    if more > 0:
        parts.append(f"and {more} more")
    return bounded("; ".join(parts))


def describe_invalid_request(error: ValidationError) -> str:
    """The refusal of an Update whose argument does not fit its model, both languages."""
    return bounded(
        f"dữ liệu không hợp lệ / invalid {error.title}: {describe_validation_error(error)}"
    )
