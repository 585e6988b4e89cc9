"""What a document handed in must be: its size and its kind of file.

The server decides both from the bytes it received, never from the name or the type
the browser claims: the size is counted, the type is read from the file's first bytes
(`infra/documents.py`). Producers hand in scans and office files; anything else (an
executable, an archive, a web page) is refused before it is stored.
"""

from __future__ import annotations

from typing import Final

from models.errors import Refusal

DEFAULT_UPLOAD_BYTES: Final = 20 * 1024 * 1024
"""The portal's limit per file unless the settings say otherwise (at most the 200 MB of
`models.dossier.MAX_DOCUMENT_BYTES`)."""

ACCEPTED_MEDIA_TYPES: Final[dict[str, str]] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
    "application/msword": "Word (.doc)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (.xlsx)",
    "application/vnd.ms-excel": "Excel (.xls)",
    "application/vnd.oasis.opendocument.text": "OpenDocument (.odt)",
}
"""The kinds of file a dossier takes, as read from their bytes, with the name people know."""

ACCEPTED_WORDS: Final = ", ".join(dict.fromkeys(ACCEPTED_MEDIA_TYPES.values()))


def upload_size_refusal(name: str, size_bytes: int, limit_bytes: int) -> Refusal | None:
    """Why a file of this size is not taken (`name` says which), or None."""
    mb = limit_bytes / (1024 * 1024)
    if size_bytes <= 0:
        return Refusal(
            "EmptyDocument",
            f"tệp {name} trống — {name} is empty: hand in the document itself",
        )
    if size_bytes > limit_bytes:
        return Refusal(
            "DocumentTooLarge",
            f"tệp {name} lớn hơn {mb:g} MB — {name} is larger than the {mb:g} MB a "
            "document may have",
        )
    return None


def media_type_refusal(name: str, detected: str | None) -> Refusal | None:
    """Why a file of the type read from its bytes is not taken, or None."""
    if detected in ACCEPTED_MEDIA_TYPES:
        return None
    found = detected or "không rõ — unknown"
    return Refusal(
        "DocumentTypeRefused",
        f"tệp {name} không phải loại được nhận ({found}); chỉ nhận {ACCEPTED_WORDS} — "
        f"{name} is not a kind of file a dossier takes ({found}); accepted: {ACCEPTED_WORDS}",
    )
