"""Rulebooks: which levels a case passes, who reviews and scores, who recognises what.

A rulebook is data pinned into a case when it starts, so a later rule change never
rewrites a running case. Two ship: `qd148-2023` (district → province → central, the
default) and `qd1489-2025` (commune → province → central, after districts were
abolished).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import (
    MAX_ID_CHARS,
    MAX_LEVELS,
    MAX_STAR_RATINGS,
    Count,
    Identifier,
    SingleLine,
    Title,
)
from models.council import Council, CouncilResult, CouncilRules
from models.errors import DomainError
from models.refusal_wording import excerpt
from models.scorecard import MAXIMA_2023, PartMaxima
from models.stars import Stars, is_certifiable
from models.validity import OFFICIAL_VALIDITY_MONTHS


class LevelRule(BaseModel):
    """One administrative level a case passes through."""

    model_config = ConfigDict(frozen=True)

    name: Identifier = Field(description="e.g. district, commune, province, central")
    authority_vi: SingleLine = Field(description="Who decides at this level, in Vietnamese")
    authority_en: SingleLine
    reviews_dossier: bool = Field(description="Checks completeness, may ask for supplements")
    scores: bool = Field(description="Has a council that scores the product")
    recognises: frozenset[Stars] = Field(default=frozenset(), max_length=MAX_STAR_RATINGS)
    forward_at: Decimal | None = Field(
        default=None, description="A council score at or above this sends the case up a level"
    )
    assesses_local_origin: bool = Field(
        default=False,
        description="Assesses the four local-origin criteria when accepting (the commune, 1489)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> LevelRule:
        if not self.scores and (self.recognises or self.forward_at is not None):
            raise ValueError(f"level {self.name!r} does not score, so it cannot recognise stars")
        if any(not is_certifiable(stars) for stars in self.recognises):
            raise ValueError("a level can only recognise 3★, 4★ or 5★")
        return self


class Rulebook(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$", max_length=MAX_ID_CHARS)
    title: Title
    effective_from: date
    maxima: PartMaxima = MAXIMA_2023
    council: CouncilRules = CouncilRules()
    levels: tuple[LevelRule, ...] = Field(min_length=1, max_length=MAX_LEVELS)
    validity_months: Count = Field(default=OFFICIAL_VALIDITY_MONTHS, gt=0, le=1200)
    expiry_grace_days: Count = Field(
        default=0,
        ge=0,
        le=365,
        description="Days a certificate under re-evaluation stays valid past its expiry, "
        "where a province's rules allow it; off (0) by default",
    )

    @model_validator(mode="after")
    def _levels_make_a_route(self) -> Rulebook:
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"level names must be unique, got {names}")
        if not self.levels[0].reviews_dossier:
            raise ValueError("the first level must review the dossier")
        if not any(level.scores for level in self.levels):
            raise ValueError("at least one level must score")
        return self

    def level(self, name: str) -> LevelRule:
        for level in self.levels:
            if level.name == name:
                return level
        accepted = ", ".join(level.name for level in self.levels)
        raise DomainError(f"rulebook {self.id} has no level {name!r}; levels: {accepted}")

    def next_level(self, name: str) -> LevelRule | None:
        names = [level.name for level in self.levels]
        index = names.index(self.level(name).name)
        return self.levels[index + 1] if index + 1 < len(self.levels) else None

    def first_scoring_level(self) -> LevelRule:
        return next(level for level in self.levels if level.scores)


class Recognise(BaseModel):
    route: Literal["recognise"] = "recognise"
    level: str
    stars: Stars


class Forward(BaseModel):
    route: Literal["forward"] = "forward"
    to_level: str


class NoCertificate(BaseModel):
    route: Literal["no_certificate"] = "no_certificate"
    stars: Stars
    reason: str


Routing = Recognise | Forward | NoCertificate


def route_after_scoring(rulebook: Rulebook, level_name: str, result: CouncilResult) -> Routing:
    """Where a council result sends the case.

    A score at or above the level's threshold goes up when there is a level above.
    Otherwise the level recognises the stars if it may; stars that only a lower level
    may recognise (a product sent up that scored lower there) are recognised by the
    nearest such level. Below 3★ the round ends without a certificate.
    """
    level = rulebook.level(level_name)
    upper = rulebook.next_level(level_name)
    if (
        upper is not None
        and level.forward_at is not None
        and result.mandatory_criteria_met
        and result.mean >= level.forward_at
    ):
        return Forward(to_level=upper.name)
    if not is_certifiable(result.stars):
        reason = (
            "a mandatory 3★ criterion is not met"
            if not result.mandatory_criteria_met
            else f"{result.mean} points is below the 50 needed for 3★"
        )
        return NoCertificate(stars=result.stars, reason=reason)
    names = [item.name for item in rulebook.levels]
    for candidate in reversed(rulebook.levels[: names.index(level.name) + 1]):
        if result.stars in candidate.recognises:
            return Recognise(level=candidate.name, stars=result.stars)
    # A level above could recognise these stars, but the score did not reach the threshold.
    return NoCertificate(
        stars=result.stars,
        reason=(
            f"no level of rulebook {rulebook.id} up to {level.name} recognises {int(result.stars)}★"
        ),
    )


# The ministry's council is the same under both rulebooks.
_CENTRAL = LevelRule(
    name="central",
    authority_vi="Bộ Nông nghiệp và Môi trường",
    authority_en="Ministry of Agriculture and Environment",
    reviews_dossier=False,
    scores=True,
    recognises=frozenset({Stars.FIVE}),
)

QD148_2023 = Rulebook(
    id="qd148-2023",
    title="Quyết định 148/QĐ-TTg (2023): huyện → tỉnh → trung ương",
    effective_from=date(2023, 2, 24),
    levels=(
        LevelRule(
            name="district",
            authority_vi="Ủy ban nhân dân cấp huyện",
            authority_en="District People's Committee",
            reviews_dossier=True,
            scores=True,
            recognises=frozenset({Stars.THREE}),
            forward_at=Decimal(70),
        ),
        LevelRule(
            name="province",
            authority_vi="Ủy ban nhân dân cấp tỉnh",
            authority_en="Provincial People's Committee",
            reviews_dossier=False,
            scores=True,
            recognises=frozenset({Stars.FOUR}),
            forward_at=Decimal(90),
        ),
        _CENTRAL,
    ),
)

QD1489_2025 = Rulebook(
    id="qd1489-2025",
    title="Quyết định 1489/QĐ-TTg (2025): xã → tỉnh → trung ương",
    effective_from=date(2025, 7, 6),
    levels=(
        LevelRule(
            name="commune",
            authority_vi="Ủy ban nhân dân cấp xã",
            authority_en="Commune People's Committee",
            reviews_dossier=True,
            scores=False,
            assesses_local_origin=True,
        ),
        LevelRule(
            name="province",
            authority_vi="Ủy ban nhân dân cấp tỉnh",
            authority_en="Provincial People's Committee",
            reviews_dossier=False,
            scores=True,
            recognises=frozenset({Stars.THREE, Stars.FOUR}),
            forward_at=Decimal(90),
        ),
        _CENTRAL,
    ),
)

RULEBOOKS: dict[str, Rulebook] = {book.id: book for book in (QD148_2023, QD1489_2025)}
DEFAULT_RULEBOOK_ID = QD148_2023.id


def rulebook(rulebook_id: str) -> Rulebook:
    try:
        return RULEBOOKS[rulebook_id]
    except KeyError:
        accepted = ", ".join(sorted(RULEBOOKS))
        raise DomainError(
            f"unknown rulebook {excerpt(rulebook_id)!r}; accepted: {accepted}"
        ) from None


def rulebook_in_force(on: date) -> Rulebook:
    """The newest shipped rulebook in force on a date (for cases that start then)."""
    in_force = [book for book in RULEBOOKS.values() if book.effective_from <= on]
    if not in_force:
        raise DomainError(f"no shipped rulebook was in force on {on.isoformat()}")
    return max(in_force, key=lambda book: book.effective_from)


def council_roster_refusal(rules: Rulebook, councils: Collection[Council]) -> str | None:
    """Every level the rulebook scores at needs its council's roster, or no one can score."""
    scoring = [level.name for level in rules.levels if level.scores]
    have = {council.level for council in councils}
    missing = [name for name in scoring if name not in have]
    if not missing:
        return None
    return (
        f"rulebook {rules.id} scores at {', '.join(scoring)}; "
        f"no council roster given for: {', '.join(missing)}"
    )
