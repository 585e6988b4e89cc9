"""The SMTP sink as a process of its own: `python -m benchmarks.sink_process MAILDIR PORTFILE`.

Listens on a free port on 127.0.0.1, writes the port into PORTFILE once it listens,
stores every message into MAILDIR, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import mailbox
import signal
import sys
from collections import Counter
from pathlib import Path

from activities.mailer import EVENT_HEADER
from infra.mailsink import MailSink


def delivered(mail_dir: Path) -> tuple[Counter[str], int]:
    """What the sink holds: messages by kind (their event header), and how many arrived
    more than once (the same Message-ID again)."""
    messages = list(mailbox.Maildir(mail_dir, create=False))
    ids = Counter(str(message["Message-ID"]) for message in messages)
    kinds = Counter(str(message[EVENT_HEADER]) for message in messages)
    return kinds, sum(n - 1 for n in ids.values())


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
