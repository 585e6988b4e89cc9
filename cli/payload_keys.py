"""`ocop admin payload-keys`: the keys that encrypt what Temporal keeps — create, rotate,
retire.

Every process encrypts new payloads with the newest key and decrypts with any key of
the set, read when it connects. To change keys with nothing unreadable on the way:
`stage` (a new key that only decrypts), restart every process that holds the set
(workers, the API with its codec server), `promote` it, restart them again. (`rotate`
does both at once: until every process has restarted, one still on the old set cannot
read what the restarted ones wrote.) Retire an old key only when no history kept for
its retention holds payloads under it — they would no longer decode.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import EXIT_BAD_INPUT, console, fail, settings
from infra.payload_codec import PayloadKeyError, PayloadKeys

payload_keys_app = typer.Typer(
    help="The keys that encrypt payloads in Temporal's history (OCOP_PAYLOAD_KEYS_FILE).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _loaded() -> PayloadKeys:
    try:
        return PayloadKeys.load(settings().payload_keys_path)
    except PayloadKeyError as error:
        fail(str(error), EXIT_BAD_INPUT)


def _show(keys: PayloadKeys, what: str) -> None:
    console.print(
        f"{what}: {settings().payload_keys_path} — {len(keys.ids)} key(s), encrypting with "
        f"{keys.newest[0]}; decrypting with {', '.join(keys.ids)}",
        highlight=False,
    )


@payload_keys_app.command("init")
def init() -> None:
    """Create the key file if it is missing (mode 0600); an existing one is kept."""
    path = settings().payload_keys_path
    existed = path.exists()
    try:
        keys = PayloadKeys.load_or_create(path)
    except (PayloadKeyError, OSError) as error:
        fail(str(error), EXIT_BAD_INPUT)
    _show(keys, "kept" if existed else "created")


@payload_keys_app.command("list")
def list_keys() -> None:
    """The key ids, newest (the encrypting one) last."""
    _show(_loaded(), "keys")


@payload_keys_app.command("rotate")
def rotate() -> None:
    """Add a new encrypting key; the others keep decrypting until retired."""
    keys = _loaded().rotated()
    keys.save(settings().payload_keys_path)
    _show(keys, "rotated")


@payload_keys_app.command("stage")
def stage() -> None:
    """Add a new key that only decrypts, for now; `promote` it once every process has it."""
    keys = _loaded().staged()
    keys.save(settings().payload_keys_path)
    _show(keys, f"staged {keys.keys[0][0]}")


@payload_keys_app.command("promote")
def promote(key_id: Annotated[str, typer.Argument(help="The staged key id.")]) -> None:
    """Make a key the encrypting one (restart every process afterwards)."""
    try:
        keys = _loaded().promoted(key_id)
    except PayloadKeyError as error:
        fail(str(error), EXIT_BAD_INPUT)
    keys.save(settings().payload_keys_path)
    _show(keys, "promoted " + key_id)


@payload_keys_app.command("retire")
def retire(key_id: Annotated[str, typer.Argument(help="The key id to retire.")]) -> None:
    """Remove a key: payloads it encrypted no longer decode once processes restart."""
    try:
        keys = _loaded().retired(key_id)
    except PayloadKeyError as error:
        fail(str(error), EXIT_BAD_INPUT)
    keys.save(settings().payload_keys_path)
    _show(keys, "retired " + key_id)
