"""Issue 12's impostors straight against Temporal, with a wrong assertion: refused by the
validator, history unchanged.

Each impostor action (tests/impostors.py) is sent as an outside client could: unsigned,
signed with a key the worker does not trust, expired, replayed, or signed for another
case or another request, each signed otherwise by the very person the action needs, so
only the assertion is wrong. Then keys rotate: a running case keeps taking what the old
key signed, and a worker restarted with that key retired refuses it. On the dev server,
with the real worker.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.service import RPCError

from contracts import case as contract
from contracts.refs import update
from infra.action_keys import ActionKeys
from infra.cases import open_case
from tests.case_driver import CaseDriver
from tests.factories import case_input
from tests.fixtures.operators import OperatorsWorld, sqlite_operators_world
from tests.impostors import (
    EXPIRED,
    FORGED,
    IMPOSTORS,
    OTHER_CASE,
    OTHER_REQUEST,
    REPLAYED,
    UNSIGNED,
    card,
    case_at,
    events,
    province_of,
    refused_leaving_history,
)
from tests.signing import (
    KEYS,
    member,
    sign,
)
from worker import build_worker
from workflows.trust import trust

pytestmark = pytest.mark.devserver
__all__ = ["sqlite_operators_world"]  # the fixture, imported for this module's tests


# ------------------------------------------- (a)–(e): the assertion is wrong


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_unsigned_impostor_action_is_refused_and_leaves_history_unchanged(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await case_at(sqlite_operators_world, impostor)
    # One argument, as the impostor sent it before actions were signed.
    sending = update(case.handle, impostor.ref, impostor.request())
    why = await refused_leaving_history(case, sending, UNSIGNED, "send it through the API")
    assert why.startswith(UNSIGNED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_action_signed_with_a_key_the_worker_does_not_trust_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    forged = ActionKeys.generate().sign(
        impostor.signer(await province_of(case)),
        action=impostor.ref.name,
        workflow_id=case.workflow_id,
        payload=request,
    )
    sending = update(case.handle, impostor.ref, request, forged)
    await refused_leaving_history(case, sending, "chữ ký của thao tác không hợp lệ", FORGED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_expired_assertion_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    stale = datetime.now(UTC) - timedelta(minutes=20)
    signer = impostor.signer(await province_of(case))
    signed = sign(signer, impostor.ref, case.workflow_id, request, now=stale)
    sending = update(case.handle, impostor.ref, request, signed)
    await refused_leaving_history(case, sending, "chữ ký đã hết hạn lúc", EXPIRED, "act again")


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_a_replayed_assertion_is_refused_the_second_time(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    signed = sign(impostor.signer(await province_of(case)), impostor.ref, case.workflow_id, request)
    await update(case.handle, impostor.ref, request, signed)  # the signer's own, accepted

    sending = update(case.handle, impostor.ref, request, signed)
    if impostor.ref is contract.REVOKE:
        # A revocation ends the case: the server itself turns the second one away.
        await case.mail_sent()
        before = await events(case.latest)
        with pytest.raises(RPCError, match="workflow execution already completed"):
            await sending
        assert len(await events(case.latest)) == len(before)
        return
    await refused_leaving_history(case, sending, "chữ ký này đã được dùng một lần", REPLAYED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_assertion_for_another_case_or_another_request_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await case_at(sqlite_operators_world, impostor)
    elsewhere = await sqlite_operators_world.open_case(case_input())
    signer = impostor.signer(await province_of(case))
    request = impostor.request()

    for_elsewhere = sign(signer, impostor.ref, elsewhere.workflow_id, request)
    sending = update(case.handle, impostor.ref, request, for_elsewhere)
    await refused_leaving_history(case, sending, OTHER_CASE, elsewhere.workflow_id[:40])

    for_another_request = sign(signer, impostor.ref, case.workflow_id, impostor.other())
    sending = update(case.handle, impostor.ref, request, for_another_request)
    await refused_leaving_history(case, sending, "nội dung yêu cầu khác", OTHER_REQUEST)


# ------------------------------------------------------------------ key rotation


async def test_a_rotated_key_keeps_running_cases_and_a_retired_one_is_refused_after_restart(
    sqlite_operators_world: OperatorsWorld, tmp_path: Path
) -> None:
    world = sqlite_operators_world
    old_kid = KEYS.key_ids[-1]
    rotated = KEYS.rotated()
    key_file = tmp_path / "rotated-keys.json"
    rotated.save(key_file)
    settings = world.settings.model_copy(update={"action_keys_file": key_file})
    queue = f"rotation-{uuid.uuid4().hex[:8]}"
    lifecycle = case_input()
    code = f"{lifecycle.dossier.product_code}-{uuid.uuid4().hex[:6]}"
    lifecycle = lifecycle.model_copy(
        update={"dossier": lifecycle.dossier.model_copy(update={"product_code": code})}
    )
    workflow_id = f"ocop-product-{lifecycle.dossier.province}-{code.lower()}"
    handle = None
    try:
        async with build_worker(world.client, settings, world.sessions, task_queue=queue):
            handle = await open_case(world.client, lifecycle, queue, workflow_id=workflow_id)
            case = CaseDriver(
                world.client,
                handle,
                {c.level: c for c in lifecycle.councils},
                lifecycle.rulebook.maxima,
            )
            # Signed a moment before the rotation, with the old key: still taken.
            await case.accept()
            province = await province_of(case)
            chair = member(province, "district", "district-chair")
            chairs_card = card()
            signed = rotated.sign(
                chair,
                action=contract.SUBMIT_SCORECARD.name,
                workflow_id=workflow_id,
                payload=chairs_card,
            )
            await update(handle, contract.SUBMIT_SCORECARD, chairs_card, signed)  # the new key

        rotated.retired(old_kid).save(key_file)
        async with build_worker(world.client, settings, world.sessions, task_queue=queue):
            # The restarted worker replays the case (signed by both keys) and trusts only
            # the newer key: what the retired one signs is refused, and not recorded.
            member_card = card("district-m1")
            sending = case.submit(member_card.scorecard)  # the driver signs with the old key
            await refused_leaving_history(case, sending, FORGED)
            m1 = member(province, "district", "district-m1")
            signed = rotated.sign(
                m1,
                action=contract.SUBMIT_SCORECARD.name,
                workflow_id=workflow_id,
                payload=member_card,
            )
            await update(handle, contract.SUBMIT_SCORECARD, member_card, signed)
            assert len((await case.status()).scores) == 2
    finally:
        trust(KEYS.public_jwks())  # the suite's keys, for the tests after this one
        if handle is not None:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")
