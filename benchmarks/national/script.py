"""The national year's script: who submits what and when, and what becomes of it.

A year of the whole country on one box (figures of December 2025): about 3,600 products
evaluated for the first time, in about the national star mix (~73 % 3★, ~24 % 4★, ~1 %
5★, the rest below 3★), and 18,243 certificates in force, whose validity runs out over
the next three years. Everything is derived from a product's index, so two runs of the
same size tell the same story. The products are the demo's kind (`cli/demo/province.py`):
the same districts, product groups, councils and authorities, under Decision 1489/2025
(communes review, the province's council scores, the province recognises 3★ and 4★,
the ministry 5★).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from cli.demo.province import DISTRICTS, Entry, Fate
from models.applicants import ApplicantKind, RegistrationKind
from models.catalogue import required_documents
from models.cycle_calendar import official_calendar
from models.rulebook import QD1489_2025
from models.validity import add_months

YEAR: Final = 2026
RULES: Final = QD1489_2025
CALENDAR: Final = official_calendar(YEAR, RULES)
LOADED_ON: Final = date(YEAR, 2, 20)
"""The business day the register's certificates are loaded and the cycles open."""

STAR_BANDS: Final = ((3, 52, 67, 73), (4, 72, 86, 24), (5, 92, 95, 1), (2, 40, 46, 2))
"""Stars, the lowest and highest council total, and the share in a hundred. The totals
keep three points from every threshold (50, 70, 90), so the members' ±2 spread never
changes the stars."""
KINDS: Final = (
    (ApplicantKind.ENTERPRISE, "Công ty TNHH", 25),
    (ApplicantKind.COOPERATIVE, "HTX", 45),
    (ApplicantKind.HOUSEHOLD, "Hộ kinh doanh", 25),
    (ApplicantKind.COOPERATIVE_GROUP, "Tổ hợp tác", 5),
)
PRODUCTS: Final = (
    ("food", "processed_food", "Chả cá"),
    ("food", "tea", "Trà"),
    ("food", "condiments", "Nước mắm"),
    ("food", "raw_semi_processed", "Mật ong"),
    ("beverages", "alcoholic", "Rượu"),
    ("herbal", "raw_herbs", "Ba kích"),
    ("handicrafts", "textiles", "Khăn thêu"),
)
SUPPLEMENT_EVERY: Final = 3
"""A third of the dossiers lack a document the commune asks for."""
NEVER_SUPPLIED_EVERY: Final = 20
"""Of those, one in twenty never brings it: the dossier is returned at the deadline."""
REJECTED_PER_HUNDRED: Final = 3
MANDATORY_FAILED_PER_HUNDRED: Final = 3
DISPUTED_PER_HUNDRED: Final = 5
REEVALUATED_EVERY: Final = 2
"""Of the certificates that run out late enough in the year to be renewed by this year's
decisions, one in two is re-evaluated; every other certificate running out lapses."""
RENEWAL_MARGIN: Final = timedelta(days=7)
REJECTION: Final = "sản phẩm là hàng mua về đóng gói lại, không do chủ thể sản xuất"


def _pick(table: Sequence[tuple[Any, ...]], roll: int) -> tuple[Any, ...]:
    """The row of `table` whose share (its last column, in a hundred) `roll` falls in."""
    for row in table:
        share = row[-1]
        assert isinstance(share, int)
        if roll < share:
            return row
        roll -= share
    return table[-1]


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8]
    return random.Random(int.from_bytes(seed))


def _base(code: str, index: int, rng: random.Random) -> dict[str, object]:
    kind, prefix, _ = _pick(KINDS, rng.randrange(100))
    group, product_set, word = PRODUCTS[index % len(PRODUCTS)]
    district = list(DISTRICTS)[index % len(DISTRICTS)]
    return {
        "code": code,
        "name": f"{word} OCOP số {index}",
        "applicant": f"{prefix} Sản xuất số {index}",
        "kind": kind,
        "locality": district,
        "group": group,
        "product_set": product_set,
    }


def _total(stars: int, rng: random.Random) -> int:
    band = next(b for b in STAR_BANDS if b[0] == stars)
    return rng.randint(band[1], band[2])


