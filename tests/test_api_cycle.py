"""A province's cycle through the HTTP API: its office opens and closes it, its producers
submit their own dossiers, and nobody else may do either."""

from __future__ import annotations

import pytest

from models.cycle_settings import ScheduledCycles, cycle_input
from tests.factories import ADMIN_EMAIL, PRODUCER_EMAIL
from tests.fixtures.api import ApiWorld
from tests.fixtures.cycle import CYCLE_START, cycle_settings, product
from tests.test_api_case import forbidden, ok
from tests.waiting import eventually

pytestmark = pytest.mark.devserver


async def test_the_office_opens_and_closes_producers_submit_their_own(
    api_world: ApiWorld,
) -> None:
    world = api_world
    cycle = cycle_input(world.province, 2024, cycle_settings(), business_start=CYCLE_START)
    body = cycle.model_dump(mode="json")
    forbidden(
        await world.call("POST", "/api/v1/cycles", "operator", json=body),
        "required role: administrator",
    )
    opened = await world.call("POST", "/api/v1/cycles", "admin", json=body)
    assert opened.status_code == 201, opened.text
    again = await world.call("POST", "/api/v1/cycles", "admin", json=body)
    assert again.status_code == 409 and "exists already" in again.json()["detail"]

    base = f"/api/v1/cycles/{world.province}/2024"
    honey = product(world.province, "MO-BINHLIEU", "Mật ong rừng Bình Liêu", email=PRODUCER_EMAIL)
    assert str(honey.applicant.email) == PRODUCER_EMAIL
    dossier = honey.model_dump(mode="json")
    forbidden(
        await world.call("POST", f"{base}/dossiers", "other-producer", json=dossier),
        "chỉ được nộp hồ sơ cho chủ thể của mình",
    )
    receipt = ok(await world.call("POST", f"{base}/dossiers", "producer", json=dossier))
    assert receipt["workflow_id"].startswith(f"ocop-product-{world.province}-")
    twice = await world.call("POST", f"{base}/dossiers", "producer", json=dossier)
    assert twice.status_code == 409, twice.text

    async def listed() -> list[str] | None:
        mine = ok(await world.call("GET", "/api/v1/me/cases", "producer"))
        return [row["workflow_id"] for row in mine] or None

    assert await eventually(listed, "the producer's product in the register") == [
        receipt["workflow_id"]
    ]
    assert ok(await world.call("GET", "/api/v1/me/cases", "other-producer")) == []
    report = ok(await world.call("GET", f"{base}/report", "operator"))
    assert report["submissions"] == 1
    forbidden(await world.call("GET", f"{base}/report", "producer"), "required role")

    close = {"closed_by": ADMIN_EMAIL, "reason": "hết năm"}
    forbidden(
        await world.call("POST", f"{base}/close", "operator", json=close),
        "required role: administrator",
    )
    final = ok(await world.call("POST", f"{base}/close", "admin", json=close))
    assert final["closed"] is True
    late = await world.call("POST", f"{base}/dossiers", "producer", json=dossier)
    assert late.status_code == 409 and "closed" in late.json()["detail"]


async def test_the_office_sets_the_yearly_schedule_signed_in_its_name(api_world: ApiWorld) -> None:
    world = api_world
    body = {"settings": cycle_settings().model_dump(mode="json"), "on": "01-02", "at": "08:00"}
    path = f"/api/v1/cycles/{world.province}/schedule"
    forbidden(await world.call("PUT", path, "operator", json=body), "required role: administrator")
    leap = await world.call("PUT", path, "admin", json={**body, "on": "02-29"})
    assert leap.status_code == 422, leap.text
    answer = ok(await world.call("PUT", path, "admin", json=body))
    handle = world.client.get_schedule_handle(answer["schedule_id"])
    try:
        assert answer["created"] is True and len(answer["next_runs"]) == 3
        assert all("-01-02T08:00:00+07:00" in run for run in answer["next_runs"])
        described = await handle.describe()
        request = described.schedule.action.args[0]  # type: ignore[attr-defined]
        # The schedule keeps its argument as the payload it was sent: encrypted.
        [launch] = await world.client.data_converter.decode([request], [ScheduledCycles])
        assert launch.scheduled_by is not None  # each year's cycle opens in the office's name
        again = ok(await world.call("PUT", path, "admin", json={**body, "at": "09:30"}))
        assert again["created"] is False
    finally:
        await handle.delete()
