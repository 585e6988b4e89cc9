"""The SMTP sink as a process of its own: `python -m benchmarks.sink_process MAILDIR PORTFILE`.

Listens on a free port on 127.0.0.1, writes the port into PORTFILE once it listens,
stores every message into MAILDIR, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from infra.mailsink import MailSink


async def serve(mail_dir: Path, port_file: Path) -> None:
    sink = MailSink(mail_dir, host="127.0.0.1", port=0)
    await sink.start()
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    await asyncio.to_thread(port_file.write_text, str(sink.port))
    try:
        await stopping.wait()
    finally:
        await sink.stop()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), Path(sys.argv[2])))
