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
  its products before their own signals arrive;
- a product the decision could not recognise is kept in its summary with why
  (`UnrecognisedProduct`); `retry_at` is the rule for what to do with it (ask again
  later, a bounded number of times, or give up), `due_retries` and `merge_retry` take a
  later attempt under the same decision and certificate number, and `resumed_outcomes`
  lets a retried fan-out activity start where its last heartbeat said it stood.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from models.case import CaseStage
from models.cycle import CaseProgress, DecisionSummary, RecognitionFailure, UnrecognisedProduct
from models.cycle_settings import CycleInput, CycleSettings, DecisionAuthority
from models.dossier import DocumentNumber
from models.errors import DomainError
from models.signed import SignedAction
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


class Listed(Protocol):
    """A product as a decision lists it (a cycle's progress line, a case's status)."""

    @property
    def workflow_id(self) -> str: ...

    @property
    def product_code(self) -> str: ...


def allocate_certificates(decision: str, products: Iterable[Listed]) -> tuple[RecognitionItem, ...]:
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
    failure: RecognitionFailure | None = Field(
        default=None, description="Why it was not recognised (None: recognised, or legacy)"
    )


class RecognitionBatch(BaseModel):
    """Products of one decision for the fan-out activity to recognise."""

    decision: PlannedDecision
    items: tuple[RecognitionItem, ...]
    concurrency: int = Field(default=50, ge=1)
    opened_by: SignedAction | None = Field(
        default=None, description="The cycle's signed opening (`CycleInput.opened_by`)"
    )
    opening_digest: str = Field(default="", description="What that opening must have signed")
    province: str = Field(default="", description="The cycle's province")


class RecognitionBatchResult(BaseModel):
    outcomes: tuple[RecognitionOutcome, ...]


def summarise_decision(
    plan: PlannedDecision,
    outcomes: Sequence[RecognitionOutcome],
    now: datetime | None = None,
) -> DecisionSummary:
    """The decision as the cycle keeps it, with every product it could not recognise.

    `now` (workflow time) schedules the retries `retry_at` allows; None retries nothing
    (cycles that started before retries existed).
    """
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
        authority_key=plan.authority_key,
        unrecognised=unrecognised(plan.items, outcomes, now, attempts={}),
    )


# ------------------------------------------------------- products not recognised

PRODUCT_RECOGNITION_TIMEOUT: Final = timedelta(seconds=12)
"""How long the batch waits on one product's Update (with the look at its case) before it
looks whether the case can still answer: a frozen or ended one is given up on for this
attempt then, and never holds the others; one that is only slow is waited for again."""
PRODUCT_RECOGNITION_LIMIT: Final = timedelta(minutes=10)
"""How long a product that stays slow, yet neither frozen nor ended, is waited for in one
attempt. Only a hang detector: a saturated machine makes every case slow at a decision
moment, and its products are recognised in this attempt, not reported as unanswered."""

RECOGNITION_RETRY_INTERVAL: Final = timedelta(minutes=10)
"""How long (workflow time) the cycle waits before asking a product again."""

MAX_RECOGNITION_ATTEMPTS: Final = 6
"""Attempts per product and decision (the first included) before the cycle gives up."""

RETRYABLE_FAILURES: Final = frozenset(
    {RecognitionFailure.FROZEN, RecognitionFailure.TIMED_OUT, RecognitionFailure.UNAVAILABLE}
)
"""Failures a later attempt may overcome. A case that is gone, or refused the decision
(a number another product holds, a case not awaiting it), would answer the same again."""


def failure_of(outcome: RecognitionOutcome) -> RecognitionFailure | None:
    """Why a product was not recognised; a legacy skip (no failure named) was a refusal."""
    if outcome.result == RecognitionResult.RECOGNISED:
        return None
    return outcome.failure or RecognitionFailure.REFUSED


def retry_at(failure: RecognitionFailure, attempts: int, now: datetime | None) -> datetime | None:
    """What to do with a product not recognised after `attempts` attempts: the moment to
    ask again, or None to give up (and tell the administrators it was given up on)."""
    if now is None or failure not in RETRYABLE_FAILURES or attempts >= MAX_RECOGNITION_ATTEMPTS:
        return None
    return now + RECOGNITION_RETRY_INTERVAL


def unrecognised(
    items: Sequence[RecognitionItem],
    outcomes: Sequence[RecognitionOutcome],
    now: datetime | None,
    attempts: Mapping[str, int],
) -> tuple[UnrecognisedProduct, ...]:
    """The listed products the outcomes did not recognise, each with why and what next.

    `attempts` counts each product's earlier attempts (by product code), 0 if absent.
    """
    by_code = {item.product_code: item for item in items}
    left = []
    for outcome in outcomes:
        failure = failure_of(outcome)
        item = by_code.get(outcome.product_code)
        if failure is None or item is None:
            continue
        tried = attempts.get(outcome.product_code, 0) + 1
        left.append(
            UnrecognisedProduct(
                product_code=outcome.product_code,
                workflow_id=item.workflow_id,
                certificate_number=outcome.certificate_number,
                failure=failure,
                reason=outcome.reason,
                attempts=tried,
                retry_at=retry_at(failure, tried, now),
            )
        )
    return tuple(left)


