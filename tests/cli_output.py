"""What an `ocop` command run through Typer's CliRunner must have printed.

Every command either succeeds (exit 0, its answer on stdout) or is refused: exit 1
(refused) or 2 (bad input), nothing on stdout and exactly one line on stderr,
`error: …`, naming why. Fragments are matched with whitespace collapsed, since a
table or a long line may wrap where the terminal width puts it.
"""

from __future__ import annotations

from typer.testing import Result


def _flat(text: str) -> str:
    return " ".join(text.split())


def ok(result: Result, *fragments: str) -> str:
    """Exit 0 and every fragment printed; the output, for further checks."""
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    seen = _flat(result.stdout)
    for fragment in fragments:
        assert _flat(fragment) in seen, f"{fragment!r} not in:\n{result.stdout}"
    return result.stdout


def refused(result: Result, code: int, *fragments: str) -> str:
    """Exit `code`, nothing on stdout and one `error: …` line on stderr; that line."""
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    assert result.stdout == "", f"printed before failing:\n{result.stdout}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in: {lines[0]}"
    return lines[0]
