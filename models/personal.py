"""Personal data kept out of what operators read in logs: addresses masked.

A log line (or a failure message, which a worker's log repeats) may need to say which
recipient an email was for, and an SMTP server's answer often quotes the address
(`550 5.1.1 <ten@example.vn>: Mailbox unavailable`). Both are told here with the
address masked — its first letter and its domain, enough to tell recipients apart and
to see which mail server refused — so logs hold no one's full address.
"""

from __future__ import annotations

import re
from typing import Final

ADDRESS: Final = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def masked_address(address: str) -> str:
    """`hoptien@example.vn` → `h…@example.vn`; something without an @ → `…`."""
    local, at, domain = address.strip().partition("@")
    if not at or not local:
        return "…"
    return f"{local[0]}…@{domain}"


def without_addresses(text: str) -> str:
    """`text` with every email address in it masked."""
    return ADDRESS.sub(lambda found: masked_address(found.group(0)), text)
