"""Malformed and oversized input thrown at a running case and a running cycle.

Hypothesis draws hostile payloads (benchmarks/hostile/payloads.py) for every Update of
a case waiting for its commune's review and for the cycle's `submit`, sent through an
outside client with Temporal's default converter (each signed as its actor, so the
case's own rules answer it), so only the workflows' own defences
stand between the input and history (input over 1.9 MB goes through ocop's client,
which must refuse it before sending: see benchmarks/hostile/targets.py). After each
one both workflows must still answer their queries and a valid Update, neither history
may hold a failed workflow task, and a refusal must be short, clear and name the field.

The dev server is used, not the time-skipping server: the limits that froze cases
(Temporal's payload size limits, which the worker checks against the server's) are
the real server's.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.client import Client

from benchmarks.hostile.payloads import HostileInput, hostile_input
from benchmarks.hostile.signers import Signer
from benchmarks.hostile.targets import (
    Answer,
    Outcome,
    Target,
    answers_queries,
    case_bases,
    send,
    workflow_task_failures,
)
from contracts import case, cycle
from contracts.case import product_workflow_id
from contracts.cycle import cycle_workflow_id
from contracts.refs import UpdateRef, query
from models.assertions import UNVERIFIED
from models.case import CaseStage
from models.cycle_settings import cycle_input
from tests.fixtures.cycle import CYCLE_START, CycleCli, cycle_settings, product
from tests.signing import KEYS, act, producer_of
from tests.waiting import eventually

pytestmark = pytest.mark.devserver

ANSWER_SECONDS = 20.0
"""Far above any healthy answer; a frozen workflow never answers at all."""


@dataclass
class Targets:
    cycle: Target
    case: Target
    bases: dict[UpdateRef[Any, Any], dict[str, Any]]
    duplicate: dict[str, Any]
    """The dossier the cycle already holds: a valid submit it must refuse, not ignore."""
    outcomes: list[Outcome] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="session")
async def targets(cycle_cli: CycleCli) -> AsyncIterator[Targets]:
    """A cycle and a case waiting for review, on `cycle_cli`'s worker (which ends them)."""
    client: Client = cycle_cli.client
    province = cycle_cli.province
    standing = cycle_settings()
    cycle_in = cycle_input(province, 2024, standing, business_start=CYCLE_START)
    cycle_handle = await client.start_workflow(
        cycle.WORKFLOW_TYPE,
        cycle_in,
        id=cycle_workflow_id(province, 2024),
        task_queue=cycle_cli.env["OCOP_TASK_QUEUE"],
    )
    honey = product(province, "MO-BINHLIEU", "Mật ong rừng Bình Liêu")
    await act(cycle_handle, producer_of(honey), cycle.SUBMIT, honey)
    case_handle = client.get_workflow_handle(product_workflow_id(province, "MO-BINHLIEU"))

    async def in_review() -> bool | None:
        status = await query(case_handle, case.STATUS)
        return True if status.stage == CaseStage.LOCAL_REVIEW else None

    await eventually(in_review, "the honey case waiting for its review")
    access = await query(case_handle, case.ACCESS_FACTS)
    yield Targets(
        cycle=Target.of(client, cycle_handle.id, Signer(KEYS)),
        case=Target.of(client, case_handle.id, Signer(KEYS, access)),
        bases=case_bases(honey, standing.councils[0])
        | {cycle.SUBMIT: product(province, "MAM-NGU", "Mắm ngự").model_dump(mode="json")},
        duplicate=honey.model_dump(mode="json"),
    )


@pytest.mark.timeout(420)
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False))
async def test_hostile_input_never_wedges_a_case_or_a_cycle(
    targets: Targets, rng: random.Random
) -> None:
    ref = rng.choice(sorted(targets.bases, key=lambda r: r.name))
    hostile = hostile_input(ref.name, targets.bases[ref], rng)
    handle = targets.cycle if ref is cycle.SUBMIT else targets.case
    outcome = await send(handle, ref, hostile, within=ANSWER_SECONDS)
    targets.outcomes.append(outcome)

    assert outcome.answer is not Answer.NO_ANSWER, hostile.describe()
    assert outcome.shape_valid or outcome.answer is not Answer.ACCEPTED, (
        f"{hostile.describe()} was accepted although its own model refuses it"
    )
    assert outcome.unclear() is None, f"{hostile.describe()}: the refusal {outcome.unclear()}"
    # Signed as its actor, it is judged by the workflow's own checks, not its signature.
    assert outcome.refusal_type != UNVERIFIED, f"{hostile.describe()}: {outcome.message}"
    assert await answers_queries(targets.case.outside, is_cycle=False, within=ANSWER_SECONDS)
    assert await answers_queries(targets.cycle.outside, is_cycle=True, within=ANSWER_SECONDS)
    # Still deciding Updates: a valid one gets its answer (these two, a refusal).
    for where, ref, payload in (
        (targets.case, case.CLOSE_SESSION, targets.bases[case.CLOSE_SESSION]),
        (targets.cycle, cycle.SUBMIT, targets.duplicate),
    ):
        answer = await send(
            where, ref, HostileInput(ref.name, "valid", payload, None), ANSWER_SECONDS
        )
        assert answer.answer in (Answer.ACCEPTED, Answer.REFUSED), f"{ref.name}: {answer.message}"
    assert await workflow_task_failures(targets.case.outside) == 0, hostile.describe()
    assert await workflow_task_failures(targets.cycle.outside) == 0, hostile.describe()
