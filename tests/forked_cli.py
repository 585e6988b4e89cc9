"""Run `ocop` many times, each call a process of its own, without paying its imports each time.

    python -m tests.forked_cli CALLS.json PARALLEL OUT_DIR > RESULTS.json

CALLS.json holds a list of argument lists (``[["status", "quang-ninh", "MO-1"], …]``).
This process imports the command line once (about 1.5 s of CPU on a small machine),
then forks one child per call, at most PARALLEL at a time. A child is what the `ocop`
console script would be from the moment its imports are done: it runs
``sys.exit(starter.main())`` with its own argv, its stdout and stderr going to files in
OUT_DIR, and ends however `main` ends it (before issue 9 was fixed: in the interpreter's
finalization, where the Temporal runtime's threads could crash it). Nothing here creates
a Temporal runtime, so every child starts its own, as a fresh `ocop` process does.

Printed on stdout: a JSON list, per call in order, of ``{"args", "code", "stdout",
"stderr"}`` where ``code`` is the exit status, or minus the signal that ended the child.
A child still running after ``CHILD_TIMEOUT_S`` is killed (SIGKILL: code -9).

Only on systems with ``os.fork`` (Linux, macOS).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

CHILD_TIMEOUT_S = 60.0


def child(args: list[str], out: Path, err: Path) -> NoReturn:
    """Become `ocop ARGS`: stdio to the files, then end as the console script would."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    sys.argv = ["ocop", *args]
    from starter import main

    # The console script's body. Its SystemExit, if any, leaves through every caller
    # (none of which has a `finally`) to the interpreter, which then finalizes.
    sys.exit(main())


def run(calls: list[list[str]], parallel: int, folder: Path) -> list[dict[str, Any]]:
    import starter  # noqa: F401  (the imports every child would otherwise repeat)

    results: list[dict[str, Any]] = [{} for _ in calls]
    running: dict[int, tuple[int, float]] = {}  # pid -> (call index, started)
    pending = list(enumerate(calls))
    pending.reverse()
    while pending or running:
        while pending and len(running) < parallel:
            index, args = pending.pop()
            out, err = folder / f"{index}.out", folder / f"{index}.err"
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(args, out, err)
            running[pid] = (index, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for other, (_, started) in running.items():
                if time.monotonic() - started > CHILD_TIMEOUT_S:
                    os.kill(other, signal.SIGKILL)
            time.sleep(0.005)
            continue
        index, _ = running.pop(pid)
        results[index] = {
            "args": calls[index],
            "code": os.waitstatus_to_exitcode(status),
            "stdout": (folder / f"{index}.out").read_text(errors="replace"),
            "stderr": (folder / f"{index}.err").read_text(errors="replace"),
        }
    return results


def main(argv: list[str]) -> int:
    calls_file, parallel, out_dir = argv
    calls = json.loads(Path(calls_file).read_text(encoding="utf-8"))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    results = run(calls, int(parallel), folder)
    json.dump(results, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
