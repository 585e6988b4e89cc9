"""Hostile input sent past every client-side check: the case refuses it, says which field
and why in one short line, and goes on answering.

A *raw* client sends plain JSON (temporalio's default converter, no size guard), as a
script or another SDK could. The refusals are read as `ocop` reads them
(`explain_refusal`). A clear refusal is short whatever was sent (`MAX_SHORT` characters);
after each one the case still answers its status query and takes a valid Update.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import default as plain_json
from typer.testing import CliRunner

from contracts.case import REVIEW, SUBMIT_SCORECARD, SUPPLY_SUPPLEMENT
from infra.temporal import RequestTooLarge, with_ocop_converter
from models.case import CaseStage, ReviewAction, ReviewDecision, ScorecardSubmission
from models.catalogue import DocumentKind
from tests.case_driver import CaseDriver
from tests.cli_output import refused as refused_by_cli
from tests.factories import case_input, document, honey_dossier
from tests.fixtures.cycle import EXAMPLES
from tests.fixtures.lifecycle import CaseWorld
from tests.signing import any_signature, member, sign
from tests.updates import refused

MAX_SHORT = 500
REVIEWER = "Phòng Nông nghiệp huyện Bình Liêu"


def raw_handle(client: Client, workflow_id: str) -> WorkflowHandle[Any, Any]:
    """Temporal's default JSON, unchecked by ocop's converter; through the stack's codec,
    so the refusal it reads back is decrypted (without the key it reads "Encoded failure")."""
    config = client.config()
    stack = config["data_converter"]
    config["data_converter"] = dataclasses.replace(
        plain_json(),
        payload_codec=stack.payload_codec,
        failure_converter_class=stack.failure_converter_class,
    )
    config["interceptors"] = []
    return Client(**config).get_workflow_handle(workflow_id)


async def refused_raw(
    case: CaseDriver, client: Client, update: str, argument: dict[str, Any], field: str
) -> str:
    """Send `argument` raw; the refusal names `field`, is short, and the case answers.

    It goes with a well-formed signature: a second argument makes the case decode the
    first by its type, so the refusal is the input's, before any signature is checked."""
    handle = raw_handle(client, case.workflow_id)
    args = [argument, any_signature().model_dump()]
    why = await refused(handle.execute_update(update, args=args))
    assert field in why, why
    assert len(why) < MAX_SHORT, why
    assert "Failed decoding arguments" not in why
    await case.status()  # still answering
    return why


def scorecard(**changes: Any) -> dict[str, Any]:
    card = {
        "member_id": "district-chair",
        "level": "district",
        "part_a": 25,
        "part_b": 15,
        "part_c": 22,
        "mandatory_criteria_met": True,
    }
    return {"scorecard": card | changes}


async def test_hostile_updates_are_refused_by_field_and_leave_the_case_answering(
    case_world: CaseWorld,
) -> None:
    dossier = honey_dossier(complete=False)
    case = await case_world.open_case(case_input(dossier=dossier))
    client = case_world.client
    review = {"action": "accept", "reviewer": REVIEWER}

    why = await refused_raw(
        case, client, REVIEW.name, {**review, "action": "a" * 3_000_000}, "action"
    )
    assert "'accept', 'request_supplement' or 'reject'" in why
    why = await refused_raw(
        case, client, REVIEW.name, {**review, "reviewer": "Phòng\u202eNông nghiệp"}, "reviewer"
    )
    assert "U+202E" in why

    await case.request_supplement(DocumentKind.TEST_RESULTS)
    refs = [document(DocumentKind.OTHER, f"scan-{i:05d}.pdf").model_dump() for i in range(16_000)]
    supplement = {"submitted_by": "HTX Hợp Tiến", "documents": refs}
    why = await refused_raw(case, client, SUPPLY_SUPPLEMENT.name, supplement, "documents")
    assert "at most 60 items" in why
    await case.supply(document(DocumentKind.TEST_RESULTS))
    await case.accept()
    assert await case.stage() == CaseStage.COUNCIL_SCORING

    why = await refused_raw(
        case, client, SUBMIT_SCORECARD.name, scorecard(member_id="m" * 100_000), "member_id"
    )
    assert "at most 64 characters" in why
    for points in (True, "12", 12.0):
        why = await refused_raw(
            case, client, SUBMIT_SCORECARD.name, scorecard(part_c=points), "part_c"
        )
        assert "whole number" in why
    # A valid raw scorecard, signed by its member, is taken.
    valid = ScorecardSubmission.model_validate(scorecard())
    signed = sign(
        member(dossier.province, "district", "district-chair"),
        SUBMIT_SCORECARD,
        case.workflow_id,
        valid,
        now=await case_world.env.get_current_time(),
    )
    raw = raw_handle(client, case.workflow_id)
    await raw.execute_update(SUBMIT_SCORECARD.name, args=[scorecard(), signed.model_dump()])
    status = await case.status()
    assert [(s.member_id, s.part_c) for s in status.scores] == [("district-chair", 22)]


async def test_the_ocop_client_refuses_an_oversized_update_before_sending_it(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    guarded = with_ocop_converter(case_world.client).get_workflow_handle(case.workflow_id)
    huge = ReviewDecision.model_construct(
        action=ReviewAction.REJECT, reviewer=REVIEWER, reason="x" * 3_000_000
    )
    with pytest.raises(RequestTooLarge, match=r"too large to send: 2930 KB .* at most 256 KB"):
        await guarded.execute_update(REVIEW.name, huge)
    await case.accept()
    assert await case.stage() == CaseStage.COUNCIL_SCORING


def test_ocop_submit_refuses_a_dossier_of_16000_documents_before_connecting(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load((EXAMPLES / "dossier-mat-ong-binh-lieu.yaml").read_text("utf-8"))
    one = data["documents"][0]
    data["documents"] = [{**one, "file_name": f"scan-{i:05d}.pdf"} for i in range(16_000)]
    path = tmp_path / "dossier.json"  # JSON: 16,000 entries of YAML take seconds to read
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with socket.socket() as probe:  # a port nothing listens on: only local checks pass
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from starter import app  # the whole command line, loaded only when a test runs it

    result = CliRunner().invoke(
        app,
        ["submit", str(path), "--province", "quang-ninh", "--year", "2024"],
        env={"COLUMNS": "200", "OCOP_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"},
    )
    line = refused_by_cli(result, 2, "documents: too long (16000 items)", "at most 60 items")
    assert len(line) < MAX_SHORT
