"""A cycle's batch recognition decisions, as pure rules.

On each recognising level's date the cycle issues one numbered decision per
decision-making authority for every product awaiting recognition there:

- `plan_decisions` groups the products awaiting recognition at a level by authority
  (`authority_for`) into numbered decisions (`decision_number`), with sequential
  certificates (`allocate_certificates`, `certificate_number`);
- `RecognitionBatch` / `RecognitionBatchResult` are the fan-out activity's messages;
- `summarise_decision` keeps a decision compactly, as the report and the state do;
  `decision_parts` is its list as the register keeps it, a part per fan-out chunk;
- `recognised_progress` and `skipped_codes` are what the outcomes tell the cycle about
  its products before their own signals arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from models.case import CaseStage
from models.cycle import CaseProgress, DecisionSummary
from models.cycle_settings import CycleInput, CycleSettings, DecisionAuthority
from models.dossier import DocumentNumber
from models.errors import DomainError
from models.stars import Stars

# ----------------------------------------------------------------------- numbering


def decision_number(authority: DecisionAuthority, year: int, issued_before: int) -> str:
    return f"{authority.first_number + issued_before}/{year}/{authority.prefix}"


def certificate_number(decision: str, sequence: int) -> str:
    """The n-th certificate of a decision: the decision number and a sequence number."""
    if sequence < 1:
        raise DomainError(f"certificate sequence numbers start at 1, got {sequence}")
    return f"{decision}-{sequence:03d}"


# ------------------------------------------------------------------------ planning


def authority_for(settings: CycleSettings, level: str, locality: str) -> DecisionAuthority:
    """The authority deciding for a locality at a level: its own, the level's, or the rulebook's."""
    mine = [a for a in settings.authorities if a.level == level]
    for authority in mine:
        if locality in authority.localities:
            return authority
    for authority in mine:
        if not authority.localities:
            return authority
    rule = settings.rulebook.level(level)
    return DecisionAuthority(level=level, authority=rule.authority_vi)


class RecognitionItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    workflow_id: str
    product_code: str
    certificate_number: DocumentNumber


class PlannedDecision(BaseModel):
    """One numbered batch decision: every listed product and its certificate number."""

    model_config = ConfigDict(frozen=True)

    level: str
    authority: str
    authority_key: str
    number: DocumentNumber
    decided_on: date
    items: tuple[RecognitionItem, ...]


def allocate_certificates(
    decision: str, products: Iterable[CaseProgress]
) -> tuple[RecognitionItem, ...]:
    """A decision's certificates, numbered in product-code order: same list, same numbers."""
    ordered = sorted(products, key=lambda p: p.product_code)
    return tuple(
        RecognitionItem(
            workflow_id=p.workflow_id,
            product_code=p.product_code,
            certificate_number=certificate_number(decision, index),
        )
        for index, p in enumerate(ordered, start=1)
    )


def awaiting_at(products: Iterable[CaseProgress], level: str) -> list[CaseProgress]:
    return sorted(
        (p for p in products if p.stage == CaseStage.AWAITING_RECOGNITION and p.level == level),
        key=lambda p: p.product_code,
    )


def plan_decisions(
    cycle: CycleInput,
    level: str,
    decided_on: date,
    awaiting: Iterable[CaseProgress],
    issued: Mapping[str, int],
) -> list[PlannedDecision]:
    """One decision per authority for the products awaiting recognition at `level`.

    `issued` counts the decisions each authority (by key) issued earlier in the cycle,
    so numbers run on; the caller adds these decisions to it once they are issued.
    """
    groups: dict[str, tuple[DecisionAuthority, list[CaseProgress]]] = {}
    for progress in awaiting:
        authority = authority_for(cycle, level, progress.locality)
        groups.setdefault(authority.key, (authority, []))[1].append(progress)
    plans = []
    for key in sorted(groups):
        authority, members = groups[key]
        number = decision_number(authority, cycle.year, issued.get(key, 0))
        plans.append(
            PlannedDecision(
                level=level,
                authority=authority.authority,
                authority_key=key,
                number=number,
                decided_on=decided_on,
                items=allocate_certificates(number, members),
            )
        )
    return plans


