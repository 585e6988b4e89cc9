"""The wording of a refused Update or a failed call, for a person.

Kept apart from `infra.cases` so that activities can word a case's refusal without
importing the workflow it comes from.
"""

from __future__ import annotations


def explain_refusal(error: BaseException) -> str:
    """One line for a person: the messages of a refused Update's cause chain.

    A payload that does not even parse is refused by the SDK as "Failed decoding
    arguments"; pydantic's account of what was wrong is one link further down.
    """
    messages: list[str] = []
    cause: BaseException | None = getattr(error, "cause", None) or error.__cause__
    while cause is not None:
        text = str(getattr(cause, "message", None) or cause)
        if text and text not in messages:
            messages.append(text)
        cause = getattr(cause, "cause", None) or cause.__cause__
    return ": ".join(messages) if messages else str(error)
