"""Every payload ocop sends to Temporal, encrypted: what history keeps is ciphertext.

Temporal keeps a case's history for years and copies it into backups; its payloads hold
the dossier (the producer's name, email, phone) and every letter's facts. The codec
encrypts each payload whole — its metadata and data — with AES-256-GCM, after the
pydantic converter has made it and before it leaves the process, and decrypts what
comes back. The payload that travels names only its encoding and the id of the key
(`encryption-key-id`), so keys rotate: new payloads use the newest key of the set, and
older ones decode with the key they name for as long as it stays in the set.

A payload that is not encrypted (a history recorded before this codec) decodes as it is,
so recorded histories keep replaying. Failures are encoded too: the failure converter
moves their messages and stack traces into an encoded attribute
(`encode_common_attributes`), so a refusal that quotes a name is not kept in clear.

The keys live in a JSON file (`OCOP_PAYLOAD_KEYS_FILE`, default `payload-keys.json` in
the data folder, created on first start with mode 0600) or in `OCOP_PAYLOAD_KEYS` (the
same JSON, for containers): `{"keys": [{"id": "...", "key": "<32 bytes, base64>"}, …]}`,
the newest last. Never in the repository.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING: Final = b"binary/encrypted"
KEY_ID: Final = "encryption-key-id"
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32


class PayloadKeyError(ValueError):
    """The key set cannot be read, or a payload names a key it does not hold."""


@dataclass(frozen=True)
class PayloadKeys:
    """The key set: every key decodes, the newest (last) encodes."""

    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise PayloadKeyError("the payload key set holds no key")
        for key_id, key in self.keys:
            if len(key) != KEY_BYTES:
                raise PayloadKeyError(f"payload key {key_id!r} is not {KEY_BYTES} bytes")

    @property
    def newest(self) -> tuple[str, bytes]:
        return self.keys[-1]

    def key(self, key_id: str) -> bytes | None:
        return next((key for known, key in self.keys if known == key_id), None)

    @property
    def ids(self) -> list[str]:
        return [key_id for key_id, _ in self.keys]

    # ------------------------------------------------------------- as JSON

    def to_json(self) -> str:
        entries = [
            {"id": key_id, "key": base64.b64encode(key).decode("ascii")}
            for key_id, key in self.keys
        ]
        return json.dumps({"keys": entries}, indent=2)

    @classmethod
    def from_json(cls, text: str, where: str) -> PayloadKeys:
        try:
            entries = json.loads(text)["keys"]
            keys = tuple((str(e["id"]), base64.b64decode(e["key"], validate=True)) for e in entries)
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise PayloadKeyError(f"{where} is not a payload key set ({error})") from None
        return cls(keys)

    # ------------------------------------------------------------ the file

    @classmethod
    def load(cls, path: Path) -> PayloadKeys:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise PayloadKeyError(f"cannot read {path}: {error.strerror or error}") from None
        return cls.from_json(text, str(path))

    @classmethod
    def load_or_create(cls, path: Path) -> PayloadKeys:
        """The key set in `path`, made there (one new key, mode 0600) if it is missing."""
        if path.exists():
            return cls.load(path)
        keys = cls((new_key(),))
        keys.save(path, exclusive=True)
        return cls.load(path)  # whoever created it first: their keys

    def save(self, path: Path, *, exclusive: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            return  # another process made it a moment ago
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.to_json())

    def rotated(self) -> PayloadKeys:
        """The set with a new newest key: it encodes from now on; the others still decode."""
        return PayloadKeys((*self.keys, new_key()))

    def staged(self) -> PayloadKeys:
        """The set with a new key that only decodes (first, so not the newest): once every
        process holds it, `promoted` lets it encode, and no process meets a payload it
        cannot read on the way."""
        return PayloadKeys((new_key(), *self.keys))

    def promoted(self, key_id: str) -> PayloadKeys:
        """The set with `key_id` as the newest: it encodes from now on."""
        key = self.key(key_id)
        if key is None:
            raise PayloadKeyError(f"no payload key {key_id!r}; keys: {', '.join(self.ids)}")
        return PayloadKeys((*(e for e in self.keys if e[0] != key_id), (key_id, key)))

    def retired(self, key_id: str) -> PayloadKeys:
        """The set without `key_id`: what it encrypted no longer decodes."""
        if key_id == self.newest[0]:
            raise PayloadKeyError(f"{key_id!r} is the newest key: rotate before retiring it")
        if self.key(key_id) is None:
            raise PayloadKeyError(f"no payload key {key_id!r}; keys: {', '.join(self.ids)}")
        return PayloadKeys(tuple(entry for entry in self.keys if entry[0] != key_id))


def new_key() -> tuple[str, bytes]:
    """A fresh AES-256 key with an id that says when it was made."""
    made = datetime.now(UTC).strftime("%Y%m%d")
    return f"pk-{made}-{secrets.token_hex(4)}", AESGCM.generate_key(bit_length=256)


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload; the key id travels in the clear metadata and
    is bound to the ciphertext as associated data."""

    def __init__(self, keys: PayloadKeys) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id, _ = self._keys.newest
        cipher = self._ciphers[key_id]
        return [self._sealed(cipher, key_id, payload) for payload in payloads]

    @staticmethod
    def _sealed(cipher: AESGCM, key_id: str, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._opened(payload) for payload in payloads]

    def _opened(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # recorded before payloads were encrypted
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(
                f"a payload is encrypted with key {key_id!r}, which this key set does not "
                f"hold ({', '.join(self._keys.ids)}): see OCOP_PAYLOAD_KEYS_FILE"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadKeyError(
                f"a payload under key {key_id!r} does not decrypt: altered, or another key "
                "of that id"
            ) from None
        opened = Payload()
        opened.ParseFromString(plain)
        return opened


def is_encrypted(payload: Any) -> bool:
    """Whether a payload (or its JSON form from a fetched history) is this codec's."""
    if isinstance(payload, Payload):
        return payload.metadata.get("encoding") == ENCODING
    encoding = (payload.get("metadata") or {}).get("encoding", "")
    return bool(encoding) and base64.b64decode(encoding) == ENCODING
