"""Documents by content hash: the rules of what is taken, and the store that keeps them
once and for good."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from infra.documents import DocumentRefused, FileDocumentStore, document_store, media_type_of
from infra.ports import find_free_port
from infra.settings import Settings
from models.documents import media_type_refusal, upload_size_refusal
from tests.portal.forms import PNG, pdf


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_a_file_is_taken_by_what_its_bytes_are_not_by_its_name() -> None:
    assert media_type_of(pdf("x")) == "application/pdf"
    assert media_type_of(PNG) == "image/png"
    assert media_type_of(b"MZ\x90\x00" + b"\0" * 64) == "application/x-msdownload"
    assert media_type_refusal("a.pdf", "application/pdf") is None
    refusal = media_type_refusal("hoa-don.pdf", "application/x-msdownload")
    assert refusal is not None and refusal.type == "DocumentTypeRefused"
    assert refusal.message.startswith("tệp hoa-don.pdf không phải loại được nhận")
    assert "accepted: PDF, JPEG, PNG, Word (.docx)" in refusal.message
    unknown = media_type_refusal("ghi-chu.txt", None)
    assert unknown is not None and "(không rõ — unknown)" in unknown.message


def test_a_file_may_not_be_empty_or_larger_than_the_limit() -> None:
    limit = 20 * 1024 * 1024
    assert upload_size_refusal("a.pdf", limit, limit) is None
    too_large = upload_size_refusal("a.pdf", limit + 1, limit)
    assert too_large is not None and too_large.message == (
        "tệp a.pdf lớn hơn 20 MB — a.pdf is larger than the 20 MB a document may have"
    )
    empty = upload_size_refusal("a.pdf", 0, limit)
    assert empty is not None and empty.type == "EmptyDocument"


async def test_the_same_bytes_are_kept_once_under_their_hash_and_never_replaced(
    tmp_path: Path,
) -> None:
    store = FileDocumentStore(tmp_path / "documents", 1024 * 1024)
    first = await store.put("a.pdf", chunks(pdf("one")[:10], pdf("one")[10:]))
    again = await store.put("b.pdf", chunks(pdf("one")))
    other = await store.put("c.pdf", chunks(pdf("two")))
    assert first == again and first.sha256 != other.sha256
    assert (first.size_bytes, first.media_type) == (len(pdf("one")), "application/pdf")
    path = store.path_of(first.sha256)
    assert path.read_bytes() == pdf("one") and not path.stat().st_mode & 0o222
    read = await store.read(first.sha256)
    assert read is not None and b"".join([c async for c in read]) == pdf("one")
    assert await store.size_of(other.sha256) == len(pdf("two"))
    assert await store.read("0" * 64) is None and await store.read("../etc/passwd") is None
    assert list((tmp_path / "documents" / ".incoming").iterdir()) == []


async def test_a_file_over_the_limit_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    store = FileDocumentStore(tmp_path, 1000)
    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for index in range(1000):
            read.append(index)
            yield pdf("big")[:8] if index == 0 else b"\0" * 500

    with pytest.raises(DocumentRefused, match="lớn hơn"):
        await store.put("big.pdf", endless())
    assert len(read) <= 3  # it stopped once past the limit
    assert stored_files(tmp_path) == []


async def test_a_program_named_like_a_pdf_is_refused_and_not_kept(tmp_path: Path) -> None:
    store = FileDocumentStore(tmp_path, 1000)
    with pytest.raises(DocumentRefused, match="không phải loại được nhận"):
        await store.put("ket-qua.pdf", chunks(b"\x7fELF\x02\x01\x01" + b"\0" * 64))
    assert stored_files(tmp_path) == []


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3 API on a free local port: moto's server, as MinIO answers in production."""
    server_module = pytest.importorskip("moto.server")
    port = find_free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


async def test_the_bucket_keeps_documents_by_hash_the_same_way(
    s3_endpoint: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        documents_s3_endpoint=s3_endpoint,
        documents_s3_bucket=f"ocop-{uuid.uuid4().hex[:8]}",
        documents_s3_access_key="testing",
        documents_s3_secret_key="testing",
        documents_s3_secure=False,
        documents_s3_region="us-east-1",
    )
    store = document_store(settings)
    assert type(store).__name__ == "S3DocumentStore"
    first = await store.put("a.pdf", chunks(pdf("one")))
    again = await store.put("b.pdf", chunks(pdf("one")))
    assert first == again and await store.size_of(first.sha256) == len(pdf("one"))
    read = await store.read(first.sha256)
    assert read is not None and b"".join([c async for c in read]) == pdf("one")
    assert await store.read("f" * 64) is None and await store.size_of("not-a-hash") is None
    with pytest.raises(DocumentRefused, match="không phải loại được nhận"):
        await store.put("x.pdf", chunks(b"\x7fELF\x02\x01\x01" + b"\0" * 64))
    listed = store.client.list_objects(settings.documents_s3_bucket, recursive=True)  # type: ignore[attr-defined]
    assert [o.object_name for o in listed] == [f"{first.sha256[:2]}/{first.sha256}"]
    assert not (tmp_path / "documents").exists()  # nothing in the data folder
