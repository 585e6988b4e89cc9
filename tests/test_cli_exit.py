"""Every `ocop` command ends with its own exit status (issue 9).

About 1–6 % of `ocop` processes used to abort (SIGABRT, sometimes SIGSEGV) after printing
their whole answer, while the interpreter finalized: a Temporal SDK thread still needed
the GIL (see cli.process). The crash needs a fresh process per call, so the calls here
are processes: a few hundred forked by `tests.forked_cli` from one that imported the
command line once (each child runs the console script's `main` with its own argv and
ends however `main` ends it), and two through the installed `ocop` script itself.

The stack is the one of test_cli_case (dev server, worker, SQLite register, SMTP); one
case awaits district scorecards. Most calls are `ocop score` (its short answer leaves
the SDK's thread the least time, so it crashed most often), the others `ocop status
--json` and a `status` of a case that does not exist, which must still fail with exit 1
and its one line. Before the fix, this test found 17 of its 300 calls aborted (and took
2 minutes: finalizing a forked child costs more than the call); now it takes about 30 s
on 2 quiet cores, 60 s in the whole suite on a machine shared with other jobs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from contracts.case import product_workflow_id
from tests.cli_output import ok
from tests.test_cli_case import EXAMPLES, PRODUCER, PROVINCE, REVIEWER, CliWorld, code
from tests.test_cli_case import world as world  # the fixture, for the tests here

ROOT = Path(__file__).resolve().parent.parent
CALLS = 300
PARALLEL = 3  # on 2 cores: keeps both busy, so the SDK's threads wait for CPU as in a script
DRIVER_TIMEOUT_S = 200.0  # 30–60 s on 2 cores; the test's own limit (240 s) is above it

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a process per call")


async def awaiting_scores(world: CliWorld) -> str:
    """A case in district council scoring (opened, supplied and accepted): its code."""
    product = code()
    at = (PROVINCE, product)
    ok(await world.ocop("open", str(world.case_file(product))))
    ok(
        await world.ocop(
            "review", *at, "request-supplement", "--reason", "Thiếu kiểm nghiệm", who=REVIEWER
        )
    )
    results = world.folder / "phieu-kiem-nghiem.pdf"
    results.write_bytes(b"%PDF-1.7 phieu ket qua kiem nghiem mat ong" * 100)
    ok(await world.ocop("supply", *at, str(results), "--kind", "test-results", who=PRODUCER))
    ok(await world.ocop("review", *at, "accept", who=REVIEWER), "council scoring")
    return product


def calls_for(product: str) -> list[tuple[list[str], int]]:
    """Each call's arguments and the exit status it must end with."""
    scorecard = str(EXAMPLES / "scorecard-district-chair.yaml")
    calls: list[tuple[list[str], int]] = []
    for index in range(CALLS):
        if index % 10 == 9:
            calls.append((["status", PROVINCE, "MO-NOT-OPENED"], 1))
        elif index % 10 in (3, 6):
            calls.append((["status", PROVINCE, product, "--json"], 0))
        else:
            calls.append((["score", PROVINCE, product, scorecard], 0))
    return calls


def problems(args: list[str], expected: int, result: dict[str, Any], product: str) -> str:
    """What is wrong with how one call ended ('' when nothing is)."""
    code, out, err = result["code"], result["stdout"], result["stderr"]
    if "Fatal Python error" in err or code != expected:
        return f"exit {code}, expected {expected}: {err.strip()[:300] or '(no stderr)'}"
    if expected == 1:
        lines = err.strip().splitlines()
        wanted = "error: no case exists for product MO-NOT-OPENED"
        return "" if len(lines) == 1 and lines[0].startswith(wanted) else f"stderr: {err!r}"
    if args[0] == "score":
        return "" if "scorecard in for session attempt 1" in out else f"stdout: {out!r}"
    try:
        workflow_id = json.loads(out)["workflow_id"]
    except (ValueError, KeyError, TypeError):
        return f"stdout: {out!r}"
    return "" if workflow_id == product_workflow_id(PROVINCE, product) else f"stdout: {out!r}"


@pytest.mark.devserver
@pytest.mark.timeout(240)
async def test_hundreds_of_ocop_processes_end_with_their_own_exit_status(
    world: CliWorld, tmp_path: Path
) -> None:
    product = await awaiting_scores(world)
    calls = calls_for(product)
    calls_file = tmp_path / "calls.json"
    calls_file.write_text(json.dumps([args for args, _ in calls]), encoding="utf-8")
    driver = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.forked_cli",
        str(calls_file),
        str(PARALLEL),
        str(tmp_path / "calls"),
        cwd=ROOT,
        # The chair's token: each `score` goes through the API as the chair.
        env={
            **os.environ,
            **world.env,
            "OCOP_TOKEN": world.api.token("bl-chair"),
            "COLUMNS": "200",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(driver.communicate(), DRIVER_TIMEOUT_S)
    except TimeoutError:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the calls it forked
        await driver.wait()
        pytest.fail(f"{CALLS} calls did not end within {DRIVER_TIMEOUT_S:.0f} s")
    assert driver.returncode == 0, err.decode()
    results = json.loads(out)

    wrong = [
        f"{' '.join(args)}: {problem}"
        for (args, expected), result in zip(calls, results, strict=True)
        if (problem := problems(args, expected, result, product))
    ]
    assert not wrong, f"{len(wrong)} of {len(calls)} calls ended wrongly:\n" + "\n".join(wrong[:10])


@pytest.mark.devserver
async def test_the_ocop_script_ends_with_the_commands_status(world: CliWorld) -> None:
    """The installed console script itself: an answer is exit 0, a refusal exit 1."""
    product = await awaiting_scores(world)
    ocop = Path(sys.executable).parent / "ocop"
    for args, expected in (
        (["status", PROVINCE, product, "--json"], 0),
        (["status", PROVINCE, "MO-NOT-OPENED"], 1),
    ):
        process = await asyncio.create_subprocess_exec(
            str(ocop),
            *args,
            env={**os.environ, **world.env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        result = {"code": process.returncode, "stdout": out.decode(), "stderr": err.decode()}
        assert problems(args, expected, result, product) == ""
