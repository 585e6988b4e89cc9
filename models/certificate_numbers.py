"""Certificate numbers: the register is their one source of truth.

A recognition first claims its certificate number in the register (the activity
`claim_certificate_number`); only a granted claim lets the case change state. A number
already held by another product refuses the recognition to its caller, so the case
and the register never disagree about who holds a number:

- `CertificateClaim` / `CertificateClaimResult` are the activity's messages;
- `claim_key` is the register's idempotency key for a number (one per authority and
  number, whoever claims it);
- `same_holder` says whether a recorded claim is this product's own (a retry, or the
  same recognition sent again), and `number_taken_refusal` is what the caller reads
  otherwise: the number, and that another product holds it (never which one, nor
  anything about its producer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict

from models.errors import Refusal

CERTIFICATE_NUMBER_TAKEN: Final = "CertificateNumberTaken"
"""The type of the refusal a recognition gets when its number belongs to another product."""


CLAIMS_RECORD: Final = "register:certificate-numbers"
"""The audit log's workflow id for claims: the register's own lines, not a case's story
(the claiming case's id is in the line's details)."""


class CertificateClaim(BaseModel):
    """A product's claim on a certificate number, before its case is recognised."""

    model_config = ConfigDict(frozen=True)

    authority: str
    number: str
    province: str
    product_code: str
    workflow_id: str
    case_id: str
    round_number: int
    claimed_at: datetime


class CertificateClaimResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    granted: bool
    """False: the register holds the number for another product."""


def claim_key(authority: str, number: str) -> str:
    """One key per number of an authority, short enough for the register's key column."""
    digest = hashlib.sha256(authority.encode("utf-8")).hexdigest()[:16]
    return f"certificate-claim:{digest}:{number}"


def claim_holder(claim: CertificateClaim) -> dict[str, str]:
    """What the register keeps of who claimed a number."""
    return {
        "province": claim.province,
        "product_code": claim.product_code,
        "workflow_id": claim.workflow_id,
        "authority": claim.authority,
        "certificate_number": claim.number,
    }


def same_holder(recorded: Mapping[str, object], claim: CertificateClaim) -> bool:
    """Whether a recorded claim on the number is this product's own."""
    return (
        str(recorded.get("province", "")).lower() == claim.province.lower()
        and str(recorded.get("product_code", "")).lower() == claim.product_code.lower()
    )


def number_taken_refusal(number: str, authority: str) -> Refusal:
    """The refusal of a recognition whose certificate number another product holds."""
    return Refusal(
        CERTIFICATE_NUMBER_TAKEN,
        f"số giấy chứng nhận {number} của {authority} đã được cấp cho một sản phẩm khác; "
        "đề nghị kiểm tra lại số và gửi lại quyết định — "
        f"certificate number {number} of {authority} already belongs to another product; "
        "check the number and send the decision again",
    )