class RecognitionResult(StrEnum):
    RECOGNISED = "recognised"
    SKIPPED = "skipped"


class RecognitionOutcome(BaseModel):
    """What became of one product listed in a decision."""

    model_config = ConfigDict(frozen=True)

    product_code: str
    certificate_number: str
    result: RecognitionResult
    stars: Stars | None = None
    reason: str = ""


class RecognitionBatch(BaseModel):
    """Products of one decision for the fan-out activity to recognise."""

    decision: PlannedDecision
    items: tuple[RecognitionItem, ...]
    concurrency: int = Field(default=50, ge=1)


class RecognitionBatchResult(BaseModel):
    outcomes: tuple[RecognitionOutcome, ...]


def summarise_decision(
    plan: PlannedDecision, outcomes: Sequence[RecognitionOutcome]
) -> DecisionSummary:
    done = [o.certificate_number for o in outcomes if o.result == RecognitionResult.RECOGNISED]
    return DecisionSummary(
        level=plan.level,
        authority=plan.authority,
        number=plan.number,
        decided_on=plan.decided_on,
        listed=len(plan.items),
        recognised=len(done),
        first_certificate=done[0] if done else None,
        last_certificate=done[-1] if done else None,
    )


class DecisionPart(BaseModel):
    """One part of a decision's list, as the register keeps it under its own key."""

    model_config = ConfigDict(frozen=True)

    key: str
    details: dict[str, JsonValue]


def decision_parts(
    plan: PlannedDecision, outcomes: Sequence[RecognitionOutcome], chunk: int
) -> list[DecisionPart]:
    """The decision's list in parts of `chunk` products, so no single register write
    (and no event of the cycle's history) grows with the size of the province.

    Two districts may number their decisions alike ("1/2024/QĐ-UBND"): the authority's
    key in each part's key keeps their records apart.
    """
    starts = range(0, len(outcomes), chunk)
    return [
        DecisionPart(
            key=f"decision:{plan.authority_key}:{plan.number}:{part}",
            details={
                "level": plan.level,
                "authority": plan.authority,
                "number": plan.number,
                "decided_on": plan.decided_on.isoformat(),
                "part": part,
                "parts": len(starts),
                "products": [
                    {
                        "product_code": outcome.product_code,
                        "certificate_number": outcome.certificate_number,
                        "result": outcome.result.value,
                        "stars": int(outcome.stars) if outcome.stars else None,
                        "reason": outcome.reason,
                    }
                    for outcome in outcomes[start : start + chunk]
                ],
            },
        )
        for part, start in enumerate(starts, start=1)
    ]


def skipped_codes(outcomes: Iterable[RecognitionOutcome]) -> set[str]:
    """Products listed but not recognised (their case had gone, or refused): the closing
    decisions do not list them again. Keyed by lower-cased product code."""
    return {o.product_code.lower() for o in outcomes if o.result == RecognitionResult.SKIPPED}


def recognised_progress(
    products: Mapping[str, CaseProgress], outcomes: Iterable[RecognitionOutcome]
) -> dict[str, CaseProgress]:
    """The products a decision recognised, counted certified even if their own signal is
    still on its way: the new progress of each that still awaited recognition."""
    recognised = {
        o.product_code.lower(): o for o in outcomes if o.result == RecognitionResult.RECOGNISED
    }
    updated: dict[str, CaseProgress] = {}
    for code, outcome in recognised.items():
        current = products.get(code)
        if current is not None and current.stage == CaseStage.AWAITING_RECOGNITION:
            updated[code] = current.model_copy(
                update={
                    "stage": CaseStage.CERTIFIED,
                    "stars": outcome.stars,
                    "awaiting_recognition": False,
                }
            )
    return updated
