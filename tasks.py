"""Bootstrap for a fresh machine: `python3 tasks.py demo` or `python3 tasks.py test`.

Only the standard library is used here, because this runs before anything is installed.
It creates (or reuses) `.venv`, installs the project into it when `pyproject.toml`
changed since the last install, then runs the requested job inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

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
    print("Installing ocop-flow and its dependencies into .venv ...", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        check=True,
    )
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"],
        check=True,
    )
    STAMP.write_text(fingerprint)


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
        command = [str(BIN / "python"), "-m", "pytest", *extra]
    else:
        for tool in (["ruff", "check", "."], ["mypy", "."]):
            code = subprocess.run([str(BIN / tool[0]), *tool[1:]], cwd=ROOT, env=env).returncode
            if code:
                return code
        return 0
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
