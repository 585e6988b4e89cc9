"""Running cases must survive every deploy: today's code replays the recorded histories.

The histories in tests/histories were recorded from the lifecycle tests (run them with
OCOP_RECORD_HISTORIES=1 to add more; a new recording is given a prefix, as `i12-signed-`
for the first ones whose human Updates carry signed actions). A change that would break
a running case fails here with a non-determinism error; guard such changes with
workflow.patched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from infra.temporal import DATA_CONVERTER
from worker import SANDBOX, WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
HISTORY_TEXT = {path: path.read_text(encoding="utf-8") for path in HISTORIES}


def test_histories_are_recorded_for_the_main_paths() -> None:
    names = " ".join(path.name for path in HISTORIES)
    for part in ("three_stars", "supplement", "ten_apart", "lapses", "revocation", "run2"):
        assert part in names, f"no recorded history covers {part!r}"
    # Updates carrying a signed assertion of their actor (issue 12): their handlers read
    # the claims again on replay, whatever keys the worker trusts by then.
    signed = [path.name for path in HISTORIES if path.name.startswith("i12-signed-")]
    for part in ("ten_apart", "revocation", "run2"):
        assert any(part in name for name in signed), f"no signed history covers {part!r}"


@pytest.mark.parametrize("history_file", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_recorded_history_replays_without_nondeterminism(history_file: Path) -> None:
    history = WorkflowHistory.from_json(history_file.stem, HISTORY_TEXT[history_file])
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER, workflow_runner=SANDBOX
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{history_file.name}: {result.replay_failure}"
