"""When a case counts as frozen, and when an operator may unfreeze it.

A case is frozen when its pending workflow task keeps failing: it then answers no query
and takes no Update. One lost worker makes a second attempt; a task that fails every
time soon makes a third. The usual cause is an Update over Temporal's 2 MB payload limit
sent by a client other than ocop's: the SDK echoes the request in its answer, which
the server refuses, so no answer the workflow could give gets through. Such a request
lives only in the server's memory, never in history, so resetting the case to its last
completed workflow task drops it and keeps everything the case had decided.
"""

from __future__ import annotations

from typing import Final

FROZEN_AFTER: Final = 3
"""The attempt of a pending workflow task from which the case is taken as frozen."""


def is_frozen(pending_task_attempt: int | None, frozen_after: int = FROZEN_AFTER) -> bool:
    """Whether a case whose pending workflow task is on this attempt is frozen (None: none)."""
    return pending_task_attempt is not None and pending_task_attempt >= frozen_after


def unfreeze_refusal(running: bool, pending_task_attempt: int | None) -> str | None:
    """Why an operator may not reset this case to unfreeze it, or None when they may."""
    if not running:
        return "the case has ended: there is nothing to unfreeze"
    if not is_frozen(pending_task_attempt):
        attempt = pending_task_attempt or 0
        return (
            "the case is not frozen (its pending workflow task is on attempt "
            f"{attempt}; frozen from attempt {FROZEN_AFTER}): it answers as it is"
        )
    return None
