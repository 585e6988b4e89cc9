"""`ocop admin keys`: the key file that signs people's actions — create, rotate, retire.

The API signs each person's action with the newest key; workers verify with every key
in the file, read when they start. Rotate, restart the workers (they now trust the new
key too), then the API; retire an old key once nothing signed with it can still be on
its way (an assertion is valid for 10 minutes).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import EXIT_BAD_INPUT, console, fail, settings
from infra.action_keys import ActionKeyError, ActionKeys

keys_app = typer.Typer(
    help="The key file that signs people's actions (OCOP_ACTION_KEYS_FILE).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _loaded() -> ActionKeys:
    try:
        return ActionKeys.load(settings().action_keys_path)
    except ActionKeyError as error:
        fail(str(error), EXIT_BAD_INPUT)


def _show(keys: ActionKeys, what: str) -> None:
    ids = keys.key_ids
    console.print(
        f"{what}: {keys.path} — {len(ids)} key(s), signing with {ids[-1]}; "
        f"verifying with {', '.join(ids)}",
        highlight=False,
    )


@keys_app.command("init")
def init() -> None:
    """Create the key file if it is missing (mode 0600); an existing one is kept."""
    path = settings().action_keys_path
    existed = path.exists()
    try:
        keys = ActionKeys.load_or_create(path)
    except (ActionKeyError, OSError) as error:
        fail(str(error), EXIT_BAD_INPUT)
    _show(keys, "kept" if existed else "created")


@keys_app.command("list")
def list_keys() -> None:
    """The key ids, newest (the signing one) last."""
    _show(_loaded(), "keys")


@keys_app.command("rotate")
def rotate() -> None:
    """Add a new signing key; the others keep verifying until retired."""
    keys = _loaded().rotated()
    keys.save()
    _show(keys, "rotated")


@keys_app.command("retire")
def retire(kid: Annotated[str, typer.Argument(help="The key id to retire.")]) -> None:
    """Remove a key: actions it signed are refused once the workers restart."""
    try:
        keys = _loaded().retired(kid)
    except ActionKeyError as error:
        fail(str(error), EXIT_BAD_INPUT)
    keys.save()
    _show(keys, "retired " + kid)
