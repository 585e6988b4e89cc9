"""The keys that sign people's actions, and the signer the API (and the CLI on the server) use.

A key file is a JWKS of Ed25519 keys with their private parts, newest last. The newest
key signs; every key in the file verifies, so rotating adds a key and running cases
keep accepting actions signed a moment before. Retiring a key removes it: actions
signed with it are refused from then on, and recorded histories still replay because
their validators are not run again (see `models/assertions.py`).

The file is created on first use in the data folder of the embedded stack; in
production it lives in a secret volume shared by the API and the workers, never in
the repository. Workers need only the public part (`public_keyset`).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from joserfc import jws
from joserfc.jwk import KeySet, OKPKey
from pydantic import BaseModel

from models.actors import Actor
from models.assertions import (
    ALGORITHM,
    LIFETIME,
    MAX_TOKEN_CHARS,
    ActionClaims,
    SignedAction,
    payload_digest,
)

KEY_FILE_NAME: Final = "action-keys.json"


class ActionKeyError(Exception):
    """The key file cannot be used; the message names the file and what is wrong."""


def _new_key() -> OKPKey:
    kid = f"ocop-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid, "use": "sig"}, private=True)


class ActionKeys:
    """The signing keys of one installation, newest last."""

    def __init__(self, keys: list[OKPKey], path: Path | None = None) -> None:
        if not keys:
            raise ActionKeyError(f"{path or 'the key set'} holds no key")
        self._keys = keys
        self.path = path

    # ------------------------------------------------------------ the file

    @classmethod
    def generate(cls) -> ActionKeys:
        return cls([_new_key()])

    @classmethod
    def load(cls, path: Path) -> ActionKeys:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            keys = [OKPKey.import_key(item) for item in document["keys"]]
        except FileNotFoundError:
            raise ActionKeyError(f"{path}: no such key file (run `ocop admin keys init`)") from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ActionKeyError(f"{path}: not a JWKS of Ed25519 keys ({error})") from None
        if any(not key.is_private for key in keys):
            raise ActionKeyError(f"{path}: every key needs its private part to sign")
        return cls(keys, path)

    @classmethod
    def load_or_create(cls, path: Path) -> ActionKeys:
        """The installation's keys; a first start writes a new key file (mode 0600)."""
        if not path.exists():
            cls.generate().save(path)
        return cls.load(path)

    def save(self, path: Path | None = None) -> None:
        target = path or self.path
        if target is None:
            raise ActionKeyError("no key file to save to")
        target.parent.mkdir(parents=True, exist_ok=True)
        document = {"keys": [key.as_dict(private=True) for key in self._keys]}
        temporary = target.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
        temporary.replace(target)
        self.path = target

    # ------------------------------------------------------------ rotation

    @property
    def key_ids(self) -> list[str]:
        return [key.kid or "" for key in self._keys]

    def rotated(self) -> ActionKeys:
        """A new signing key; the others still verify."""
        return ActionKeys([*self._keys, _new_key()], self.path)

    def retired(self, kid: str) -> ActionKeys:
        """Without `kid`: what it signed is refused from now on."""
        if kid not in self.key_ids:
            raise ActionKeyError(f"no key {kid!r} (keys: {', '.join(self.key_ids)})")
        if len(self._keys) == 1:
            raise ActionKeyError("the last key cannot be retired; rotate first")
        return ActionKeys([key for key in self._keys if key.kid != kid], self.path)

    def signing_key(self) -> OKPKey:
        """The newest key: what signs now (the local issuer's tokens use the same kind of file)."""
        return self._keys[-1]

    def public_jwks(self) -> dict[str, list[dict[str, object]]]:
        return {"keys": [dict(key.as_dict(private=False)) for key in self._keys]}

    def public_keyset(self) -> KeySet:
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]

    # ------------------------------------------------------------- signing

    def sign(
        self,
        actor: Actor,
        *,
        action: str,
        workflow_id: str,
        payload: BaseModel,
        now: datetime | None = None,
        lifetime: timedelta = LIFETIME,
    ) -> SignedAction:
        """An assertion that `actor` takes `action` with `payload` on `workflow_id`.

        `now` is the time the workflow will see (the time-skipping test server's, in tests).
        """
        issued = now or datetime.now(UTC)
        claims = ActionClaims(
            action=action,
            workflow_id=workflow_id,
            digest=payload_digest(payload),
            actor=actor,
            issued_at=issued,
            expires_at=issued + lifetime,
            nonce=secrets.token_urlsafe(16),
        )
        signer = self._keys[-1]
        token = jws.serialize_compact(
            {"alg": ALGORITHM, "kid": signer.kid, "typ": "ocop-action+jwt"},
            claims.model_dump_json().encode("utf-8"),
            signer,
            algorithms=[ALGORITHM],
        )
        if len(token) > MAX_TOKEN_CHARS:
            raise ActionKeyError(
                f"the actor's scope is too large to sign ({len(token)} characters, at most "
                f"{MAX_TOKEN_CHARS}); name fewer localities"
            )
        return SignedAction(token=token)
