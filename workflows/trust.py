"""The public keys this worker trusts to have signed people's actions.

The worker installs them at start (`worker.build_worker`): the key file's public keys,
all of them, so a rotated file's new key is trusted beside the old ones and a retired
key is not trusted any more. Workflows import this module passed through the sandbox,
so every workflow instance sees the process's one set (one key file per process).
Validators, the only readers, do not run on replay: what keys a worker holds never
changes what a history replays to.
"""

from __future__ import annotations

from joserfc.jwk import KeySet

_trusted: dict[str, dict[str, object]] = {}
_keyset: KeySet | None = None


def trust(public_jwks: dict[str, list[dict[str, object]]]) -> None:
    """Trust exactly these public keys from now on."""
    global _keyset
    if any("d" in key for key in public_jwks["keys"]):
        raise ValueError("a worker is given public keys only")
    _trusted.clear()
    for key in public_jwks["keys"]:
        _trusted[str(key["kid"])] = dict(key)
    _keyset = KeySet.import_key_set({"keys": list(_trusted.values())})  # type: ignore[arg-type]


def trusted_keys() -> KeySet | None:
    return _keyset
