"""What encrypting payloads costs a worker, per evaluation round, against not encrypting.

The recorded rounds written with the codec (`tests/histories/i13-encrypted-test_…`, under
the test-only key of `tests/fixtures/history-payload-keys.json`) are each turned into a
plain twin: the same events, every payload decrypted in place. A worker that picks a
case up again replays its history, decoding every payload in it: the benchmark replays
each twin with the converter without codec (the baseline) and the encrypted original
with the codec, alternately, in the same process run, and prints the median time per
replay and the ratio. It
then times what the codec alone does to one round's payloads: encrypting them all (what
the worker and clients do as the round is written) and decrypting them all.

    .venv/bin/python -m benchmarks.payload_codec            # 30 replays of each
    .venv/bin/python -m benchmarks.payload_codec --repeat 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import temporalio
from google.protobuf.message import Message as ProtoMessage
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from infra.payload_codec import EncryptionCodec, PayloadKeys, is_encrypted
from infra.temporal import DATA_CONVERTER, encrypted_converter
from worker import SANDBOX, WORKFLOWS

ROOT: Final = Path(__file__).resolve().parent.parent
HISTORIES: Final = ROOT / "tests" / "histories"
KEYS_FILE: Final = ROOT / "tests" / "fixtures" / "history-payload-keys.json"
PREFIX: Final = "i13-encrypted-"


async def pairs(codec: EncryptionCodec) -> list[tuple[str, WorkflowHistory, WorkflowHistory]]:
    """(round, its plain twin, as recorded with the codec) for each encrypted recording."""
    found = []
    for path in sorted(HISTORIES.glob(f"{PREFIX}*.json")):
        name = path.stem.removeprefix(PREFIX).removeprefix("test_")
        text = path.read_text(encoding="utf-8")
        encrypted = WorkflowHistory.from_json(name, text)
        twin = WorkflowHistory.from_json(name, text)
        sealed = payloads_of(twin)
        for payload, opened in zip(sealed, await codec.decode(sealed), strict=True):
            payload.CopyFrom(opened)
        found.append((name, twin, encrypted))
    if not found:
        raise SystemExit(f"no {PREFIX}* histories in {HISTORIES}")
    return found


async def replay_once(replayer: Replayer, history: WorkflowHistory) -> float:
    started = time.perf_counter()
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    if result.replay_failure is not None:
        raise SystemExit(f"{history.workflow_id}: {result.replay_failure}")
    return time.perf_counter() - started


async def replay_medians(
    plain: WorkflowHistory, encrypted: WorkflowHistory, with_codec: DataConverter, repeat: int
) -> tuple[float, float]:
    """Median seconds of one replay of each, taken alternately (the machine's drift falls
    on both)."""
    without = Replayer(
        workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER, workflow_runner=SANDBOX
    )
    coded = Replayer(workflows=list(WORKFLOWS), data_converter=with_codec, workflow_runner=SANDBOX)
    baseline, measured = [], []
    for _ in range(repeat):
        baseline.append(await replay_once(without, plain))
        measured.append(await replay_once(coded, encrypted))
    return statistics.median(baseline), statistics.median(measured)


def payloads_of(history: WorkflowHistory) -> list[Payload]:
    """Every encrypted payload of a history (what the codec decodes on replay)."""
    found: list[Payload] = []

    def walk(message: object) -> None:
        if isinstance(message, Payload):
            if is_encrypted(message):
                found.append(message)
            return
        for descriptor, value in message.ListFields():  # type: ignore[attr-defined]
            if descriptor.message_type is None:
                continue
            if isinstance(value, ProtoMessage):
                walk(value)
            else:  # repeated, or a map (its values)
                for item in value.values() if hasattr(value, "values") else value:
                    walk(item)

    for event in history.events:
        walk(event)
    return found


async def codec_seconds(
    codec: EncryptionCodec, sealed: Sequence[Payload], repeat: int
) -> tuple[float, float, int]:
    """Median seconds to decrypt, then encrypt again, one round's payloads; their bytes."""
    opened = await codec.decode(sealed)
    decode_times, encode_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        await codec.decode(sealed)
        decode_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        await codec.encode(opened)
        encode_times.append(time.perf_counter() - started)
    size = sum(payload.ByteSize() for payload in opened)
    return statistics.median(decode_times), statistics.median(encode_times), size


async def main(options: argparse.Namespace) -> None:
    keys = PayloadKeys.load(KEYS_FILE)
    with_codec = encrypted_converter(keys)
    codec = EncryptionCodec(keys)
    print(
        f"ocop-flow payload codec: temporalio {temporalio.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {options.repeat} replays each "
        "(median)"
    )
    print()
    print(f"{'round (recorded test)':<58} {'plain ms':>9} {'codec ms':>9} {'ratio':>6}")
    ratios = []
    recorded = await pairs(codec)
    for name, plain, encrypted in recorded:
        baseline, coded = await replay_medians(plain, encrypted, with_codec, options.repeat)
        ratio = coded / baseline
        ratios.append(ratio)
        print(f"{name[-58:]:<58} {baseline * 1000:>9.1f} {coded * 1000:>9.1f} {ratio:>6.2f}")
    print(f"\nreplay with the codec / without: median ratio {statistics.median(ratios):.2f}")
    print()
    for name, _, encrypted in recorded:
        sealed = payloads_of(encrypted)
        decode, encode, size = await codec_seconds(codec, sealed, options.repeat)
        print(
            f"{name[-58:]}: {len(sealed)} payloads, {size / 1024:.0f} KiB — decrypt "
            f"{decode * 1000:.2f} ms, encrypt {encode * 1000:.2f} ms"
        )


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=30, help="replays of each history")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
