"""The wording of a refused Update or a failed call, for a person.

Kept apart from `infra.cases` so that activities can word a case's refusal without
importing the workflow it comes from.
"""

from __future__ import annotations

from pydantic import ValidationError

from models.refusal_wording import bounded, describe_validation_error

DECODING_WRAPPER = "Failed decoding arguments"
"""How the SDK's worker words an argument it cannot decode: it says nothing of why."""


def _message(cause: BaseException) -> str:
    if isinstance(cause, ValidationError):
        return describe_validation_error(cause)
    return " ".join(str(getattr(cause, "message", None) or cause).split())  # one line


def explain_refusal(error: BaseException) -> str:
    """One short line for a person: why the Update was refused.

    A worker of ocop words a refused argument itself (`contracts.wire`): the message is
    the refusal. A worker without that converter sends "Failed decoding arguments" with
    the reason one cause further down; the wrapper is dropped and pydantic's account,
    if it is there, worded as the models word it. No line is longer than a refusal may be
    (`models.refusal_wording.bounded`), whatever the worker sent.
    """
    messages: list[str] = []
    cause: BaseException | None = getattr(error, "cause", None) or error.__cause__
    while cause is not None:
        text = _message(cause)
        if text and text not in messages and not text.startswith(DECODING_WRAPPER):
            messages.append(text)
        cause = getattr(cause, "cause", None) or cause.__cause__
    return bounded(": ".join(messages) if messages else str(error))
