"""What text a person may send: no invisible characters, Vietnamese in one form.

Names, ids and subjects end up in email headers and subjects, in the register and on
operators' screens. A character a reader cannot see can make one name look like
another, reverse what follows it (a bidi override in a subject), hide a line break in a
header or split a word in two. The rule is Unicode's own categories:

- **Cc** (control characters: NUL, ESC, the C1 controls, and line breaks);
- **Cf** (format characters: the bidi marks, embeddings, overrides and isolates
  U+200E/F, U+061C, U+202A–202E, U+2066–2069; the zero-width space, joiners and word
  joiner U+200B–200D, U+2060; the byte-order mark U+FEFF; the soft hyphen);
- **Zl, Zp** (the line and paragraph separators U+2028, U+2029);
- **Cs, Co, Cn** (lone surrogates, private use, code points not assigned to anything).

Free text that may span lines (a reason, a comment) keeps the line feed and nothing
else of these. Text is normalised to NFC, so "Mật ong" typed with combining marks (NFD,
as macOS keyboards may send it) is stored, compared and mailed as the same letters.

`text_refusal` says what is wrong (or None); `single_line` and `free_text` are the
validators the models use.
"""

from __future__ import annotations

import unicodedata
from typing import Final

REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
"""Unicode general categories no name or text may hold (module docstring)."""

LINE_FEED: Final = "\n"


def _first_refused(value: str, *, multiline: bool) -> tuple[int, str] | None:
    for position, character in enumerate(value):
        if multiline and character == LINE_FEED:
            continue
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            return position, character
    return None


def character_name(character: str) -> str:
    """U+202E RIGHT-TO-LEFT OVERRIDE: how a refusal names an invisible character."""
    name = unicodedata.name(character, "")
    code = f"U+{ord(character):04X}"
    return f"{code} {name}" if name else code


def text_refusal(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable text (naming the character and where), or None."""
    found = _first_refused(value, multiline=multiline)
    if found is None:
        return None
    position, character = found
    allowed = (
        "letters, digits, punctuation, spaces and line breaks"
        if multiline
        else "a single line of letters, digits, punctuation and spaces"
    )
    kind = "a line break" if character in "\r\n\u2028\u2029" else "an invisible character"
    return (
        f"contains {kind} ({character_name(character)}) at position {position + 1}; "
        f"accepted: {allowed}"
    )


def single_line(value: str) -> str:
    """A name, an id or a subject: one line, no invisible characters; NFC, trimmed."""
    refusal = text_refusal(value)
    if refusal is not None:
        raise ValueError(refusal)
    return unicodedata.normalize("NFC", value).strip()


def free_text(value: str) -> str:
    """A reason or comment: may span lines, no other invisible characters; NFC.

    Windows line ends (CR LF) are read as line feeds first.
    """
    value = value.replace("\r\n", LINE_FEED)
    refusal = text_refusal(value, multiline=True)
    if refusal is not None:
        raise ValueError(refusal)
    return unicodedata.normalize("NFC", value)
