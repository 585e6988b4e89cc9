"""What a person typed, as the values a case's Update takes; bad input is exit 2.

Options name model fields (`FLAGS`), so a value the models refuse is one line naming the
option that carried it; choices and dates are read the way people write them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

from cli.common import EXIT_BAD_INPUT, fail, validated

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)


# Model fields as the options that fill them, so a refusal names what the user typed.
FLAGS = {
    "reason": "--reason",
    "documents_requested": "--document",
    "level": "--level",
    "authority": "--authority",
    "decision_number": "--decision",
    "decided_on": "--date",
    "certificate_number": "--certificate",
    "grounds": "--grounds",
    "details": "--details",
    "cycle_year": "--year",
}
PATTERN_HINTS = {
    "--decision": "a decision number such as 125/QĐ-UBND (letters, digits, . / - and spaces)",
    "--certificate": "a certificate number such as QN-OCOP-0215 (letters, digits, . / - and "
    "spaces)",
}


def bad_input(message: str) -> NoReturn:
    fail(message, EXIT_BAD_INPUT)


def no_extra(positionals: Sequence[str], command: str) -> None:
    if positionals:
        what = "argument" if len(positionals) == 1 else "arguments"
        bad_input(
            f"unexpected {what} {' '.join(positionals)!r}; "
            f"see `ocop {command} --help` for what it takes"
        )


def choice(enum: type[E], value: str, flag: str, *, hyphens: bool = False) -> E:
    """An enum member from what a person typed (either - or _); else the accepted values."""
    key = value.strip().lower().replace("-", "_")
    for member in enum:
        if member.value == key:
            return member
    shown = [m.value.replace("_", "-") if hyphens else m.value for m in enum]
    bad_input(f"{flag}: {value!r} is not accepted; accepted values: {', '.join(shown)}")


def parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        bad_input(f"{flag}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-15")


def build(model: type[M], data: Mapping[str, Any], where: str = "") -> M:
    """`data` as a model; what is wrong is one line naming the options the user typed
    (or, for a file's fields, the file and the fields)."""
    return validated(model, data, where, flags=None if where else FLAGS, hints=PATTERN_HINTS)