def due_retries(
    decisions: Sequence[DecisionSummary], now: datetime, *, all_waiting: bool = False
) -> list[tuple[int, PlannedDecision]]:
    """Each decision (by index) with the products due to be asked again, as a plan of
    the same decision: same number, same date, same certificate numbers.
    `all_waiting` takes every product still to be retried (the cycle is closing)."""
    due = []
    for index, summary in enumerate(decisions):
        items = tuple(
            RecognitionItem(
                workflow_id=left.workflow_id,
                product_code=left.product_code,
                certificate_number=left.certificate_number,
            )
            for left in summary.unrecognised
            if left.retry_at is not None and (all_waiting or left.retry_at <= now)
        )
        if items:
            due.append(
                (
                    index,
                    PlannedDecision(
                        level=summary.level,
                        authority=summary.authority,
                        authority_key=summary.authority_key,
                        number=summary.number,
                        decided_on=summary.decided_on,
                        items=items,
                    ),
                )
            )
    return due


def merge_retry(
    summary: DecisionSummary,
    retried: PlannedDecision,
    outcomes: Sequence[RecognitionOutcome],
    now: datetime | None,
) -> DecisionSummary:
    """The decision after a later attempt: newly recognised products counted (its first
    and last certificate widened), the others kept with one more attempt."""
    asked = {item.product_code for item in retried.items}
    attempts = {left.product_code: left.attempts for left in summary.unrecognised}
    still = unrecognised(retried.items, outcomes, now, attempts)
    done = [o.certificate_number for o in outcomes if o.result == RecognitionResult.RECOGNISED]
    certificates = [c for c in (summary.first_certificate, summary.last_certificate) if c] + done
    kept = tuple(left for left in summary.unrecognised if left.product_code not in asked)
    return summary.model_copy(
        update={
            "recognised": summary.recognised + len(done),
            "first_certificate": min(certificates) if certificates else None,
            "last_certificate": max(certificates) if certificates else None,
            "unrecognised": kept + still,
        }
    )


def unrecognised_to_tell(
    before: DecisionSummary | None, after: DecisionSummary
) -> tuple[UnrecognisedProduct, ...]:
    """What the administrators are told after an attempt at a decision: on its first,
    every product it could not recognise; on a later one, those just given up on."""
    if before is None:
        return after.unrecognised
    waiting = {left.product_code for left in before.unrecognised if left.retry_at is not None}
    return tuple(
        left
        for left in after.unrecognised
        if left.retry_at is None and left.product_code in waiting
    )


def next_retry(decisions: Iterable[DecisionSummary]) -> datetime | None:
    """The earliest moment a product is to be asked again, if any is."""
    moments = [
        left.retry_at
        for summary in decisions
        for left in summary.unrecognised
        if left.retry_at is not None
    ]
    return min(moments) if moments else None


def resumed_outcomes(
    details: Sequence[object], items: Sequence[RecognitionItem]
) -> dict[str, RecognitionOutcome]:
    """What a fan-out activity's last heartbeat said was done, by product code: a retried
    attempt starts from there. Details it cannot read are ignored (it asks again)."""
    if not details or not isinstance(details[-1], list):
        return {}
    listed = {item.product_code for item in items}
    done: dict[str, RecognitionOutcome] = {}
    for entry in details[-1]:
        try:
            outcome = RecognitionOutcome.model_validate(entry)
        except ValidationError:
            continue
        if outcome.product_code in listed:
            done[outcome.product_code] = outcome
    return done


class DecisionPart(BaseModel):
    """One part of a decision's list, as the register keeps it under its own key."""

    model_config = ConfigDict(frozen=True)

    key: str
    details: dict[str, JsonValue]


def decision_parts(
    plan: PlannedDecision, outcomes: Sequence[RecognitionOutcome], chunk: int, attempt: int = 1
) -> list[DecisionPart]:
    """The decision's list in parts of `chunk` products, so no single register write
    (and no event of the cycle's history) grows with the size of the province.

    Two districts may number their decisions alike ("1/2024/QĐ-UBND"): the authority's
    key in each part's key keeps their records apart. A later attempt at the products
    the decision could not recognise (`attempt` > 1) is written under keys of its own.
    """
    starts = range(0, len(outcomes), chunk)
    retry = f"retry{attempt}:" if attempt > 1 else ""
    return [
        DecisionPart(
            key=f"decision:{plan.authority_key}:{plan.number}:{retry}{part}",
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
                        **_failure_details(outcome),
                    }
                    for outcome in outcomes[start : start + chunk]
                ],
            },
        )
        for part, start in enumerate(starts, start=1)
    ]


def _failure_details(outcome: RecognitionOutcome) -> dict[str, JsonValue]:
    failure = failure_of(outcome)
    return {} if failure is None else {"failure": failure.value}


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
