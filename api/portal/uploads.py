"""Files from a form into the document store, as the dossier's references.

Each file input is named `file_<document kind>`; the server stores what arrives, by its
own hash and size (never what the browser says), and the refused file is named. Files
already stored when an earlier try was refused come back as `kept` fields
(`kind|sha256|name`), checked against the store: a hash it does not hold is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from api.portal.outcomes import INVALID_TITLE, StepRefused
from api.portal.rendering import Shown
from infra.documents import CHUNK_BYTES, DocumentRefused, DocumentStore
from models.catalogue import DocumentKind
from models.dossier import DocumentRef
from models.refusal_wording import describe_findings

FILE_PREFIX: Final = "file_"
KEPT_FIELD: Final = "kept"


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


def _kind(field: str) -> DocumentKind:
    try:
        return DocumentKind(field.removeprefix(FILE_PREFIX))
    except ValueError:
        raise StepRefused(
            422, Shown(INVALID_TITLE, f"{field}: không phải loại tài liệu — not a document kind")
        ) from None


def _invalid(detail: str) -> StepRefused:
    return StepRefused(422, Shown(INVALID_TITLE, detail))


async def _kept(store: DocumentStore, value: str, held: Sequence[DocumentRef] = ()) -> DocumentRef:
    kind, sha256, name = [*value.split("|", 2), "", ""][:3]
    known = next((d for d in held if d.sha256 == sha256 and d.kind.value == kind), None)
    if known is not None:  # a document the case already holds, as it holds it
        return known
    size = await store.size_of(sha256)
    if size is None:
        raise _invalid(f"kept: tệp {name!r} không có trong kho — {name!r} is not stored here")
    return DocumentRef(
        file_name=name, kind=_kind(FILE_PREFIX + kind), sha256=sha256, size_bytes=size
    )


@dataclass(frozen=True)
class Handed:
    """What a form handed in: the documents stored, and why any other file was not."""

    documents: list[DocumentRef]
    refused: list[str]


async def documents_of(
    form: FormData, store: DocumentStore, held: Sequence[DocumentRef] = ()
) -> Handed:
    """The documents the form hands in: kept ones first (from the store, or `held` by
    the case already), then the new files, stored. A file refused (its size, its type)
    is named and the others are still kept."""
    kept = [v for v in form.getlist(KEPT_FIELD) if isinstance(v, str)]
    found = [await _kept(store, value, held) for value in kept]
    refused: list[str] = []
    for field, value in form.multi_items():
        if not field.startswith(FILE_PREFIX) or not isinstance(value, UploadFile):
            continue
        if not value.filename:
            continue  # an input left empty
        kind = _kind(field)
        name = value.filename.replace("\\", "/").rsplit("/", 1)[-1]
        try:
            stored = await store.put(name, _chunks(value))
            found.append(
                DocumentRef(
                    file_name=name, kind=kind, sha256=stored.sha256, size_bytes=stored.size_bytes
                )
            )
        except DocumentRefused as error:
            refused.append(error.refusal.message)
        except ValidationError as error:
            refused.append(f"{name!r}: {describe_findings(list(error.errors()))}")
    return Handed(found, refused)


def kept_value(document: DocumentRef) -> str:
    return f"{document.kind.value}|{document.sha256}|{document.file_name}"
