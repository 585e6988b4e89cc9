"""A demo stopped halfway with Ctrl-C leaves nothing behind that could act later.

`ocop demo` runs as a person starts it, in its own process with its own dev server; it
is interrupted once its first dossiers are in. It must say that it terminated its
rehearsal's workflows, exit 130, and the next `ocop dev up` on the same data folder
must find none of them running: nothing of the abandoned run can send an overdue
letter later.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from cli.dev import READY_LINE
from tests.test_devstack import ROOT, _cleanup, _read_until, _settings, _stack_env

pytestmark = pytest.mark.devserver

DEMO = [sys.executable, "-m", "starter", "demo"]
DEV_UP = [sys.executable, "-m", "starter", "dev", "up"]
DOSSIERS_BEFORE_CTRL_C = 4


def _as_in_a_terminal() -> None:
    """Ctrl-C reaches the demo as it does a command in the foreground of a terminal.

    A suite started in the background of a non-interactive shell (`.ci/run &`) runs
    with SIGINT ignored, and children inherit that; Python then installs no handler
    and the demo would rightly ignore the signal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(240)
async def test_an_interrupted_demo_terminates_its_workflows(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    env = _stack_env(settings)
    demo = await asyncio.create_subprocess_exec(
        *DEMO,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_as_in_a_terminal,
    )
    assert demo.stdout is not None
    try:
        seen = ""
        for _ in range(DOSSIERS_BEFORE_CTRL_C):
            seen = await _read_until(demo.stdout, "submitted by")
        demo.send_signal(signal.SIGINT)
        out, err = await demo.communicate()
    finally:
        await _cleanup(demo, settings.temporal_port)
    told = err.decode()
    assert demo.returncode == 130, told
    assert "Terminated the" in told and "running workflows of the abandoned rehearsal" in told
    assert "interrupted" in told
    assert "submitted by" in seen + out.decode()

    # The next `ocop dev up` on the same data folder: the rehearsal's workflows are there,
    # and none of them runs, so none can wake and write.
    stack = await asyncio.create_subprocess_exec(
        *DEV_UP,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert stack.stdout is not None
    try:
        await _read_until(stack.stdout, READY_LINE)
        client = await Client.connect(settings.temporal_address, namespace="default")
        found = [w async for w in client.list_workflows()]
        assert len(found) >= DOSSIERS_BEFORE_CTRL_C + 1  # the cycle and its cases
        still_running = [w.id for w in found if w.status == WorkflowExecutionStatus.RUNNING]
        assert still_running == []
        assert {w.status for w in found} <= {
            WorkflowExecutionStatus.TERMINATED,
            WorkflowExecutionStatus.COMPLETED,
        }
    finally:
        stack.send_signal(signal.SIGINT)
        await asyncio.wait_for(stack.communicate(), timeout=60)
        await _cleanup(stack, settings.temporal_port)
