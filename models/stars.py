"""Stars from points: the OCOP rating bands (1★ < 30 … 5★ ≥ 90)."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum

from models.errors import DomainError


class Stars(IntEnum):
    ONE = 1
    TWO = 2
    THREE = 3
    FOUR = 4
    FIVE = 5


# Lower bound of each band, highest first. Scores are out of 100.
_BANDS: tuple[tuple[Decimal, Stars], ...] = (
    (Decimal(90), Stars.FIVE),
    (Decimal(70), Stars.FOUR),
    (Decimal(50), Stars.THREE),
    (Decimal(30), Stars.TWO),
    (Decimal(0), Stars.ONE),
)

MAX_SCORE = Decimal(100)
CERTIFIED_STARS = frozenset({Stars.THREE, Stars.FOUR, Stars.FIVE})
"""The ratings a certificate is issued for; a certified product holds one of them."""
TOP_STARS = Stars.FIVE
"""The highest rating: a product holding it cannot be upgraded."""


def stars_for_score(score: Decimal | int, mandatory_criteria_met: bool = True) -> Stars:
    """The band a score falls in; a failed mandatory 3★ criterion caps the rating at 2★."""
    value = Decimal(score)
    if value < 0 or value > MAX_SCORE:
        raise DomainError(f"a score must be between 0 and 100 points, got {value}")
    stars = next(band for floor, band in _BANDS if value >= floor)
    if not mandatory_criteria_met and stars >= Stars.THREE:
        return Stars.TWO
    return stars


def is_certifiable(stars: Stars) -> bool:
    """Certificates are issued only for 3★, 4★ and 5★."""
    return stars in CERTIFIED_STARS


def minimum_score_for(stars: Stars) -> Decimal:
    return next(floor for floor, band in _BANDS if band == stars)
