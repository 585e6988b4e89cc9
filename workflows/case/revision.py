"""Which revision of the case's logic a run follows: one patch for a run's whole logic.

Every `workflow.patched` call that is true costs a new run two history events (its marker
and an upsert of `TemporalChangeVersion`). A run that starts on this revision takes
`lean-round` once, at its start, and with it every change the earlier patches guarded;
a run begun before it replays as it was recorded, each older patch asked where it was.
"""

from __future__ import annotations

from temporalio import workflow

PATCH_LEAN_ROUND = "lean-round"
"""Register writes as local activities, search attributes upserted only on a change, and
every earlier patch of the case taken as given."""


def lean_round() -> bool:
    """True for a run that took this revision (the SDK remembers the answer for the run)."""
    return workflow.patched(PATCH_LEAN_ROUND)


def patched(patch_id: str) -> bool:
    """An earlier patch: given on a lean run, else asked as its history recorded it."""
    return lean_round() or workflow.patched(patch_id)
