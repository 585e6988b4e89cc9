"""A province's tables of criteria: kept by content hash, pinned when a cycle opens,
taken by each case of the cycle whose product group they cover."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.criteria_store import CriteriaStore
from models.criteria import TableRef, table_digest
from models.errors import DomainError
from tests.fixtures.cycle import CycleWorld, cycle_settings
from tests.test_rules_criteria import EXAMPLE, PART_TOTALS, TABLE
from tests.updates import refused


def test_a_table_is_kept_by_its_content_and_pinned_to_it(tmp_path: Path) -> None:
    store = CriteriaStore(tmp_path)
    ref = store.save(TABLE)
    assert ref == TableRef(id=TABLE.id, sha256=table_digest(TABLE))
    assert store.pinned((TableRef(id=TABLE.id),)) == (ref,)
    assert store.load(ref) == TABLE
    # Loaded again with other points: new cycles take it, the pinned content stays.
    changed = TABLE.model_copy(update={"title": "Bảng tiêu chí nhóm Thực phẩm (sửa đổi)"})
    newer = store.save(changed)
    assert newer.sha256 != ref.sha256 and store.current(TABLE.id) == newer
    assert store.load(ref).title == TABLE.title


def test_a_table_not_loaded_or_tampered_with_is_refused(tmp_path: Path) -> None:
    store = CriteriaStore(tmp_path)
    with pytest.raises(DomainError, match="'khong-co' is not loaded; load it with"):
        store.pinned((TableRef(id="khong-co"),))
    ref = store.save(TABLE)
    path = tmp_path / "criteria" / f"{ref.sha256}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["title"] = "sửa tay"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DomainError, match="does not match its digest"):
        store.load(ref)


def test_ocop_admin_criteria_loads_and_lists_a_table(tmp_path: Path) -> None:
    from starter import app  # the whole command line, loaded only when a test runs it

    env = {"OCOP_DATA_DIR": str(tmp_path)}
    loaded = CliRunner().invoke(app, ["admin", "criteria", "load", str(EXAMPLE)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert f"table {TABLE.id} loaded" in loaded.output and table_digest(TABLE) in loaded.output
    listed = CliRunner().invoke(app, ["admin", "criteria", "list"], env={**env, "COLUMNS": "200"})
    assert listed.exit_code == 0 and TABLE.id in listed.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: t\n", encoding="utf-8")
    refused_load = CliRunner().invoke(app, ["admin", "criteria", "load", str(bad)], env=env)
    assert refused_load.exit_code == 2 and "source" in refused_load.output


async def test_a_cycles_cases_are_scored_on_its_pinned_table(
    cycle_world: CycleWorld, tmp_path: Path
) -> None:
    # The worker's data folder is the test's: the province loaded its table there.
    ref = CriteriaStore(tmp_path).save(TABLE)
    cycle = await cycle_world.start(cycle_settings(criteria_tables=(ref,)))
    await cycle.submit(cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu"))
    case = cycle.case("MO-BINHLIEU")
    await case.accept()
    assert f"criterion by criterion on table {TABLE.id}" in await refused(case.submit(PART_TOTALS))
