"""Dossier numbers people can say on the phone: `HS-QN-2024-0037`.

Each province's cycle numbers the dossiers it receives, in the order it receives them,
per year: `HS` (hồ sơ), the province's letters, the cycle's year, a four-digit count.
The letters are the cycle's `dossier_prefix` when the province sets one, else the
initials of the province's proper name (Quảng Ninh → QN, Hải Phòng → HP), with a
letter more where two provinces share initials (Quảng Nam → QNA). A number is
never given twice within a cycle; a submission the case then refused leaves a gap, as
a paper register would.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Final

from pydantic import Field

from models.admin_units import unit

DOSSIER_NUMBER_PATTERN: Final = r"^HS-[A-Z]{2,5}-[0-9]{4}-[0-9]{4,6}$"
DossierNumber = Annotated[str, Field(pattern=DOSSIER_NUMBER_PATTERN)]
ProvinceLetters = Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]


# Provinces whose initials another province's name shares: the one less often written
# by its initials takes a letter more from its last word, so no two share a number.
_DISTINCT_LETTERS: Final[dict[str, str]] = {
    "ha-nam": "HNA",
    "quang-nam": "QNA",
    "quang-ngai": "QNG",
    "lai-chau": "LCH",
    "dak-nong": "DNO",
    "dong-nai": "DNA",
    "tay-ninh": "TNI",
    "binh-duong": "BDU",
    "ben-tre": "BTR",
    "hau-giang": "HGI",
}


def _plain_initial(word: str) -> str:
    """A word's first letter without its diacritics (Đ → D)."""
    first = word[:1].replace("Đ", "D").replace("đ", "d")
    return unicodedata.normalize("NFKD", first)[:1].upper()


def province_letters(province: str) -> str:
    """The initials of a province's proper name; for a code the table does not know,
    the initials of its parts (`quang-ninh` → QN). No two provinces share them."""
    if province in _DISTINCT_LETTERS:
        return _DISTINCT_LETTERS[province]
    known = unit(province)
    words = known.proper_name.replace("–", " ").split() if known else province.split("-")
    letters = "".join(_plain_initial(word) for word in words if word[:1].isalpha())
    return (letters or "XX")[:5].ljust(2, "X")


def is_dossier_number(text: str) -> bool:
    """Whether a reference someone typed is a dossier number rather than a case id."""
    return re.fullmatch(DOSSIER_NUMBER_PATTERN, text) is not None


def dossier_number(prefix: str, year: int, sequence: int) -> str:
    """`HS-QN-2024-0037` for the 37th dossier of Quảng Ninh's 2024 cycle."""
    return f"HS-{prefix}-{year:04d}-{sequence:04d}"
