"""Errors raised by the domain rules. Each message says what was wrong and what is accepted."""


class DomainError(ValueError):
    """Input that breaks an OCOP rule. The message is meant for the person who sent it."""
