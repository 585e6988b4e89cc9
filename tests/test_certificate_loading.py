"""Loading the national register's certificates: the whole file checked first, then one
certified case per line, and a second load of the same file resuming instead of
starting anything twice."""

from __future__ import annotations

import csv
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from contracts.case import product_workflow_id
from infra.certificate_loading import (
    LoadProgress,
    NoWorkerError,
    RegisterFileError,
    held_case,
    load_certificates,
    read_register,
)
from models.case import CaseStage
from models.cycle_settings import CycleSettings
from models.held_certificates import REGISTER_COLUMNS
from tests.factories import case_input
from tests.fixtures.lifecycle import CaseWorld
from workflows.product_lifecycle import ProductLifecycleWorkflow

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "certificates-quang-ninh.csv"
TODAY = date(2026, 1, 15)
TEMPLATE = case_input()
SETTINGS = CycleSettings(councils=TEMPLATE.councils, administrators=TEMPLATE.administrators)


def example_rows(suffix: str = "") -> list[dict[str, str]]:
    with EXAMPLE.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [row | {"product_code": f"{row['product_code']}{suffix}"} for row in rows]


def register_file(folder: Path, rows: list[dict[str, str]], name: str = "register.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]) if rows else REGISTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_example_register_reads_whole() -> None:
    lines = read_register(EXAMPLE, "quang-ninh", SETTINGS, TODAY)
    assert [(line.number, line.held.number, int(line.held.stars)) for line in lines] == [
        (2, "BL-2024-011", 3),
        (3, "BL-2024-012", 3),
        (4, "QN-2025-0087", 4),
        (5, "TW-2025-0142", 5),
    ]


def test_nothing_loads_until_every_line_is_right_and_each_wrong_one_is_named(
    tmp_path: Path,
) -> None:
    rows = example_rows()
    rows[1] |= {"stars": "six"}
    rows[2] |= {"valid_until": "2024-12-31"}  # ran out before today
    rows.append(dict(rows[0]))  # the same product again
    with pytest.raises(RegisterFileError) as refused:
        read_register(register_file(tmp_path, rows), "quang-ninh", SETTINGS, TODAY)
    said = str(refused.value)
    assert "3 line(s) cannot be loaded, so none was" in said
    assert "line 3: stars: Input should be 1, 2, 3, 4 or 5" in said
    assert "line 4: valid_until: must fall after valid_from" in said
    assert "line 6: product_code MIEN-DONG-BL is on line 2 too" in said


def test_a_header_that_is_not_the_registers_is_refused_with_the_columns_expected(
    tmp_path: Path,
) -> None:
    rows = [
        {k: v for k, v in row.items() if k != "valid_until"} | {"hạn": "x"}
        for row in example_rows()
    ]
    with pytest.raises(RegisterFileError, match="missing: valid_until; not known: hạn"):
        read_register(register_file(tmp_path, rows), "quang-ninh", SETTINGS, TODAY)


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert len(read_register(path, "quang-ninh", SETTINGS, TODAY)) == 4


async def test_each_line_starts_a_certified_case_once_and_a_second_load_resumes(
    case_world: CaseWorld, tmp_path: Path
) -> None:
    suffix = f"-{uuid.uuid4().hex[:6]}"
    path = register_file(tmp_path, example_rows(suffix))
    lines = read_register(path, "quang-ninh", SETTINGS, TODAY)
    cases = [held_case(line, SETTINGS) for line in lines]
    # One product already has an ordinary case of its own: the load leaves it alone.
    ordinary = case_input(dossier=cases[1].dossier.model_copy(update={"current_stars": None}))
    await case_world.open_case(
        ordinary, workflow_id=product_workflow_id("quang-ninh", f"CHE-HOA-VANG-BL{suffix}")
    )
    told: list[int] = []

    first = await load_certificates(
        case_world.client, case_world.task_queue, cases[:2], report=lambda p: told.append(p.done)
    )
    again = await load_certificates(case_world.client, case_world.task_queue, cases)

    assert (first.started, first.already_loaded, first.other_case) == (
        1,
        0,
        [f"CHE-HOA-VANG-BL{suffix}"],
    )
    assert told[-1] == 2  # the caller hears the end, whatever the reporting pace
    assert (again.started, again.already_loaded, len(again.other_case)) == (2, 1, 1)
    for line in (lines[0], lines[2], lines[3]):
        workflow_id = product_workflow_id("quang-ninh", line.dossier.product_code)
        handle = case_world.client.get_workflow_handle(workflow_id)
        status = await handle.query(ProductLifecycleWorkflow.status)
        assert status.stage == CaseStage.CERTIFIED
        assert status.certificate is not None and status.certificate.number == line.held.number
        assert await case_world.certificates(workflow_id) in (
            [],
            [(line.held.number, int(line.held.stars), "active")],
        )


async def test_a_load_with_no_worker_stops_saying_so_instead_of_waiting_for_ever(
    case_world: CaseWorld, tmp_path: Path
) -> None:
    path = register_file(tmp_path, example_rows(f"-{uuid.uuid4().hex[:6]}")[:1])
    cases = [
        held_case(line, SETTINGS) for line in read_register(path, "quang-ninh", SETTINGS, TODAY)
    ]
    nobody = f"no-worker-{uuid.uuid4().hex[:6]}"
    with pytest.raises(NoWorkerError, match=f"is a worker polling task queue '{nobody}'"):
        await load_certificates(
            case_world.client, nobody, cases, first_task_within=timedelta(seconds=1)
        )


def test_progress_counts_every_kind_of_line() -> None:
    progress = LoadProgress(total=5, started=2, already_loaded=1, other_case=["A"])
    assert progress.done == 4
