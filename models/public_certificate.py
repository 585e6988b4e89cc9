"""What anyone may learn of a certificate by its number, and the status they are told.

A shop or a buyer seeing an OCOP label asks: is it valid, about to expire, expired,
lapsed or revoked? No personal data: the holder is named as on the certificate (the
enterprise, cooperative or household), never by email, phone or address.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from models.records import CertificateStatus

EXPIRING_WITHIN: Final = timedelta(days=180)
"""A valid certificate this close to its end is shown as expiring (re-evaluation is due)."""


class PublicStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    LAPSED = "lapsed"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


STATUS_VI: Final[dict[PublicStatus, str]] = {
    PublicStatus.VALID: "còn hiệu lực",
    PublicStatus.EXPIRING: "sắp hết hiệu lực",
    PublicStatus.EXPIRED: "đã hết hiệu lực",
    PublicStatus.LAPSED: "đã hết hiệu lực (không đánh giá lại)",
    PublicStatus.REVOKED: "đã bị thu hồi",
    PublicStatus.SUPERSEDED: "đã được thay bằng giấy chứng nhận mới",
}


def public_status(recorded: CertificateStatus, valid_until: date, today: date) -> PublicStatus:
    """The status a verifier is told: the register's record first, then the calendar."""
    if recorded == CertificateStatus.REVOKED:
        return PublicStatus.REVOKED
    if recorded == CertificateStatus.LAPSED:
        return PublicStatus.LAPSED
    if recorded == CertificateStatus.SUPERSEDED:
        return PublicStatus.SUPERSEDED
    if recorded == CertificateStatus.EXPIRED or today > valid_until:
        # `valid_until` is its last valid day (models.validity).
        return PublicStatus.EXPIRED
    if valid_until - today <= EXPIRING_WITHIN:
        return PublicStatus.EXPIRING
    return PublicStatus.VALID


class PublicCertificate(BaseModel):
    """The public answer for one certificate number."""

    model_config = ConfigDict(frozen=True)

    number: str
    product: str
    holder: str
    stars: int
    level: str
    issuing_authority: str
    decision_number: str | None
    valid_from: date
    valid_until: date
    status: PublicStatus
    status_vi: str
