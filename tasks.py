"""Bootstrap for a fresh machine: `python3 tasks.py demo` or `python3 tasks.py test`.

Only the standard library is used here, because this runs before anything is installed.
It creates (or reuses) `.venv`, installs the project into it when `pyproject.toml`
changed since the last install, then runs the requested job inside it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".ocop-install-stamp"


def _install_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _install_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    print("Installing ocop-flow and its dependencies into .venv (about a minute) ...", flush=True)
    log = VENV / "install.log"
    with log.open("w", encoding="utf-8") as out:
        for step in (["--upgrade", "pip"], ["-e", f"{ROOT}[embedded,test]"]):
            command = [str(BIN / "python"), "-m", "pip", "install", "--progress-bar", "off", *step]
            if _with_progress(command, out, log) != 0:
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
                print("\n".join(tail), file=sys.stderr)
                print(f"error: the install failed; the whole log is in {log}", file=sys.stderr)
                raise SystemExit(1)
    print("Installed.", flush=True)
    STAMP.write_text(fingerprint)


def _with_progress(command: list[str], out: IO[str], log: Path) -> int:
    """Run pip into the log; show what it is at: a live line on a terminal, else a line
    every 15 s, so a first install never looks hung."""
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    started = time.monotonic()
    terminal = sys.stdout.isatty()
    frames, frame, last_report = "|/-\\", 0, started
    while process.poll() is None:
        time.sleep(0.2)
        elapsed = time.monotonic() - started
        if terminal:
            doing = _last_step(log)[:60]
            print(f"\r  {frames[frame % 4]} {elapsed:4.0f} s  {doing:<60}", end="", flush=True)
            frame += 1
        elif time.monotonic() - last_report >= 15:
            print(f"  ... still installing ({elapsed:.0f} s): {_last_step(log)}", flush=True)
            last_report = time.monotonic()
    if terminal:
        print("\r" + " " * 72 + "\r", end="", flush=True)
    return process.returncode


def _last_step(log: Path) -> str:
    """pip's latest 'Collecting …' / 'Installing …' line."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith(("Collecting", "Installing", "Building", "Processing", "Requirement")):
            text = line.strip()
            return text if len(text) <= 90 else text[:87].rsplit(", ", 1)[0] + ", …"
    return ""


BROWSER_PACKAGES = ("chromium", "fonts-dejavu-core")


def ensure_browser() -> None:
    """Debian's chromium for the portal's browser tests: found on the PATH (or named by
    OCOP_CHROMIUM), else installed with apt when running as root. Without it the
    browser tests say why they are skipped (or fail, where OCOP_REQUIRE_BROWSER is set)."""
    if os.environ.get("OCOP_CHROMIUM") or shutil.which("chromium"):
        return
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print("note: no chromium here; the browser tests will say so", flush=True)
        return
    print("Installing Debian's chromium for the browser tests (apt-get) ...", flush=True)
    log = VENV / "apt.log"
    with log.open("w", encoding="utf-8") as out:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for step in (["update"], ["install", "-y", "--no-install-recommends", *BROWSER_PACKAGES]):
            if subprocess.run(
                [apt, *step], stdout=out, stderr=subprocess.STDOUT, env=env
            ).returncode:
                print(f"note: apt-get {step[0]} failed (see {log}); the browser tests will say so")
                return


def run(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint", "install"}:
        print("usage: python3 tasks.py {demo|test|lint|install} [extra arguments]")
        return 2
    job, extra = argv[0], argv[1:]
    ensure_venv()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if job == "install":
        return 0
    if job == "demo":
        command = [str(BIN / "ocop"), "demo", *extra]
    elif job == "test":
        ensure_browser()
        command = [str(BIN / "python"), "-m", "pytest", *extra]
    else:
        for tool in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]):
            code = subprocess.run([str(BIN / tool[0]), *tool[1:]], cwd=ROOT, env=env).returncode
            if code:
                return code
        return 0
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
