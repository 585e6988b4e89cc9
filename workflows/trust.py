"""The public keys this worker trusts to have signed people's actions.

The worker installs them once at start (`worker.build_worker`); validators read them.
Workflows import this module passed through the sandbox, so every workflow instance
sees the worker's one copy. Keys are only ever added while a worker runs (a rotated
file adds its new key at the next start), and validators, the only readers, do not
run on replay: what keys a worker holds never changes what a history replays to.
"""

from __future__ import annotations

from joserfc.jwk import KeySet

_trusted: dict[str, dict[str, object]] = {}
_keyset: KeySet | None = None


def trust(public_jwks: dict[str, list[dict[str, object]]]) -> None:
    """Trust these public keys from now on, beside those trusted already."""
    global _keyset
    for key in public_jwks["keys"]:
        if "d" in key:
            raise ValueError("a worker is given public keys only")
        _trusted[str(key["kid"])] = dict(key)
    _keyset = KeySet.import_key_set({"keys": list(_trusted.values())})  # type: ignore[arg-type]


def trusted_keys() -> KeySet | None:
    return _keyset
