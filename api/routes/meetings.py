"""A council's dated meetings: called with an agenda of products, held, minuted.

The secretary (or the chair) calls a meeting: each product on the agenda is put on it
by a signed `join_meeting` Update in the caller's name, which its case checks (the
council waits for it, the members get the dossier two working days ahead). Once held,
the chair or secretary closes it: the minutes are read from the cases, kept in the
register, and served as JSON and as a page to print.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from api.problems import ApiProblem
from api.services import CurrentActor, Handle, Services, Svc, answered, case_access, permit
from contracts import case
from contracts.refs import query
from infra.actions import act
from infra.refusals import explain_refusal
from models import actors as access
from models.actors import Actor, CaseAccess, Role
from models.council import Council, MeetingSlot
from models.council_meetings import (
    CouncilMinutes,
    MeetingCall,
    attended,
    meeting_id,
    minutes_item,
)
from models.errors import Refusal
from models.register import CouncilMeetingRow
from models.rulebook import rulebook
from presentation.minutes import minutes_html

router = APIRouter(prefix="/api/v1/council-meetings", tags=["council meetings"])

MeetingId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^hd-[a-z0-9-]+$", description="Meeting id")
]


class AgendaRefusal(BaseModel):
    case: str
    reason: str


class MeetingAnswer(BaseModel):
    meeting_id: str
    slot: MeetingSlot
    on_agenda: list[str]
    refused: list[AgendaRefusal]


def _council(found: CaseAccess, level: str) -> Council | None:
    return next((c for c in found.councils if c.level == level), None)


async def _agenda(svc: Services, call: MeetingCall) -> list[tuple[Handle, CaseAccess]]:
    cases = [await case_access(svc, ref) for ref in call.agenda]
    provinces = {found.facts.province for _, found in cases}
    if len(provinces) > 1:
        raise ApiProblem(
            422,
            "invalid-input",
            "Chương trình họp không hợp lệ — invalid agenda",
            f"agenda: một phiên họp chỉ xét sản phẩm của một tỉnh — one meeting takes the "
            f"products of one province; found {', '.join(sorted(provinces))}",
        )
    return cases


@router.post("", response_model=MeetingAnswer, summary="Call a council meeting")
async def call_meeting(call: MeetingCall, actor: CurrentActor, svc: Svc) -> MeetingAnswer:
    """The council's secretary or chair calls it; each product's case checks that it
    waits for this council and that the day leaves the members two working days."""
    cases = await _agenda(svc, call)
    first = cases[0][1]
    council = _council(first, call.level)
    if council is None:
        levels = ", ".join(c.level for c in first.councils)
        raise ApiProblem(
            422,
            "invalid-input",
            "Dữ liệu không hợp lệ — invalid input",
            f"level: không có hội đồng cấp {call.level!r} — no council at level "
            f"{call.level!r}; councils: {levels}",
        )
    refusal = access.close_session_refusal(actor, council, calling=True)
    await permit(svc, actor, refusal, "call_meeting", call.agenda[0])
    call = access.in_own_name(call, actor)
    slot = MeetingSlot(
        meeting_id=meeting_id(first.facts.province, call.level, call.meets_on, call.venue),
        level=call.level,
        meets_on=call.meets_on,
        venue=call.venue,
        called_by=call.called_by,
    )
    on_agenda, refused = await _put_on_agenda(svc, actor, cases, slot)
    if not on_agenda:
        details = "; ".join(f"{r.case}: {r.reason}" for r in refused)
        raise ApiProblem(422, "refused", "Không xếp được phiên họp — meeting refused", details)
    await _keep(svc, first.facts.province, slot, on_agenda)
    return MeetingAnswer(
        meeting_id=slot.meeting_id, slot=slot, on_agenda=on_agenda, refused=refused
    )


async def _put_on_agenda(
    svc: Services, actor: Actor, cases: list[tuple[Handle, CaseAccess]], slot: MeetingSlot
) -> tuple[list[str], list[AgendaRefusal]]:
    on_agenda: list[str] = []
    refused: list[AgendaRefusal] = []
    for handle, _ in cases:
        try:
            await answered(
                act(handle, svc.action_keys, actor, case.JOIN_MEETING, slot), case.JOIN_MEETING.name
            )
        except WorkflowUpdateFailedError as error:
            refused.append(AgendaRefusal(case=handle.id, reason=explain_refusal(error)))
            continue
        on_agenda.append(handle.id)
    return on_agenda, refused


async def _keep(svc: Services, province: str, slot: MeetingSlot, agenda: list[str]) -> None:
    """The meeting in the register; calling it again adds what joined since."""
    async with svc.sessions.begin() as session:
        row = await session.scalar(
            select(CouncilMeetingRow).where(CouncilMeetingRow.meeting_id == slot.meeting_id)
        )
        if row is None:
            session.add(
                CouncilMeetingRow(
                    meeting_id=slot.meeting_id,
                    province=province,
                    level=slot.level,
                    meets_on=slot.meets_on,
                    venue=slot.venue,
                    called_by=slot.called_by,
                    agenda=agenda,
                )
            )
        else:
            row.agenda = sorted({*row.agenda, *agenda})


async def _meeting(svc: Services, meeting: str) -> CouncilMeetingRow:
    async with svc.sessions() as session:
        row = await session.scalar(
            select(CouncilMeetingRow).where(CouncilMeetingRow.meeting_id == meeting)
        )
    if row is None:
        raise ApiProblem(404, "not-found", "Không tìm thấy — not found", f"meeting {meeting!r}")
    return row


@router.post("/{meeting}/minutes", response_model=CouncilMinutes, summary="Close the meeting")
async def close_meeting(meeting: MeetingId, actor: CurrentActor, svc: Svc) -> CouncilMinutes:
    """Once the council has met, its chair or secretary closes the meeting: the minutes
    say who attended and, for each product, the quorum, the result and the re-scores."""
    row = await _meeting(svc, meeting)
    cases = [await case_access(svc, workflow_id) for workflow_id in row.agenda]
    council = _council(cases[0][1], row.level)
    assert council is not None  # the meeting was called on this council's cases
    await permit(svc, actor, access.close_session_refusal(actor, council), "close_meeting", meeting)
    statuses = [await answered(query(handle, case.STATUS), "status") for handle, _ in cases]
    today = statuses[0].as_of.date()
    if today < row.meets_on:
        raise ApiProblem(
            409,
            "too-soon",
            "Chưa đến ngày họp — the meeting has not been held",
            f"phiên họp diễn ra ngày {row.meets_on:%d/%m/%Y}; biên bản lập sau phiên họp — the "
            f"meeting is on {row.meets_on.isoformat()}; its minutes follow it",
        )
    rules = rulebook(statuses[0].rulebook).council
    items = tuple(minutes_item(status, council, rules) for status in statuses)
    minutes = CouncilMinutes(
        meeting_id=row.meeting_id,
        province=row.province,
        level=row.level,
        meets_on=row.meets_on,
        venue=row.venue,
        called_by=row.called_by,
        closed_by=actor.display_name,
        closed_at=datetime.now(UTC),
        members=tuple(f"{m.name} ({m.role.value})" for m in council.members),
        attended=attended(council, items),
        items=items,
    )
    async with svc.sessions.begin() as session:
        stored = await session.get(CouncilMeetingRow, row.id)
        assert stored is not None
        stored.minutes = minutes.model_dump(mode="json")
    return minutes


def _reader_refusal(actor: Actor, council: Council, province: str) -> Refusal | None:
    """Read a meeting's minutes: its council's chair and secretary, the province's office
    and operators."""
    closer = access.close_session_refusal(actor, council)
    if closer is None:
        return None
    if actor.role == Role.ADMINISTRATOR:
        return access.cycle_administration_refusal(actor, province)
    if actor.role == Role.OPERATOR:
        return access.operator_read_refusal(actor, province)
    return closer


async def _held(svc: Services, actor: Actor, meeting: str) -> CouncilMinutes:
    row = await _meeting(svc, meeting)
    _, found = await case_access(svc, row.agenda[0])
    council = _council(found, row.level)
    assert council is not None
    await permit(svc, actor, _reader_refusal(actor, council, row.province), "minutes", meeting)
    if row.minutes is None:
        raise ApiProblem(
            409,
            "not-held",
            "Chưa có biên bản — no minutes yet",
            f"phiên họp {meeting} chưa kết thúc — the meeting has not been closed",
        )
    return CouncilMinutes.model_validate(row.minutes)


@router.get("/{meeting}/minutes", response_model=CouncilMinutes, summary="The minutes")
async def minutes(meeting: MeetingId, actor: CurrentActor, svc: Svc) -> CouncilMinutes:
    return await _held(svc, actor, meeting)


@router.get("/{meeting}/minutes.html", response_class=HTMLResponse, summary="The minutes, to print")
async def minutes_page(meeting: MeetingId, actor: CurrentActor, svc: Svc) -> HTMLResponse:
    """The minutes as the chair prints and signs them, in Vietnamese."""
    return HTMLResponse(minutes_html(await _held(svc, actor, meeting)))
