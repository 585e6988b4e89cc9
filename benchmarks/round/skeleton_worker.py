"""The skeleton's worker as a process of its own:
`python -m benchmarks.round.skeleton_worker FOLDER ADDRESS QUEUE`.

Its payloads go through the same encrypted converter as the project's (the folder's
payload keys), so the skeleton pays for the codec as the project does."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from benchmarks.round.skeleton import RoundSkeleton, noop
from infra.payload_codec import PayloadKeys
from infra.temporal import encrypted_converter


async def serve(folder: Path, address: str, queue: str) -> None:
    keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
    client = await Client.connect(address, data_converter=encrypted_converter(keys))
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with Worker(client, task_queue=queue, workflows=[RoundSkeleton], activities=[noop]):
        await stopping.wait()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
