"""Errors raised by the domain rules. Each message says what was wrong and what is accepted."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(ValueError):
    """Input that breaks an OCOP rule. The message is meant for the person who sent it."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a "may this happen?" rule answers when the answer is no.

    `type` names the refusal for machines (the `ApplicationError` type a refused Update
    carries, e.g. "WrongStage"); `message` says why, for the person who asked.
    """

    type: str
    message: str
