"""The signed assertion of a person's action, as it travels: a leaf of the model layer.

Its meaning and its checks are in `models/assertions.py`; this module only holds the
shape, so input models (a cycle's opening, its schedule) can carry one without a cycle
of imports.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

MAX_TOKEN_CHARS: Final = 16 * 1024

Token = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_TOKEN_CHARS, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){2}$"
    ),
]


class SignedAction(BaseModel):
    """A compact JWS over `models.assertions.ActionClaims`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: Token
