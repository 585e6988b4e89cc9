"""Documents in an S3-compatible bucket (MinIO in the compose file), by content hash.

The same rules and the same intake as the data folder's store (`infra/documents.py`):
a file is hashed, counted and typed as it arrives, then put under `ab/abcdef…` unless an
object of that name is there already — the same bytes — so nothing is ever replaced.
The MinIO client is synchronous: its calls run in a thread.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from minio import Minio
from minio.error import S3Error

from infra.documents import CHUNK_BYTES, StoredDocument, object_key, received
from infra.settings import Settings

MISSING: Final = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})


class S3DocumentStore:
    def __init__(self, client: Minio, bucket: str, limit_bytes: int) -> None:
        self.client, self.bucket, self.limit = client, bucket, limit_bytes
        self._bucket_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> S3DocumentStore:
        access = settings.documents_s3_access_key
        secret = settings.documents_s3_secret_key
        client = Minio(
            str(settings.documents_s3_endpoint),
            access_key=access.get_secret_value() if access else None,
            secret_key=secret.get_secret_value() if secret else None,
            secure=settings.documents_s3_secure,
            region=settings.documents_s3_region,
        )
        return cls(client, settings.documents_s3_bucket, settings.document_max_bytes)

    def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_ready = True

    def _size(self, key: str) -> int | None:
        try:
            size = self.client.stat_object(self.bucket, key).size
        except S3Error as error:
            if error.code in MISSING:
                return None
            raise
        return int(size) if size is not None else None

    def _keep(self, path: Path, stored: StoredDocument) -> None:
        self._ensure_bucket()
        key = object_key(stored.sha256)
        if self._size(key) is not None:
            return  # the same bytes, kept already: never replaced
        self.client.fput_object(self.bucket, key, str(path), content_type=stored.media_type)

    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> StoredDocument:
        staging = Path(tempfile.gettempdir()) / "ocop-incoming"
        async with received(staging, name, chunks, self.limit) as (path, stored):
            await asyncio.to_thread(self._keep, path, stored)
            return stored

    async def size_of(self, sha256: str) -> int | None:
        try:
            key = object_key(sha256)
        except ValueError:
            return None
        return await asyncio.to_thread(self._size, key)

    async def read(self, sha256: str) -> AsyncIterator[bytes] | None:
        if await self.size_of(sha256) is None:
            return None
        return self._chunks(object_key(sha256))

    async def _chunks(self, key: str) -> AsyncIterator[bytes]:
        answer = await asyncio.to_thread(self.client.get_object, self.bucket, key)
        try:
            while chunk := await asyncio.to_thread(answer.read, CHUNK_BYTES):
                yield chunk
        finally:
            answer.close()
            answer.release_conn()