def first_evaluations(count: int) -> list[Entry]:
    """`count` first dossiers, submitted across the window, each with its script."""
    window = (CALENDAR.submission_closes - CALENDAR.submission_opens).days
    entries = []
    for index in range(count):
        rng = _rng("first", index)
        stars, *_ = _pick(STAR_BANDS, rng.randrange(100))
        group = str(PRODUCTS[index % len(PRODUCTS)][0])
        needed = sorted(required_documents(group, RegistrationKind.FIRST))
        lacking = index % SUPPLEMENT_EVERY == 1
        roll = rng.randrange(100)
        entries.append(
            Entry(
                **_base(f"NY-{index:05d}", index, rng),  # type: ignore[arg-type]
                submitted=CALENDAR.submission_opens + timedelta(days=(index * 7) % (window - 5)),
                quality=_total(int(stars), rng),
                missing=needed[index % len(needed)] if lacking else None,
                supplies=not lacking or (index // SUPPLEMENT_EVERY) % NEVER_SUPPLIED_EVERY != 0,
                rejected=REJECTION if roll < REJECTED_PER_HUNDRED else "",
                mandatory_met=not (
                    REJECTED_PER_HUNDRED
                    <= roll
                    < REJECTED_PER_HUNDRED + MANDATORY_FAILED_PER_HUNDRED
                ),
                disputed_at="province" if rng.randrange(100) < DISPUTED_PER_HUNDRED else "",
            )
        )
    return entries


@dataclass(frozen=True)
class Held:
    """A certificate of the register: its product, stars and validity, and its fate."""

    entry: Entry
    stars: int
    decided_on: date
    valid_until: date

    @property
    def level(self) -> str:
        return "central" if self.stars == 5 else "province"


def held_certificates(count: int) -> list[Held]:
    """`count` certificates in force on `LOADED_ON`, decided over the 35 months before."""
    spread = 34 * 30
    held = []
    for index in range(count):
        rng = _rng("held", index)
        stars = int(_pick(STAR_BANDS[:3], rng.randrange(98))[0])
        decided = LOADED_ON - timedelta(days=30 + (index * 37) % spread)
        valid_until = add_months(decided, 36)
        renewable = _renewable(stars, valid_until) and index % REEVALUATED_EVERY == 0
        entry = Entry(
            **_base(f"HC-{index:05d}", index, rng),  # type: ignore[arg-type]
            submitted=_reevaluation_day(valid_until),
            quality=_total(stars, rng),
            fate=Fate.REEVALUATE if renewable else Fate.LAPSE,
            reevaluated=_total(stars, rng),
            reevaluation_submitted=_reevaluation_day(valid_until) if renewable else None,
        )
        held.append(Held(entry, stars, decided, valid_until))
    return held


def _renewable(stars: int, valid_until: date) -> bool:
    """Whether this year's decision at the certificate's level comes before it runs out,
    with a week to spare, and its re-evaluation window opens while dossiers are taken."""
    decided = CALENDAR.recognition["central" if stars == 5 else "province"]
    return valid_until >= decided + RENEWAL_MARGIN and _reevaluation_day(
        valid_until
    ) <= CALENDAR.submission_closes - timedelta(days=3)


def _reevaluation_day(valid_until: date) -> date:
    """Two days after the re-evaluation window opens (180 days before expiry), or the
    cycle's first day if it opened earlier."""
    return max(CALENDAR.submission_opens, valid_until - timedelta(days=180 - 2))


def lapses_this_year(held: Held, year_end: date) -> bool:
    """Whether the certificate runs out before the year ends and nobody renews it."""
    return held.entry.fate == Fate.LAPSE and held.valid_until < year_end


def register_row(held: Held, authority: str, number: int) -> dict[str, str]:
    """The certificate as a line of the national register file (`REGISTER_COLUMNS`)."""
    entry = held.entry
    return {
        "product_code": entry.code,
        "product_name": entry.name,
        "locality": entry.locality,
        "group": entry.group,
        "product_set": entry.product_set,
        "applicant_name": entry.applicant,
        "applicant_kind": entry.kind.value,
        "applicant_email": entry.email,
        "applicant_phone": entry.phone,
        "stars": str(held.stars),
        "level": held.level,
        "issuing_authority": authority,
        "decision_number": f"{number // 100 + 1}/QĐ-UBND",
        "decided_on": held.decided_on.isoformat(),
        "certificate_number": f"GCN-{entry.code}",
        "valid_from": held.decided_on.isoformat(),
        "valid_until": held.valid_until.isoformat(),
    }
