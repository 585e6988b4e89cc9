"""Running cases must survive every deploy: today's code replays the recorded histories.

The histories in tests/histories were recorded from the lifecycle tests (run them with
OCOP_RECORD_HISTORIES=1 to add more; a new recording is given a prefix, as `i12-signed-`
for the first ones whose human Updates carry signed actions, `i13-encrypted-` for the
first whose payloads are encrypted). A change that would break a running case fails
here with a non-determinism error; guard such changes with workflow.patched.

The encrypted ones were recorded with OCOP_PAYLOAD_KEYS_FILE pointing at
`tests/fixtures/history-payload-keys.json`, a key made for them and for nothing else
(a stack's real keys are never in the repository). Replay decodes with a key set that
holds it and a newer key, as a stack does after a rotation; the older histories, from
before payloads were encrypted, pass through the codec unchanged.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from contracts.case import CLAIM_CERTIFICATE_NUMBER, RECORD_CASE_EVENT
from infra.payload_codec import EncryptionCodec, PayloadKeyError, PayloadKeys, new_key
from infra.temporal import encrypted_converter
from tests.factories import PRODUCER_EMAIL
from tests.plaintext import clear_payloads, readable_without_key
from worker import SANDBOX, WORKFLOWS

HERE = Path(__file__).parent
HISTORIES = sorted((HERE / "histories").glob("*.json"))
HISTORY_TEXT = {path: path.read_text(encoding="utf-8") for path in HISTORIES}
ENCRYPTED = [path for path in HISTORIES if path.name.startswith("i13-encrypted-")]
LEAN = [path for path in HISTORIES if path.name.startswith("i15-lean-")]
RECORDED_UNDER = PayloadKeys.load(HERE / "fixtures" / "history-payload-keys.json")
ROTATED = PayloadKeys((*RECORDED_UNDER.keys, new_key()))  # a newer key encrypts now


def replayer(keys: PayloadKeys) -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS), data_converter=encrypted_converter(keys), workflow_runner=SANDBOX
    )


def test_histories_are_recorded_for_the_main_paths() -> None:
    names = " ".join(path.name for path in HISTORIES)
    for part in ("three_stars", "supplement", "ten_apart", "lapses", "revocation", "run2"):
        assert part in names, f"no recorded history covers {part!r}"
    # Updates carrying a signed assertion of their actor (issue 12): their handlers read
    # the claims again on replay, whatever keys the worker trusts by then.
    signed = [path.name for path in HISTORIES if path.name.startswith("i12-signed-")]
    for part in ("ten_apart", "revocation", "run2"):
        assert any(part in name for name in signed), f"no signed history covers {part!r}"
    encrypted = " ".join(path.name for path in ENCRYPTED)
    for part in ("revocation", "run2"):
        assert part in encrypted, f"no encrypted history covers {part!r}"


@pytest.mark.parametrize("history_file", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_recorded_history_replays_without_nondeterminism(history_file: Path) -> None:
    history = WorkflowHistory.from_json(history_file.stem, HISTORY_TEXT[history_file])
    result = await replayer(ROTATED).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{history_file.name}: {result.replay_failure}"


@pytest.mark.parametrize("history_file", ENCRYPTED, ids=[path.stem for path in ENCRYPTED])
def test_an_encrypted_history_keeps_no_personal_data_in_clear(history_file: Path) -> None:
    text = HISTORY_TEXT[history_file]
    assert clear_payloads(text) == []
    readable = readable_without_key(text)
    for personal in (PRODUCER_EMAIL, "HTX Hợp Tiến", "Mật ong rừng Bình Liêu"):
        assert personal not in readable, f"{personal!r} in clear in {history_file.name}"
    # The same kind of history before the codec: the producer's email in clear.
    before = HERE / "histories" / history_file.name.removeprefix("i13-encrypted-")
    assert PRODUCER_EMAIL in readable_without_key(HISTORY_TEXT[before])


async def test_a_history_needs_the_key_it_was_written_under() -> None:
    [history_file, *_] = ENCRYPTED
    history = WorkflowHistory.from_json(history_file.stem, HISTORY_TEXT[history_file])
    # A key set from which the recording's key was retired: nothing decodes, and the
    # codec says which key it needs.
    retired = PayloadKeys((new_key(),))
    result = await replayer(retired).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    started = history.events[0].workflow_execution_started_event_attributes
    with pytest.raises(PayloadKeyError, match=RECORDED_UNDER.newest[0]):
        await EncryptionCodec(retired).decode(list(started.input.payloads))


@pytest.mark.parametrize("history_file", LEAN, ids=[path.stem for path in LEAN])
def test_a_lean_run_writes_its_register_locally_and_patches_once(history_file: Path) -> None:
    """A run on the lean revision: no register write scheduled through the server, one
    patch marker for the run, and no search-attribute upsert that changes nothing."""
    events = WorkflowHistory.from_json(history_file.stem, HISTORY_TEXT[history_file]).events
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert not {RECORD_CASE_EVENT.name, CLAIM_CERTIFICATE_NUMBER.name} & set(scheduled)
    markers = [
        e.marker_recorded_event_attributes
        for e in events
        if e.HasField("marker_recorded_event_attributes")
    ]
    patches = [m for m in markers if m.marker_name == "core_patch"]
    assert len(patches) == 1, f"{len(patches)} patch markers"
    assert any(m.marker_name == "core_local_activity" for m in markers)
    upserts = [
        dict(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for e in events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    ours = [
        {key: value.data for key, value in fields.items()}
        for fields in upserts
        if "TemporalChangeVersion" not in fields
    ]
    assert all(before != after for before, after in itertools.pairwise(ours))
