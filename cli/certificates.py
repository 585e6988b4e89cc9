"""`ocop admin certificates load`: the certificates a province issued before ocop-flow.

The national register's lines for the province (CSV, UTF-8, a header naming the columns
of `models.held_certificates.REGISTER_COLUMNS`; see examples/certificates-quang-ninh.csv)
become one case each, started certified: the producer is told, reminded before expiry,
and the certificate lapses, is re-evaluated or revoked like one recognised here. The
whole file is checked first and nothing loads until every line is right. A load that
stops (Ctrl-C, a lost connection) is resumed by running it again on the same file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client

from cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    console,
    errors,
    fail,
    print_json,
    read_mapping,
    run,
    validated,
)
from cli.cycle.target import ProvinceOption
from infra.certificate_loading import (
    LoadProgress,
    NoWorkerError,
    RegisterFileError,
    held_case,
    load_certificates,
    read_register,
)
from infra.settings import Settings
from models.clock import VIETNAM
from models.cycle_settings import CycleSettings

certificates_app = typer.Typer(
    help="Certificates issued before ocop-flow: load the national register's lines.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# A cycle's file may be given as it is: its year's calendar does not concern loading.
YEAR_ONLY_FIELDS = ("province", "year", "calendar", "business_start")


@certificates_app.command("load")
def load_command(
    register_file: Annotated[
        Path,
        typer.Argument(metavar="REGISTER.csv", help="The register's lines.", show_default=False),
    ],
    province: ProvinceOption,
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            metavar="SETTINGS.yaml",
            help="The province's rulebook, councils, administrators and policy (the file "
            "of `ocop cycle start` or `ocop cycle schedule`).",
        ),
    ],
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=500, help="Cases started at once.")
    ] = 50,
    check: Annotated[
        bool, typer.Option("--check", help="Check the file only; start nothing.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Start a certified case for each certificate of the register file, once."""
    data = read_mapping(config, "province settings")
    for field in YEAR_ONLY_FIELDS:
        data.pop(field, None)
    standing = validated(CycleSettings, data, str(config))
    today = datetime.now(VIETNAM).date()
    try:
        lines = read_register(register_file, province, standing, today)
    except (RegisterFileError, OSError) as bad:
        fail(str(bad), EXIT_BAD_INPUT)
    cases = [held_case(line, standing) for line in lines]
    if check:
        console.print(f"{register_file}: {len(cases)} certificate(s), every line can be loaded")
        return

    async def action(client: Client, settings: Settings) -> LoadProgress:
        try:
            return await load_certificates(
                client, settings.task_queue, cases, concurrency=concurrency, report=_tell
            )
        except NoWorkerError as stalled:
            fail(str(stalled))

    loaded = run(action)
    summary = {
        "certificates": loaded.total,
        "started": loaded.started,
        "already_loaded": loaded.already_loaded,
        "other_case": loaded.other_case,
    }
    if json_output:
        print_json(summary)
        return
    console.print(
        f"Đã nạp / loaded {loaded.started} certificate(s) of {loaded.total}; "
        f"{loaded.already_loaded} loaded before",
        highlight=False,
    )
    if loaded.other_case:
        console.print(
            f"{len(loaded.other_case)} product(s) have a case of their own already, left as "
            f"they are (see `ocop status`): {', '.join(loaded.other_case)}",
            highlight=False,
        )


def _tell(progress: LoadProgress) -> None:
    """A progress line on stderr: how many, how fast, how long still."""
    left = (progress.total - progress.done) / max(progress.per_second, 1e-6)
    errors.print(
        f"{progress.done}/{progress.total} ({progress.per_second:.0f}/s, "
        f"about {left / 60:.0f} min left)",
        highlight=False,
    )
