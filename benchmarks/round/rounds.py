"""One round each way: the project's product case, and the skeleton, timed step by step."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from temporalio.client import Client, WorkflowHandle

from benchmarks import people
from benchmarks.fanout.province import LEVEL, SCORES, council, dossier, scorecard
from benchmarks.round import skeleton
from benchmarks.round.skeleton import SKELETON_TYPE
from contracts import case
from infra.action_keys import ActionKeys
from infra.actions import act
from infra.cases import open_case
from models.case import (
    CaseStage,
    CloseSessionRequest,
    LifecycleInput,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    ScorecardSubmission,
)
from models.clock import VIETNAM
from models.rulebook import QD148_2023

AUTHORITY = "UBND huyện 01"


@dataclass
class Timings:
    """What one kind of round measured: each round's seconds and its scorecard Updates'."""

    rounds: list[float] = field(default_factory=list)
    scorecards: list[float] = field(default_factory=list)
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)


def case_input(province: str, index: int) -> LifecycleInput:
    rules = QD148_2023
    return LifecycleInput(
        dossier=dossier(province, index, districts=1),
        rulebook=rules,
        councils=tuple(council(level) for level in ("district", "province", "central")),
        cycle_year=2024,
    )


async def project_round(
    client: Client, keys: ActionKeys, task_queue: str, province: str, index: int, into: Timings
) -> None:
    """Open a case, accept it, three scorecards, close, recognise: until its certificate."""
    begun = time.perf_counter()
    lifecycle = case_input(province, index)
    handle = await open_case(client, lifecycle, task_queue)
    place = lifecycle.dossier
    review = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Phòng Nông nghiệp")
    await act(handle, keys, people.reviewer(province, place.locality), case.REVIEW, review)
    members = [m.member_id for m in lifecycle.council(LEVEL).members]
    for member_id, total in zip(members, SCORES, strict=False):
        card = ScorecardSubmission(scorecard=scorecard(member_id, total, lifecycle.rulebook.maxima))
        sent = time.perf_counter()
        member = people.member(province, LEVEL, member_id)
        await act(handle, keys, member, case.SUBMIT_SCORECARD, card)
        into.scorecards.append(time.perf_counter() - sent)
    close = CloseSessionRequest(level=LEVEL, closed_by="Thư ký")
    await act(handle, keys, people.secretary(province, LEVEL), case.CLOSE_SESSION, close)
    decision = RecognitionDecision(
        level=LEVEL,
        authority=AUTHORITY,
        decision_number=f"{index}/QĐ-UBND",
        decided_on=_today(),
        certificate_number=f"{province[-6:]}-{index:05d}",
    )
    signer = people.authority(province, LEVEL, AUTHORITY)
    stage = await act(handle, keys, signer, case.RECOGNISE, decision)
    if stage != CaseStage.CERTIFIED:
        raise RuntimeError(f"{handle.id}: the round ended at {stage}, not certified")
    into.rounds.append(time.perf_counter() - begun)
    into.handles.append(handle)


async def skeleton_round(client: Client, task_queue: str, index: int, into: Timings) -> None:
    """The same steps on the skeleton, to its completion."""
    begun = time.perf_counter()
    handle: WorkflowHandle[Any, Any] = await client.start_workflow(
        SKELETON_TYPE, id=f"bench-skeleton-{uuid.uuid4().hex[:12]}", task_queue=task_queue
    )
    await handle.execute_update(skeleton.REVIEW, "accept")
    for total in SCORES:
        sent = time.perf_counter()
        await handle.execute_update(skeleton.SCORECARD, total)
        into.scorecards.append(time.perf_counter() - sent)
    await handle.execute_update(skeleton.CLOSE, LEVEL)
    await handle.execute_update(skeleton.RECOGNISE, f"{index}/QĐ-UBND")
    await handle.result()
    into.rounds.append(time.perf_counter() - begun)
    into.handles.append(handle)


def _today() -> date:
    from datetime import datetime

    return datetime.now(VIETNAM).date()
