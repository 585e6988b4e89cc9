"""What every `ocop` command shares: settings, a client, input files, output, refusals.

Every command prints a readable table by default and JSON with `--json`, and exits
non-zero with one clear line on bad input or a refused action.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from infra.cases import CaseAlreadyOpenError, explain_refusal
from infra.settings import ConfigurationError, Settings, load_settings
from infra.temporal import connect

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

console = Console()
errors = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    """One line on stderr, then exit: what went wrong and what is accepted."""
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
    except CaseAlreadyOpenError as error:
        fail(str(error))
    except RPCError as error:
        fail(f"Temporal answered: {error.message}")


def load_model(path: Path, model: type[M]) -> M:
    """Read a JSON or YAML file into a model; a bad file is one clear line, exit 2."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}", EXIT_BAD_INPUT)
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        fail(f"{path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {error}", EXIT_BAD_INPUT)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fail(f"{path}: {describe_validation(error)}", EXIT_BAD_INPUT)


def describe_validation(error: ValidationError) -> str:
    """pydantic's findings as one line: where, what was wrong."""
    parts = []
    for item in error.errors():
        where = ".".join(str(step) for step in item["loc"]) or "input"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


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
