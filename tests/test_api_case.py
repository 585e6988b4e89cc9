"""A product's case through the HTTP API, each step by the person whose step it is.

The issue's impostor actions, tried with a token of the wrong role or scope, get 403
with the rule's words and an audit line; the right people take the case from review to
certificate and revocation, the public lookup follows, and `history` names each verified
actor. Served by uvicorn over the dev server, a worker and a register.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from infra.cases import open_case
from models.case import LifecycleInput, RevocationGround
from models.clock import VIETNAM
from models.public_certificate import public_status
from models.records import CertificateStatus
from models.register import AccessRefusalRow
from tests.factories import PRODUCER_EMAIL, case_input, honey_dossier, scorecard_for_total
from tests.fixtures.api import ApiWorld

pytestmark = pytest.mark.devserver


def forbidden(answer: httpx.Response, *words: str) -> dict[str, Any]:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["status"] == 403 and problem["type"].endswith("/not-permitted")
    for word in words:
        assert word in problem["detail"], problem["detail"]
    return problem


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


async def opened(world: ApiWorld) -> tuple[str, LifecycleInput]:
    dossier = honey_dossier().model_copy(
        update={"province": world.province, "product_code": f"MO-{uuid.uuid4().hex[:6]}"}
    )
    case = case_input(dossier)
    handle = await open_case(world.client, case, world.task_queue)
    return handle.id, case


def card(case: LifecycleInput, member_id: str, total: int) -> dict[str, Any]:
    scorecard = scorecard_for_total(member_id, "district", total, case.rulebook.maxima, True)
    return {"scorecard": scorecard.model_dump(mode="json")}


async def test_each_step_by_its_own_person_and_every_impostor_refused(
    api_world: ApiWorld,
) -> None:
    world = api_world
    workflow_id, case = await opened(world)
    path = f"/api/v1/cases/{workflow_id}"
    accept = {"action": "accept", "reviewer": "Phòng Nông nghiệp huyện Bình Liêu"}

    # A district-A reviewer cannot review district B.
    forbidden(
        await world.call("POST", f"{path}/review", "reviewer-ty", json=accept),
        "chỉ thẩm định hồ sơ của địa bàn 'tien-yen'",
        "not 'binh-lieu'",
    )
    assert (
        ok(await world.call("POST", f"{path}/review", "reviewer-bl", json=accept))["stage"]
        == "council_scoring"
    )

    # Council member ids alone are not enough: the scorecard is the member's own.
    forbidden(
        await world.call(
            "POST", f"{path}/scorecards", "reviewer-bl", json=card(case, "district-m1", 60)
        ),
        "required role: council_member",
    )
    forbidden(
        await world.call(
            "POST", f"{path}/scorecards", "district-m1", json=card(case, "district-m2", 60)
        ),
        "may score only as themselves ('district-m1')",
    )
    forbidden(
        await world.call("POST", f"{path}/scorecards", "stranger", json=card(case, "stranger", 60)),
        "is not on the roster of the district council",
    )
    for seat, total in (("chair", 62), ("m1", 60), ("m2", 65), ("m3", 61)):
        member = f"district-{seat}"
        score = ok(
            await world.call("POST", f"{path}/scorecards", member, json=card(case, member, total))
        )
        assert score["total"] == total

    # `closed_by="không phải thư ký"` by a member who is neither chair nor secretary.
    close = {"level": "district", "closed_by": "không phải thư ký"}
    forbidden(
        await world.call("POST", f"{path}/sessions/close", "district-m1", json=close),
        "only the council's chair or secretary may close its session",
    )
    closed = ok(await world.call("POST", f"{path}/sessions/close", "secretary", json=close))
    assert closed["result"]["stars"] == 3

    status = ok(await world.call("GET", path, "operator"))
    assert status["stage"] == "awaiting_recognition"
    decided_on = date.fromisoformat(status["as_of"][:10])
    number = f"BL-API-{uuid.uuid4().hex[:6]}"
    decision = {
        "level": "district",
        "authority": "UBND huyện Bình Liêu",
        "decision_number": "125/QĐ-UBND",
        "decided_on": decided_on.isoformat(),
        "certificate_number": number,
    }
    # The impostor's name on a real authority's token; another district's authority.
    impostor = {**decision, "authority": "Kẻ Mạo Danh (impostor)"}
    forbidden(
        await world.call("POST", f"{path}/recognition", "ubnd-bl", json=impostor),
        "quyết định cấp huyện do Kẻ Mạo Danh (impostor) ký",
    )
    forbidden(
        await world.call(
            "POST",
            f"{path}/recognition",
            "ubnd-ty",
            json={**decision, "authority": "UBND huyện Tiên Yên"},
        ),
        "locality 'binh-lieu' is outside this authority's localities",
    )
    assert (
        ok(await world.call("POST", f"{path}/recognition", "ubnd-bl", json=decision))["stage"]
        == "certified"
    )

    lookup = await world.http.get(f"/public/certificates/{number}")  # no sign-in
    public = ok(lookup)
    assert (public["product"], public["holder"], public["stars"]) == (
        case.dossier.product_name,
        "HTX Hợp Tiến",
        3,
    )
    today = datetime.now(VIETNAM).date()
    valid_until = date.fromisoformat(public["valid_until"])
    assert public["status"] == public_status(CertificateStatus.ACTIVE, valid_until, today)
    assert PRODUCER_EMAIL not in lookup.text

    # "Ai đó" (an operator) revoking; then the province's... the district's authority.
    revocation = {
        "authority": "UBND huyện Bình Liêu",
        "decision_number": "QD-THUHOI-07",
        "decided_on": decided_on.isoformat(),
        "grounds": RevocationGround.QUALITY_MISMATCH.value,
        "details": "Mẫu kiểm tra không đạt chỉ tiêu vi sinh",
    }
    forbidden(
        await world.call("POST", f"{path}/revocation", "operator", json=revocation),
        "required role: authority",
    )
    ok(await world.call("POST", f"{path}/revocation", "ubnd-bl", json=revocation))
    assert ok(await world.http.get(f"/public/certificates/{number}"))["status"] == "revoked"

    # The producer reads their own case; another producer may not.
    assert ok(await world.call("GET", path, "producer"))["workflow_id"] == workflow_id
    forbidden(await world.call("GET", path, "other-producer"), "is not a product of the applicant")
    # Those who take part read where it stands too; a reviewer elsewhere does not.
    assert ok(await world.call("GET", path, "reviewer-bl"))["workflow_id"] == workflow_id
    assert ok(await world.call("GET", path, "district-m1"))["workflow_id"] == workflow_id
    forbidden(await world.call("GET", path, "reviewer-ty"), "takes no part in case")

    # The story names the verified actor of every human step.
    lines = ok(await world.call("GET", f"{path}/history", "operator"))["lines"]
    story = "\n".join(lines)
    for signer in (
        "Phòng Nông nghiệp huyện Bình Liêu (reviewer, local-",
        "Thành viên chair (council_member, local-",
        "Thư ký hội đồng huyện (council_secretary, local-",
        "signed by Chủ tịch UBND huyện Bình Liêu (authority, local-",
    ):
        assert signer in story, f"{signer!r} not in\n{story}"
    assert "unverified" not in story
    forbidden(await world.call("GET", f"{path}/history", "producer"), "required role: operator")

    # Every refusal left its audit line: who (subject, role), what, on which case.
    async with world.sessions() as session:
        refused = await session.scalar(
            select(func.count())
            .select_from(AccessRefusalRow)
            .where(AccessRefusalRow.target == workflow_id)
        )
    assert refused == 11


async def test_an_unknown_case_and_a_body_that_does_not_fit_are_problems(
    api_world: ApiWorld,
) -> None:
    world = api_world
    missing = await world.call(
        "POST",
        "/api/v1/cases/ocop-product-nowhere-x/review",
        "reviewer-bl",
        json={"action": "accept", "reviewer": "x"},
    )
    assert missing.status_code == 404 and missing.json()["detail"].startswith("case ")
    workflow_id, _ = await opened(world)
    bad = await world.call(
        "POST",
        f"/api/v1/cases/{workflow_id}/review",
        "reviewer-bl",
        json={"action": "approve", "reviewer": "x", "extra": 1},
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    problem = bad.json()
    assert {e["field"] for e in problem["errors"]} == {"action", "extra"}
    assert "accept" in problem["detail"] and "request_supplement" in problem["detail"]
    refused = await world.call(
        "POST",
        f"/api/v1/cases/{workflow_id}/review",
        "reviewer-bl",
        json={"action": "reject", "reviewer": "x", "reason": "   "},
    )
    assert refused.status_code == 422 and "must give its reason" in refused.json()["detail"]
