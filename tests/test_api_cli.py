"""The `ocop` commands take people's steps through the HTTP API with their token: the
token says who acts, the API writes its holder's name into the step, and the API's
refusal is the command's one line."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner, Result

from activities.mailer import EVENT_HEADER, REFERENCE_HEADER
from infra.ports import find_free_port
from tests.factories import PRODUCER_EMAIL
from tests.fixtures.api import ApiWorld
from tests.test_api_case import opened
from tests.waiting import eventually

pytestmark = pytest.mark.devserver

REVIEWER_BL = "Phòng Nông nghiệp huyện Bình Liêu"
EVENT = "supplement_requested"


async def ocop(world: ApiWorld, who: str, *args: str, temporal: str | None = None) -> Result:
    """`ocop ARGS…` as `who`; `temporal`: the Temporal address it is given (by default
    the test's; people outside the stack have none that answers)."""
    from starter import app

    env = {
        "OCOP_TOKEN": await world.token(who),
        "OCOP_API_URL": world.base_url,
        "OCOP_TEMPORAL_ADDRESS": temporal or world.client.service_client.config.target_host,
        "OCOP_TEMPORAL_NAMESPACE": world.client.namespace,
        "OCOP_TASK_QUEUE": world.task_queue,
        "OCOP_DATA_DIR": str(world.settings.data_dir),
        "OCOP_DATABASE_URL": world.settings.register_url,
        "COLUMNS": "200",
    }
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def supplement_letter(world: ApiWorld, workflow_id: str) -> str:
    """The plain text of the producer's letter asking for a supplement to the case (the
    SMTP server is the session's: other tests' letters go to the same producer)."""

    async def found() -> str | None:
        for message in world.smtp.messages_to(PRODUCER_EMAIL):
            if (message[REFERENCE_HEADER], message[EVENT_HEADER]) == (workflow_id, EVENT):
                part = message.get_body(preferencelist=("plain",))
                return str(part.get_content()) if part is not None else ""
        return None

    return await eventually(found, f"the letter asking for a supplement to {workflow_id}")


async def test_a_review_goes_through_the_api_as_the_tokens_holder(api_world: ApiWorld) -> None:
    world = api_world
    workflow_id, case = await opened(world)
    at = ("--id", workflow_id)
    # From outside the stack: Temporal does not answer there, the API does.
    nowhere = f"127.0.0.1:{find_free_port()}"  # nothing listens there
    # The token is Tiên Yên's: the API refuses a review of a Bình Liêu dossier.
    wrong = await ocop(world, "reviewer-ty", "review", *at, "accept", temporal=nowhere)
    assert wrong.exit_code == 1, wrong.output
    assert (
        "refused:" in wrong.output and "chỉ thẩm định hồ sơ của địa bàn 'tien-yen'" in wrong.output
    )
    right = await ocop(world, "reviewer-bl", "review", *at, "accept", temporal=nowhere)
    assert right.exit_code == 0, right.output
    assert "accepted; now in council scoring at district level" in right.output

    history = (await world.call("GET", f"/api/v1/cases/{workflow_id}/history", "operator")).json()
    story = "\n".join(history["lines"])
    assert f"by {REVIEWER_BL} (reviewer, local-" in story
    assert case.dossier.product_code in story


async def test_the_producers_letter_names_the_verified_reviewer_whatever_the_body_says(
    api_world: ApiWorld,
) -> None:
    world = api_world
    workflow_id, _ = await opened(world)
    # Straight to the API, with someone else's name in the body: the letter the producer
    # reads names the token's holder.
    asked = await world.call(
        "POST",
        f"/api/v1/cases/{workflow_id}/review",
        "reviewer-bl",
        json={
            "action": "request_supplement",
            "reviewer": "Kẻ Mạo Danh (impostor)",
            "reason": "Thiếu phiếu kiểm nghiệm",
            "documents_requested": ["test_results"],
        },
    )
    assert asked.status_code == 200, asked.text
    letter = await supplement_letter(world, workflow_id)
    assert REVIEWER_BL in letter
    assert "Mạo Danh" not in letter

    # The command line sends no name at all: the letter still names the reviewer.
    other_id, _ = await opened(world)
    told = await ocop(
        world,
        "reviewer-bl",
        "review",
        "--id",
        other_id,
        "request-supplement",
        "--document",
        "test_results",
    )
    assert told.exit_code == 0, told.output
    letter = await supplement_letter(world, other_id)
    assert REVIEWER_BL in letter
    assert "signed-in" not in letter and "đăng nhập" not in letter
