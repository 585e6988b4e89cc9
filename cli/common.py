"""What every `ocop` command shares: settings, a client, input files, output, refusals.

Every command prints a readable table by default and JSON with `--json`, and exits
non-zero with one clear line on bad input or a refused action.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError

from cli.api_client import ApiUnreachable, StepRefused
from infra.cases import CaseAlreadyOpenError
from infra.refusals import explain_refusal
from infra.settings import ConfigurationError, Settings, load_settings
from infra.temporal import RequestTooLarge, connect
from models.refusal_wording import describe_validation_error

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

NON_TERMINAL_WIDTH = 160
"""Piped or captured output is read whole: wide enough that no table cuts a name."""


def new_console(
    *, stderr: bool = False, highlight: bool = True, soft_wrap: bool = False
) -> Console:
    """A Rich console; off a terminal it writes no escape codes and is wide."""
    made = Console(stderr=stderr, highlight=highlight, soft_wrap=soft_wrap)
    if not made.is_terminal:
        made.width = NON_TERMINAL_WIDTH
    return made


console = new_console()
errors = new_console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    """One line on stderr, then exit: what went wrong and what is accepted.

    `message` is printed as it is: Rich markup in it (a file named `dossier [draft].yaml`)
    is escaped here, so callers must not escape it themselves.
    """
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        fail(str(error), EXIT_BAD_INPUT)


def run(action: Callable[[Client, Settings], Awaitable[T]]) -> T:
    """Connect to Temporal and run `action`, turning refusals into one clear line."""
    config = settings()

    async def main() -> T:
        try:
            client = await connect(config)
        except ConfigurationError as error:
            fail(str(error), EXIT_BAD_INPUT)
        except RuntimeError as error:
            fail(
                f"cannot reach Temporal at {config.temporal_address} ({error}); "
                "start it with `ocop dev up` or set OCOP_TEMPORAL_ADDRESS"
            )
        return await action(client, config)

    try:
        return asyncio.run(main())
    except WorkflowUpdateFailedError as error:
        fail(f"refused: {explain_refusal(error)}")
    except StepRefused as error:
        api_refusal(error)
    except CaseAlreadyOpenError as error:
        fail(str(error))
    except RequestTooLarge as error:
        fail(str(error), EXIT_BAD_INPUT)
    except RPCError as error:
        fail(f"Temporal answered: {error.message}")


def api_refusal(error: StepRefused) -> NoReturn:
    """The API's refusal as one line: its problem's detail, the same words as ever."""
    if isinstance(error, ApiUnreachable):
        fail(f"{error}; is `ocop dev up` running, or OCOP_API_URL set?")
    if error.status == 401:
        fail(f"refused: {error}; sign in again with `ocop login`")
    fail(f"refused: {error}", EXIT_BAD_INPUT if error.status in (413, 422) else EXIT_REFUSED)


def read_data(path: Path) -> Any:
    """What a JSON or YAML file holds (JSON for `.json`, YAML otherwise).

    A file that is missing, not UTF-8 text or does not parse is one line naming it, with
    the line and column of a YAML error, and exit 2. Every command reads its files here.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}", EXIT_BAD_INPUT)
    except UnicodeDecodeError:
        fail(f"{path} is not a UTF-8 text file (JSON or YAML)", EXIT_BAD_INPUT)
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        fail(f"{path} is not valid JSON: {error}", EXIT_BAD_INPUT)
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())  # PyYAML's message spans several lines
        if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
            mark = error.problem_mark
            detail = f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
        fail(f"{path} is not valid YAML: {detail}", EXIT_BAD_INPUT)


def read_mapping(path: Path | None, what: str) -> dict[str, Any]:
    """A file's top-level mapping (`what` names its fields); no file or an empty one is {}."""
    if path is None:
        return {}
    data = read_data(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        fail(f"{path}: expected a mapping of {what} at the top level", EXIT_BAD_INPUT)
    return data


def load_model(path: Path, model: type[M], what: str) -> M:
    """A JSON or YAML file as a model; a bad file is one clear line, exit 2."""
    return validated(model, read_mapping(path, what), str(path))


def validated(
    model: type[M],
    data: Mapping[str, Any],
    where: str = "",
    *,
    flags: Mapping[str, str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> M:
    """`data` as a model; what is wrong with it is one line (prefixed by `where`), exit 2."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        text = describe_validation(error, flags=flags, hints=hints)
        fail(f"{where}: {text}" if where else text, EXIT_BAD_INPUT)


def describe_validation(
    error: ValidationError,
    *,
    flags: Mapping[str, str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> str:
    """pydantic's findings as one line: where, what was wrong, what is accepted.

    The wording is the models' (`describe_validation_error`), so the CLI and a refused
    Update read alike; `flags` and `hints` are described there.
    """
    return describe_validation_error(error, flags=flags, hints=hints)


# ------------------------------------------------- a worker that does not answer

QUERY_TIMEOUT = 5.0
"""Seconds a worker has to answer a query (it takes well under one)."""

UPDATE_TIMEOUT = 30.0
"""Seconds a worker has to complete an Update (it may record and mail first)."""

WORKER_HINT = "start one with `ocop dev up` or `python worker.py` (OCOP_TASK_QUEUE={queue})"


async def answer_query(client: Client, handle: WorkflowHandle[Any, Any], query: Awaitable[T]) -> T:
    """The answer to `query` on `handle`'s workflow, or one line when no worker gives it."""
    return await _answered(client, handle, query, QUERY_TIMEOUT, "")


async def answer_update(
    client: Client, handle: WorkflowHandle[Any, Any], update: Awaitable[T], check: str
) -> T:
    """The outcome of `update`, or one line when no worker completes it in time; `check`
    says how to see later whether it was applied (it may be, once a worker starts)."""
    return await _answered(
        client,
        handle,
        update,
        UPDATE_TIMEOUT,
        f"; the update may still be applied when a worker starts: check with {check}",
    )


async def _answered(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    work: Awaitable[T],
    within: float,
    after: str,
) -> T:
    try:
        return await asyncio.wait_for(work, within)
    # An Update cut short answers "timeout or cancellation waiting for update" instead.
    except (TimeoutError, RPCTimeoutOrCancelledError):
        queue = await _task_queue(handle)
        if await _polled(client, queue):
            # A worker is there but busy (closing a large cycle fans out its decisions).
            fail(
                f"no answer within {within:g} s although a worker polls task queue {queue}: "
                f"it is busy or the workflow is stuck{after}"
            )
        fail(
            f"no worker answered within {within:g} s: no worker seems to be polling task "
            f"queue {queue}; {WORKER_HINT.format(queue=queue)}{after}"
        )


async def _polled(client: Client, queue: str) -> bool:
    """Whether any worker polled `queue` for workflow tasks lately (False if unknown)."""
    try:
        described = await asyncio.wait_for(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            ),
            QUERY_TIMEOUT,
        )
    except (RPCError, TimeoutError):
        return False
    return bool(described.pollers)


async def _task_queue(handle: WorkflowHandle[Any, Any]) -> str:
    """The task queue the workflow runs on (the server knows it without a worker)."""
    try:
        return (await asyncio.wait_for(handle.describe(), QUERY_TIMEOUT)).task_queue
    except (RPCError, TimeoutError):
        return settings().task_queue


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 dossier', '2 dossiers' ('1 register write', '0 register writes')."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def print_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    elif isinstance(data, list) and all(isinstance(item, BaseModel) for item in data):
        text = json.dumps([item.model_dump(mode="json") for item in data], indent=2)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    console.print_json(text)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)
