"""Addresses in log lines and failure messages are masked (models/personal.py,
infra/log_privacy.py)."""

from __future__ import annotations

import io
import logging

from infra.log_privacy import mask_addresses_in
from models.personal import masked_address, without_addresses


def test_an_address_keeps_its_first_letter_and_its_domain() -> None:
    assert masked_address("hoptien@example.vn") == "h…@example.vn"
    assert masked_address(" Nguyen.Van.An@ubnd.quangninh.gov.vn ") == "N…@ubnd.quangninh.gov.vn"
    assert masked_address("not an address") == "…"
    assert masked_address("@example.vn") == "…"


def test_an_smtp_answer_quoting_the_recipient_names_only_the_masked_address() -> None:
    answer = "550 5.1.1 <hoptien@example.vn>: Mailbox unavailable; cc ha.long@mail.example.vn"
    assert without_addresses(answer) == (
        "550 5.1.1 <h…@example.vn>: Mailbox unavailable; cc h…@mail.example.vn"
    )
    assert without_addresses("421 Try again later") == "421 Try again later"


def test_a_log_line_and_its_traceback_name_no_address() -> None:
    handler = mask_addresses_in(logging.StreamHandler(io.StringIO()))
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("ocop.test.privacy")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError("550 <hoptien@example.vn>: Mailbox unavailable")
        except RuntimeError:
            log.exception("Notification %s failed", "k:r1:supplement_requested:hoptien@example.vn")
    finally:
        log.removeHandler(handler)
    written = handler.stream.getvalue()  # type: ignore[attr-defined]
    assert "hoptien@example.vn" not in written
    assert "k:r1:supplement_requested:h…@example.vn failed" in written
    assert "550 <h…@example.vn>: Mailbox unavailable" in written  # the traceback too
