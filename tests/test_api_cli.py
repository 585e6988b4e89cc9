"""The `ocop` commands take people's steps through the HTTP API with their token: the
token, not `--by`, says who acts, and the API's refusal is the command's one line."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner, Result

from tests.fixtures.api import ApiWorld
from tests.test_api_case import opened

pytestmark = pytest.mark.devserver


async def ocop(world: ApiWorld, who: str, *args: str) -> Result:
    from starter import app

    env = {
        "OCOP_TOKEN": await world.token(who),
        "OCOP_API_URL": world.base_url,
        "OCOP_TEMPORAL_ADDRESS": world.client.service_client.config.target_host,
        "OCOP_TEMPORAL_NAMESPACE": world.client.namespace,
        "OCOP_TASK_QUEUE": world.task_queue,
        "OCOP_DATA_DIR": str(world.settings.data_dir),
        "OCOP_DATABASE_URL": world.settings.register_url,
        "COLUMNS": "200",
    }
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_a_review_goes_through_the_api_as_the_tokens_holder(api_world: ApiWorld) -> None:
    world = api_world
    workflow_id, case = await opened(world)
    at = ("--id", workflow_id)
    # `--by` claims the Bình Liêu office; the token is Tiên Yên's: the API refuses it.
    wrong = await ocop(
        world, "reviewer-ty", "review", *at, "accept", "--by", "Phòng Nông nghiệp huyện Bình Liêu"
    )
    assert wrong.exit_code == 1, wrong.output
    assert (
        "refused:" in wrong.output and "chỉ thẩm định hồ sơ của địa bàn 'tien-yen'" in wrong.output
    )
    right = await ocop(world, "reviewer-bl", "review", *at, "accept", "--by", "Phòng NN")
    assert right.exit_code == 0, right.output
    assert "accepted; now in council scoring at district level" in right.output

    history = (await world.call("GET", f"/api/v1/cases/{workflow_id}/history", "operator")).json()
    story = "\n".join(history["lines"])
    # The register names the token's holder, not what `--by` said.
    assert "by Phòng Nông nghiệp huyện Bình Liêu (reviewer, local-" in story
    assert case.dossier.product_code in story
