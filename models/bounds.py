"""How large anything arriving from outside may be, and the types that hold those limits.

**Why there are limits.** Temporal refuses a payload over 2 MB (its blob *error* limit)
and logs one over 512 KB (its *warn* limit). What a workflow task uploads must stay
under 2 MB, whatever a caller sent, because a task that cannot be uploaded fails, is
retried, fails again, and the workflow answers nothing any more (every query and
Update gets "Workflow Task in failed state"). An Update's argument is uploaded again
by the worker that answers it: the SDK echoes the whole request back in its acceptance
*and* in its rejection. So a refusal does not protect a case from a request that is too
large: only a request that is never sent, or never that large, does.

**How they were chosen.**

1. *The request cap*: every message a person sends (an Update's argument, a case's or
   a cycle's input) encodes to at most `MAX_REQUEST_BYTES` = 256 KiB of JSON. The
   clients of `infra/temporal.py` measure what they are about to send and refuse a
   larger request before it leaves (`request_size_refusal`). 256 KiB is half the warn
   limit, so an Update's acceptance (the request echoed, with a small envelope) is
   never logged as large, and the largest internal payload made of outside input, the
   cycle's `open_cycle_case` request, which holds a case's input and an application
   (two requests' worth), stays under the warn limit too, far from the error limit.
2. *The field limits* are the realistic size of each kind of thing with room to spare:
   a Vietnamese full name fits in 60 characters (`MAX_PERSON_NAME_CHARS` 120), an
   office or product name in 150 (`MAX_NAME_CHARS` 200), an id or a level in 64, a
   reason in 2000. A dossier holds some 10–20 documents (`MAX_DOCUMENTS` 60), a council
   5–15 members (`MAX_COUNCIL_MEMBERS` 20), a rulebook 3 levels (`MAX_LEVELS` 4), a
   province at most a few hundred communes (`MAX_LOCALITIES` 700).
3. *The proof*: `tests/test_rules_bounds.py` builds the largest instance of every input
   model these limits accept, every string at its maximum length in four-byte UTF-8
   characters and every list at its maximum count, and checks that it encodes to less
   than `MAX_REQUEST_BYTES`. A new field without a limit, or a limit raised, fails
   there first.

Text limits count characters (what a person sees), so the proof counts four bytes a
character, the most UTF-8 takes. Strings with a pattern (codes, hashes, numbers) are
ASCII-like and bounded by their pattern.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from models.text import free_text, single_line

# ------------------------------------------------------------- the request cap

TEMPORAL_PAYLOAD_ERROR_BYTES: Final = 2 * 1024 * 1024
"""Temporal's blob error limit (the server's default, and the SDK worker's check)."""
TEMPORAL_PAYLOAD_WARN_BYTES: Final = 512 * 1024
"""Temporal's blob warn limit."""
MAX_REQUEST_BYTES: Final = 256 * 1024
"""The largest encoded request a person may send: half the warn limit (docstring, 1)."""

# ----------------------------------------------------------------- text lengths

MAX_NAME_CHARS: Final = 200
"""A product's, producer's, office's or file's name; an authority; who acted."""
MAX_PERSON_NAME_CHARS: Final = 120
"""A council member's or an administrator's name."""
MAX_ID_CHARS: Final = 64
"""A member id, a level's name, a workflow id's part."""
MAX_WORKFLOW_ID_CHARS: Final = 200
"""A workflow id given in a request (the cycle a round belongs to)."""
MAX_FREE_TEXT_CHARS: Final = 2000
"""A reason, a comment, a revocation's details."""
MAX_TITLE_CHARS: Final = 300
"""A rulebook's title."""
MAX_EMAIL_CHARS: Final = 254
"""An email address (RFC 5321's limit; `EmailStr` enforces it)."""

# ------------------------------------------------------------------ list counts

MAX_DOCUMENTS: Final = 60
"""Documents in a dossier (after every supplement too) and in one supplement."""
MAX_DOCUMENTS_REQUESTED: Final = 30
"""Documents a reviewer names in one request for a supplement."""
MAX_COUNCIL_MEMBERS: Final = 20
"""Members of one council."""
MAX_LEVELS: Final = 4
"""Levels of a rulebook, hence councils of a round and decision dates of a cycle."""
MAX_ADMINISTRATORS: Final = 20
"""Administrators a case or a cycle writes to."""
MAX_LOCALITIES: Final = 700
"""Localities of a province, and localities claimed by its decision authorities."""
MAX_AUTHORITIES: Final = 40
"""Decision authorities of a cycle."""
MAX_REMINDERS: Final = 12
"""Expiry reminders of a certificate."""
MAX_STAR_RATINGS: Final = 3
"""Star ratings a level may recognise (3★, 4★, 5★)."""

# ---------------------------------------------------------------- bounded types

SingleLine = Annotated[
    str, AfterValidator(single_line), Field(min_length=1, max_length=MAX_NAME_CHARS)
]
"""A name, an office, who acted: one line of visible text (`models.text`)."""
PersonName = Annotated[
    str, AfterValidator(single_line), Field(min_length=1, max_length=MAX_PERSON_NAME_CHARS)
]
Identifier = Annotated[
    str, AfterValidator(single_line), Field(min_length=1, max_length=MAX_ID_CHARS)
]
"""A member id or a level's name."""
WorkflowId = Annotated[
    str, AfterValidator(single_line), Field(min_length=1, max_length=MAX_WORKFLOW_ID_CHARS)
]
FreeText = Annotated[str, AfterValidator(free_text), Field(max_length=MAX_FREE_TEXT_CHARS)]
"""A reason or comment: may span lines (`models.text.free_text`)."""
Title = Annotated[str, AfterValidator(single_line), Field(min_length=1, max_length=MAX_TITLE_CHARS)]

Points = Annotated[StrictInt, Field(ge=0, le=100)]
"""Scorecard points: a whole number; `true`, "12" and 12.0 are refused."""
Count = StrictInt
"""A count, a number of days, a year: a whole number, never a bool, a string or a float.

Its range is the field's own (`Field(ge=…, le=…)`): a bound given here as well would
override the field's, since pydantic keeps the last of two `ge`."""
Flag = StrictBool
"""Yes or no: `true` or `false`, never 1 or "yes"."""


def request_size_refusal(size_bytes: int, what: str) -> str | None:
    """Why a request of `size_bytes` (encoded) is not sent (`what` names it), or None."""
    if size_bytes <= MAX_REQUEST_BYTES:
        return None
    return (
        f"{what} quá lớn để gửi / too large to send: {size_bytes / 1024:.0f} KB encoded, "
        f"at most {MAX_REQUEST_BYTES // 1024} KB accepted; send fewer documents or "
        "shorter texts"
    )
