"""Documents by content hash: what a dossier's `DocumentRef.sha256` points at.

A file is stored under its own sha256, computed here from the bytes received, with the
size counted and the type read from the first bytes (`filetype`); the rules of
`models/documents.py` decide what is taken. A stored file is never replaced or deleted:
the same bytes handed in twice are one file, and different bytes are a different
name, so a document a case references cannot change under it.

On the embedded stack the files live in the data folder (`documents/ab/abcdef…`,
read-only once written); in production an S3-compatible object store (MinIO in the
compose file) keeps them the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import filetype

from infra.settings import Settings
from models.documents import media_type_refusal, upload_size_refusal
from models.errors import Refusal

SNIFF_BYTES: Final = 64 * 1024
"""How much of a file's start the type is read from (an Office file's parts come early)."""
CHUNK_BYTES: Final = 1024 * 1024
SHA256_PATTERN: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size_bytes: int
    media_type: str


class DocumentRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class DocumentStore(Protocol):
    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> StoredDocument:
        """Keep the file (`name` only words refusals); DocumentRefused when not taken."""
        ...

    async def read(self, sha256: str) -> AsyncIterator[bytes] | None:
        """The stored file's bytes, or None when there is no such file."""
        ...

    async def size_of(self, sha256: str) -> int | None:
        """The stored file's size, or None when there is no such file."""
        ...


def media_type_of(head: bytes) -> str | None:
    """The type of a file by its first bytes (None when they say nothing known)."""
    kind = filetype.guess(head)
    return str(kind.mime) if kind is not None else None


class _Incoming:
    """A file as it arrives: hashed, counted, the start kept for its type."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size, self.head = limit, 0, b""
        self.digest = hashlib.sha256()

    def take(self, chunk: bytes) -> bool:
        """Count the chunk in; False once the file is over the limit (stop reading)."""
        self.size += len(chunk)
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self.digest.update(chunk)
        return self.size <= self.limit

    def verdict(self, name: str) -> StoredDocument:
        refusal = upload_size_refusal(name, self.size, self.limit)
        media_type = media_type_of(self.head)
        refusal = refusal or media_type_refusal(name, media_type)
        if refusal is not None:
            raise DocumentRefused(refusal)
        return StoredDocument(self.digest.hexdigest(), self.size, str(media_type))


@contextlib.asynccontextmanager
async def received(
    folder: Path, name: str, chunks: AsyncIterator[bytes], limit: int
) -> AsyncIterator[tuple[Path, StoredDocument]]:
    """The file as it arrived, in a temporary file of `folder` for the block, once the
    rules take it (DocumentRefused otherwise; reading stops once past the limit)."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    temporary = folder / uuid.uuid4().hex
    incoming = _Incoming(limit)
    try:
        with temporary.open("wb") as out:
            async for chunk in chunks:
                if not incoming.take(chunk):
                    break
                await asyncio.to_thread(out.write, chunk)
        yield temporary, incoming.verdict(name)
    finally:
        temporary.unlink(missing_ok=True)


def object_key(sha256: str) -> str:
    """Where a document lives in a folder or a bucket: `ab/abcdef…`."""
    if not SHA256_PATTERN.match(sha256):
        raise ValueError(f"not a sha256 in hex: {sha256!r}")
    return f"{sha256[:2]}/{sha256}"


class FileDocumentStore:
    """Documents in a folder: `root/ab/abcdef…`, written once, then read-only."""

    def __init__(self, root: Path, limit_bytes: int) -> None:
        self.root, self.limit = root, limit_bytes

    def path_of(self, sha256: str) -> Path:
        return self.root / object_key(sha256)

    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> StoredDocument:
        async with received(self.root / ".incoming", name, chunks, self.limit) as (path, stored):
            await asyncio.to_thread(self._keep, path, self.path_of(stored.sha256))
            return stored

    @staticmethod
    def _keep(temporary: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(temporary, target)  # never replaces: the same bytes are kept once
        except FileExistsError:
            return
        target.chmod(0o444)

    def _found(self, sha256: str) -> Path | None:
        try:
            path = self.path_of(sha256)
        except ValueError:
            return None
        return path if path.is_file() else None

    async def read(self, sha256: str) -> AsyncIterator[bytes] | None:
        path = self._found(sha256)
        return _file_chunks(path) if path is not None else None

    async def size_of(self, sha256: str) -> int | None:
        path = self._found(sha256)
        return path.stat().st_size if path is not None else None


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, CHUNK_BYTES):
            yield chunk


def document_store(settings: Settings) -> DocumentStore:
    """The configured store: an S3 bucket when an endpoint is set (MinIO in the compose
    file), else the data folder's `documents/` (the embedded stack)."""
    limit = settings.document_max_bytes
    if settings.documents_s3_endpoint:
        from infra.object_store import S3DocumentStore  # only where a bucket is used

        return S3DocumentStore.from_settings(settings)
    return FileDocumentStore(settings.data_dir / "documents", limit)
