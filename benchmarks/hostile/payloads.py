"""Malformed and oversized versions of valid Update payloads.

Each hostile input starts from a payload the system would accept and breaks one place
in it, the way a careless or malicious client would: a 3 MB string, 100k characters, a
bidi override, a zero-width space, a byte-order mark, a control character, a boolean,
a string or a float where points are counted, a null, the wrong container, a list of
16,000 items, an unknown field, or a payload that is not an object at all. The choice
is driven by a `random.Random`, so the probe replays a seed and the fuzz test lets
hypothesis drive (and shrink) it through `st.randoms()`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]
JSON = Any

OVERSIZED_BYTES = 3_000_000
LONG_CHARACTERS = 100_000
HUGE_LIST_ITEMS = 16_000
UNKNOWN_FIELD = "unexpected_field"


@dataclass(frozen=True, repr=False)
class HostileInput:
    """One hostile payload for one Update, and the field its refusal must name."""

    update: str
    kind: str
    payload: JSON
    field: str | None
    """The field a clear refusal names; None when the payload is not an object at all."""

    def describe(self) -> str:
        return f"{self.update}: {self.kind} at {self.field or 'the whole payload'}"

    def __repr__(self) -> str:  # the payload may be megabytes
        return f"HostileInput({self.describe()})"


def _strings(rng: random.Random) -> dict[str, Callable[[], JSON]]:
    return {
        "oversized": lambda: "x" * OVERSIZED_BYTES,
        "long": lambda: "Đ" * LONG_CHARACTERS,
        "bidi_override": lambda: "HTX Hợp Tiến\u202egnp.exe",
        "bidi_isolate": lambda: "\u2067Mật ong\u2069",
        "zero_width": lambda: "Mật\u200bong",
        "byte_order_mark": lambda: "\ufeffHTX Hợp Tiến",
        "control": lambda: f"Mật ong{chr(rng.choice([0, 7, 8, 27, 127]))}rừng",
        "header_injection": lambda: "Mật ong\r\nBcc: victim@example.vn",
    }


def _scalars() -> dict[str, Callable[[], JSON]]:
    return {
        "bool": lambda: True,
        "numeric_string": lambda: "12",
        "float": lambda: 12.0,
        "negative": lambda: -1,
        "huge_int": lambda: 10**30,
        "null": lambda: None,
        "object": lambda: {"nested": {"deeper": ["x"]}},
        "list": lambda: [1, "two", None],
    }


def _places(value: JSON, path: Path = ()) -> Iterator[Path]:
    """Every place in a JSON value that a client could break, the root excepted."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _places(item, (*path, index))


def _field(path: Path) -> str | None:
    """The nearest named field of a place (a list item is named by its list)."""
    names = [part for part in path if isinstance(part, str)]
    return names[-1] if names else None


def _replace(payload: JSON, path: Path, value: JSON) -> JSON:
    broken = copy.deepcopy(payload)
    target = broken
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return broken


def _at(payload: JSON, path: Path) -> JSON:
    for part in path:
        payload = payload[part]
    return payload


def hostile_input(update: str, base: dict[str, JSON], rng: random.Random) -> HostileInput:
    """One broken version of `base` (a valid payload of `update`)."""
    places = list(_places(base))
    strings, scalars = _strings(rng), _scalars()
    shape = rng.choice(["string", "string", "scalar", "scalar", "list", "unknown", "root"])
    if shape == "root":
        kind = rng.choice(["not_an_object", "empty_object", "array", "huge_array"])
        whole: dict[str, JSON] = {
            "not_an_object": "x" * rng.choice([10, OVERSIZED_BYTES]),
            "empty_object": {},
            "array": [base],
            "huge_array": [base] * 2_000,
        }
        payload = whole[kind]
        return HostileInput(
            update, kind, payload, _required_field(base) if kind == "empty_object" else None
        )
    if shape == "unknown":
        dicts = [()] + [p for p in places if isinstance(_at(base, p), dict)]
        path = rng.choice(dicts)
        broken = copy.deepcopy(base)
        _at(broken, path)[UNKNOWN_FIELD] = "x" * rng.choice([5, LONG_CHARACTERS])
        return HostileInput(update, "unknown_field", broken, UNKNOWN_FIELD)
    if shape == "list":
        lists = [p for p in places if isinstance(_at(base, p), list)]
        if lists:
            path = rng.choice(lists)
            items = _at(base, path)
            filler = items[0] if items else "x"
            return HostileInput(
                update, "huge_list", _replace(base, path, [filler] * HUGE_LIST_ITEMS), _field(path)
            )
    if shape == "string":
        candidates = [p for p in places if isinstance(_at(base, p), str)]
        table = strings
    else:
        candidates = [p for p in places if isinstance(_at(base, p), (int, float, bool))]
        table = scalars
    path = rng.choice(candidates or places)
    kind = rng.choice(sorted(table))
    return HostileInput(update, kind, _replace(base, path, table[kind]()), _field(path))


def _required_field(base: dict[str, JSON]) -> str | None:
    return next(iter(base), None)
