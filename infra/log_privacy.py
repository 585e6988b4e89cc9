"""Log lines without anyone's email address: a filter on the handlers of every process.

Activities and the SDK log notification keys and failures that quote recipients (a
ledger key ends with the address; an SMTP answer repeats it; the SDK's "Completing
activity as failed" line carries the failure and its traceback). The filter formats
each record once and masks every address in it (`models.personal.without_addresses`),
traceback included, before any handler writes it.
"""

from __future__ import annotations

import logging

from models.personal import without_addresses

_TRACEBACKS = logging.Formatter()


class MaskAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = without_addresses(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = without_addresses(record.exc_text)
        return True


def mask_addresses_in(handler: logging.Handler) -> logging.Handler:
    """`handler`, with the filter (once)."""
    if not any(isinstance(f, MaskAddresses) for f in handler.filters):
        handler.addFilter(MaskAddresses())
    return handler


def mask_addresses_everywhere() -> None:
    """The filter on every handler of the root logger (call after configuring them)."""
    for handler in logging.getLogger().handlers:
        mask_addresses_in(handler)
