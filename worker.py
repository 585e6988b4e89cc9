"""Runs the ocop worker: every workflow and activity on the configured task queue.

Workers scale out horizontally: start as many as needed on the same task queue.
"""

from __future__ import annotations

import asyncio
import compileall
import logging
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cycle import CycleActivities
from activities.notify import NotificationActivities
from activities.register import RegisterActivities
from infra.action_keys import ActionKeys
from infra.criteria_store import CriteriaStore
from infra.database import create_engine, migrate, session_factory
from infra.log_privacy import mask_addresses_everywhere
from infra.settings import Settings, load_settings
from infra.temporal import connect
from workflows.annual_cycle import AnnualCycleWorkflow
from workflows.cycle_launcher import CycleLauncherWorkflow
from workflows.product_lifecycle import ProductLifecycleWorkflow
from workflows.trust import trust

WORKFLOWS: Sequence[type] = (ProductLifecycleWorkflow, AnnualCycleWorkflow, CycleLauncherWorkflow)

# pydantic's EmailStr imports email_validator lazily; it is deterministic, so workflows
# may share the worker's copy instead of re-importing it inside the sandbox. Rich renders
# the console's log lines (`ocop dev up`, the demo), workflow.logger's included: its lazy
# imports inside the sandbox hit restricted calls (os.getcwd) and failed the workflow task.
#
# The workflows' helper modules hold no state of their own and call nothing outside
# `temporalio.workflow` (tests/test_layers.py holds them to it): shared with the worker,
# a new case does not execute them again in its sandbox, which was a tenth of the
# worker's busy time. The modules that define the workflows are still loaded afresh,
# and checked, in each sandbox.
WORKFLOW_HELPERS: Sequence[str] = (
    "workflows.case",
    "workflows.calendar",
    "workflows.cycle_batches",
    "workflows.cycle_progress",
    "workflows.cycle_steps",
    "workflows.handlers",
    "workflows.refusal",
    "workflows.signed_actions",
    "workflows.trust",
)
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "email_validator", "idna", "rich", "joserfc", "cryptography", *WORKFLOW_HELPERS
    )
)

log = logging.getLogger("ocop.worker")


def compile_workflow_bytecode() -> None:
    """Each new workflow imports the workflow modules afresh inside its sandbox; with
    their bytecode on disk that is a load, not a compile of every file (a fifth of a
    case's first task where PYTHONDONTWRITEBYTECODE stops Python writing it itself).
    A read-only tree (an installed package has its bytecode already) is left as it is."""
    compileall.compile_dir(Path(__file__).parent / "workflows", quiet=2)


def build_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str | None = None,
) -> Worker:
    queue = task_queue or settings.task_queue
    compile_workflow_bytecode()
    register = RegisterActivities(sessions)
    notifications = NotificationActivities(sessions, settings)
    keys = ActionKeys.load_or_create(settings.action_keys_path)
    # Validators verify people's actions with the public keys; the cycle's activities
    # sign what the cycle does in their names.
    trust(keys.public_jwks())
    cycles = CycleActivities(client, sessions, queue, keys, CriteriaStore(settings.data_dir))
    return Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=[
            register.record_case_event,
            register.write_case_record,
            register.claim_certificate_number,
            notifications.send_notification,
            *cycles.all(),
        ],
        workflow_runner=SANDBOX,
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Migrate the register, then poll the task queue until `stop` is set (or forever)."""
    await migrate(settings.register_url)
    engine = create_engine(settings.register_url)
    client = await connect(settings)
    worker = build_worker(client, settings, session_factory(engine))
    log.info("worker polling task queue %r at %s", settings.task_queue, settings.temporal_address)
    try:
        async with worker:
            await (stop.wait() if stop is not None else asyncio.Future())
    finally:
        await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    mask_addresses_everywhere()
    asyncio.run(run_worker(load_settings()))


if __name__ == "__main__":
    main()
