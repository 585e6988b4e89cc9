"""What a fetched history says to someone who holds no payload key.

Every payload's data is read as it is stored (base64 of the encoded bytes), with a
payload this codec encrypted left as the ciphertext it is; failure messages and stack
traces are read as they are. What personal data shows up here is in clear in history.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from infra.payload_codec import is_encrypted


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "data" in node and "metadata" in node:  # a payload
            if not is_encrypted(node):
                yield base64.b64decode(node.get("data") or "").decode("utf-8", "replace")
            return
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def readable_without_key(history_json: str) -> str:
    """Every text of a history (its JSON form) that needs no key to read."""
    return "\n".join(_strings(json.loads(history_json)))


OPEN_BY_DESIGN = ("indexedFields", "patch-data")
"""Payloads Temporal itself must read: search attributes (to index them; they hold no
personal data, `contracts.case.SEARCH_ATTRIBUTES`) and the SDK's patch markers."""
LOCAL_ACTIVITY_META = ("markerRecordedEventAttributes", "details", "data")
"""The SDK's own note on a local activity's marker (which activity, which attempt, when);
its result beside it (`details/result`) goes through the codec like any payload."""


def _open_by_design(path: tuple[str, ...]) -> bool:
    if set(path) & set(OPEN_BY_DESIGN):
        return True
    named = tuple(part for part in path if not part.isdigit())
    return named[1:4] == LOCAL_ACTIVITY_META


def clear_payloads(history_json: str) -> list[str]:
    """Where the history holds a payload that is not encrypted (search attributes and
    patch markers aside), by event type and field."""
    found: list[str] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if "data" in node and "metadata" in node:
                if not is_encrypted(node) and not _open_by_design(path):
                    found.append("/".join(part for part in path if not part.isdigit()))
                return
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, str(index)))

    walk(json.loads(history_json), ())
    return found
