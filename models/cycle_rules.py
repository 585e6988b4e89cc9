"""What a province's annual cycle may accept: submissions, its close, a product's
running case, a batch decision, its schedule.

Like `models/case_rules.py`, each function takes plain values and returns a `Refusal`
(its `type` is the `ApplicationError` type the caller receives) or None. Producers read
the submission refusals, so those speak Vietnamese first, then English.

- `cycle_submission_refusal`: the `submit` Update (closed cycle, window, dossier,
  a product already in the cycle or being submitted); `submission_refusal` (the
  window) and `dossier_refusal` (province, locality, upgrade) word two of its reasons;
- `cycle_close_refusal`: the `close` Update (closing already; who may close is the
  verified administrator of the province, `models.actors.cycle_administration_refusal`);
- `continuation_refusal`: what `open_cycle_case` decides about a product whose case
  runs already (an open round, or a certificate and no application), once
  `started_by_cycle` and `round_of_cycle` have said the case is not this submission's
  own (a retried attempt finds what its first attempt did);
- `batch_recognition_refusal`: whether a batch decision may recognise a case now, once
  `recognised_by` has said it is not recognised by that decision already;
- `progress_verdict`: whether a `case_progress` signal comes from one of the cycle's
  cases, in its round, and is not older than what that case said (`opened_case`: what
  opening a case tells the cycle about it);
- `schedule_settings_refusal`, `yearly_day_refusal`: what a yearly Schedule accepts.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.admin_units import province_on, unit_name
from models.case import CaseStage, CaseStatus
from models.case_rules import upgrade_refusal
from models.cycle import CaseProgress
from models.cycle_calendar import CycleCalendar
from models.cycle_decisions import PlannedDecision
from models.cycle_messages import CloseCycle, OpenAction
from models.cycle_settings import CycleInput
from models.dates import format_day
from models.dossier import Dossier, Language
from models.errors import Refusal
from models.labels import level_label
from models.stars import TOP_STARS

# ------------------------------------------------------------------- submissions


def submission_refusal(calendar: CycleCalendar, day: date) -> str | None:
    """Why a dossier cannot be received on `day`, naming the window; None inside it."""
    opens, closes = calendar.submission_opens, calendar.submission_closes
    window_vi = f"từ ngày {format_day(opens)} đến hết ngày {format_day(closes)}"
    window_en = f"{opens.isoformat()} to {closes.isoformat()}"
    if day < opens:
        return (
            f"chưa đến thời gian nhận hồ sơ: chu trình nhận hồ sơ {window_vi} "
            f"(hôm nay là {format_day(day)}) — submissions open on {opens.isoformat()} "
            f"(window {window_en})"
        )
    if day > closes:
        return (
            f"đã hết thời gian nhận hồ sơ: chu trình nhận hồ sơ {window_vi} "
            f"(hôm nay là {format_day(day)}) — the submission window closed on "
            f"{closes.isoformat()} "
            f"(window {window_en})"
        )
    return None


def dossier_refusal(cycle: CycleInput, dossier: Dossier) -> str | None:
    """Domain checks on a dossier the cycle receives (pydantic checked its shape).

    A cycle takes the dossiers of its province, and of the units merged into it by the
    day its window opens (a Hải Dương product re-evaluated in Hải Phòng's 2027 cycle);
    such a product keeps its unit and locality codes, the ones its certificate names.
    """
    opens = cycle.calendar.submission_opens
    if province_on(dossier.province, opens) != cycle.province:
        return (
            f"hồ sơ thuộc {unit_name(dossier.province)} ({dossier.province}), không thuộc "
            f"chu trình OCOP {cycle.year} của {unit_name(cycle.province)} — the dossier is "
            f"for {unit_name(dossier.province, Language.EN)} ({dossier.province}), this is "
            f"the {cycle.year} cycle of {unit_name(cycle.province, Language.EN)}"
        )
    first = cycle.rulebook.levels[0].name
    inherited = dossier.province != cycle.province
    if cycle.localities and dossier.locality not in cycle.localities and not inherited:
        return (
            f"địa bàn {dossier.locality!r} không có trong danh sách đơn vị "
            f"{level_label(first)} của chu trình — locality {dossier.locality!r} is not a "
            f"{first} of this cycle; "
            f"accepted: {', '.join(cycle.localities)}"
        )
    no_upgrade = upgrade_refusal(dossier.registration_kind, dossier.current_stars)
    if no_upgrade is not None:
        return f"sản phẩm {int(TOP_STARS)} sao không thể đăng ký nâng hạng — {no_upgrade.message}"
    return None


def cycle_submission_refusal(
    cycle: CycleInput,
    dossier: Dossier,
    today: date,
    *,
    closing: bool,
    pending: Container[str],
    products: Mapping[str, CaseProgress],
) -> Refusal | None:
    """Whether the cycle receives this dossier today.

    `closing`: the cycle is closing or closed. `pending` and `products` are keyed by the
    lower-cased product code: submissions whose case is being opened, and every product
    the cycle knows.
    """
    if closing:
        return Refusal(
            "CycleClosed",
            f"chu trình OCOP {cycle.year} của {cycle.province} đã kết thúc, "
            f"không nhận thêm hồ sơ — the {cycle.year} cycle is closed",
        )
    outside = submission_refusal(cycle.calendar, today)
    if outside is not None:
        return Refusal("OutsideWindow", outside)
    invalid = dossier_refusal(cycle, dossier)
    if invalid is not None:
        return Refusal("InvalidDossier", invalid)
    code = dossier.product_code.lower()
    if code in pending:
        return Refusal(
            "AlreadySubmitted",
            f"hồ sơ sản phẩm {dossier.product_code} đang được tiếp nhận — product "
            f"{dossier.product_code} is being submitted already",
        )
    known = products.get(code)
    if known is not None:
        return Refusal(
            "AlreadySubmitted",
            f"sản phẩm {dossier.product_code} đã đăng ký trong chu trình OCOP "
            f"{cycle.year} (giai đoạn: {known.stage.value}) — product "
            f"{dossier.product_code} is already in this cycle (stage {known.stage.value})",
        )
    return None


# ------------------------------------------------------------------------- close


def cycle_close_refusal(closing: CloseCycle | None) -> Refusal | None:
    """The cycle closes once.

    Who closes it is the signed action's verified administrator of the province
    (`models.actors.cycle_administration_refusal`), not a name written in the request:
    the request's `closed_by` is recorded as that administrator.
    """
    if closing is not None:
        return Refusal("CycleClosed", f"the cycle is already closing (by {closing.closed_by})")
    return None


# ------------------------------------------------------ a product's running case


def started_by_cycle(memo_cycle: object, cycle_workflow_id: str) -> bool:
    """Whether a running case was started by this cycle (`memo_cycle`: the cycle its
    memo names). The cycle refuses a product it already has, so such a case is this
    very submission's, started by an earlier attempt."""
    return memo_cycle == cycle_workflow_id


def round_of_cycle(status: CaseStatus, cycle_workflow_id: str) -> bool:
    """Whether the case's current round is this cycle's: an earlier attempt of the same
    submission opened it (started the case, or had its application taken)."""
    return status.cycle_workflow_id == cycle_workflow_id


def continuation_refusal(
    product_code: str, workflow_id: str, status: CaseStatus, *, applying: bool
) -> Refusal | None:
    """Whether the cycle may go on with a product whose case (`status`) runs already.

    Only a certified case between rounds takes a new round, and only through an
    application (`applying`: the submission is an upgrade or a re-evaluation).
    """
    certificate = status.certificate
    if certificate is None or status.stage != CaseStage.CERTIFIED:
        return Refusal(
            "CaseAlreadyOpen",
            f"sản phẩm {product_code} đang có hồ sơ chưa xử lý xong (vòng "
            f"{status.round_number}, giai đoạn {status.stage.value}) — product "
            f"{product_code} already has an open case ({workflow_id}, round "
            f"{status.round_number}, stage {status.stage.value}); wait for its round to end",
        )
    if not applying:
        return Refusal(
            "AlreadyCertified",
            f"sản phẩm {product_code} đang có giấy chứng nhận OCOP "
            f"{int(certificate.stars)} sao số {certificate.number} còn hiệu lực đến "
            f"{format_day(certificate.valid_until)}; đề nghị đăng ký nâng hạng "
            f"hoặc đánh giá lại — product {product_code} holds a valid "
            f"{int(certificate.stars)}★ certificate: submit an 'upgrade' or "
            f"'reevaluation' dossier",
        )
    return None


# ------------------------------------------------------------- batch recognition


def recognised_by(status: CaseStatus, decision: PlannedDecision) -> bool:
    """Whether the case's certificate comes from this decision (so it is not asked twice)."""
    certificate = status.certificate
    return (
        certificate is not None
        and certificate.decision_number == decision.number
        and certificate.authority == decision.authority
    )


def batch_recognition_refusal(status: CaseStatus, decision: PlannedDecision) -> Refusal | None:
    """A decision recognises only a case awaiting recognition at the decision's level;
    any other is listed but skipped, with this reason in the register."""
    if status.stage == CaseStage.AWAITING_RECOGNITION and status.level == decision.level:
        return None
    return Refusal(
        "NotAwaitingRecognition",
        f"not awaiting recognition at {decision.level} (stage {status.stage.value}"
        f" at {status.level})",
    )


# ---------------------------------------------------------------------- schedule

SCHEDULE_YEAR_FIELDS = ("calendar", "year")
"""Settings a yearly schedule must not carry: each launch takes its year's calendar."""


def schedule_settings_refusal(fields: Collection[str]) -> Refusal | None:
    """A yearly schedule's settings name no year and no calendar of their own."""
    if any(name in fields for name in SCHEDULE_YEAR_FIELDS):
        return Refusal(
            "CalendarInSchedule",
            "a yearly schedule uses each year's official calendar; remove 'calendar' and "
            "'year' (or start one year with `ocop cycle start`)",
        )
    return None


_NOT_A_LEAP_YEAR = 2001


def yearly_day_refusal(month: int, day: int, *, written: str | None = None) -> Refusal | None:
    """A yearly launch day must come every year: a real day, and not 29 February.

    `written` is the day as the person wrote it, for the message (default MM-DD).
    """
    try:
        date(_NOT_A_LEAP_YEAR, month, day)
    except ValueError:
        shown = written if written is not None else f"{month:02d}-{day:02d}"
        return Refusal(
            "NotEveryYear", f"{shown!r} is not a day that comes every year (MM-DD, e.g. 01-02)"
        )
    return None


# ------------------------------------------------------------- a case's progress


class ProgressVerdict(StrEnum):
    """What the cycle does with a `case_progress` signal (the words its log uses)."""

    ACCEPTED = "accepted"
    NOT_ITS_CASE = "not_one_of_the_cycles_cases"
    WRONG_ROUND = "not_the_cases_round_in_this_cycle"
    STALE = "older_than_what_the_case_said"


@dataclass(frozen=True)
class CaseOfCycle:
    """What the cycle knows of a case it opened, to check what the case tells it.

    `round_confirmed` False: the round is at least `round_number`, and the case's first
    word says which. `event_seq`: the case's event counter in its last accepted word
    (None: not known, e.g. after the cycle continued as new).
    """

    workflow_id: str
    round_number: int
    round_confirmed: bool
    event_seq: int | None = None


FIRST_ROUND = 1
"""The round a case the cycle starts runs (`case_request`'s `CarriedState`)."""


def opened_case(workflow_id: str, action: OpenAction) -> CaseOfCycle:
    """What opening a submission's case tells the cycle of the round that case runs.

    A case the cycle started runs its first round. An application continues a certified
    case into its next round, whose number the case's first word tells (2 or more). A
    recorded submission has no case: whoever plays it names the round first.
    """
    if action == OpenAction.STARTED:
        return CaseOfCycle(workflow_id, FIRST_ROUND, round_confirmed=True)
    at_least = FIRST_ROUND + 1 if action == OpenAction.APPLIED else FIRST_ROUND
    return CaseOfCycle(workflow_id, at_least, round_confirmed=False)


def progress_verdict(progress: CaseProgress, case: CaseOfCycle | None) -> ProgressVerdict:
    """Whether the cycle takes a case's word (`case`: what it knows of the case it opened
    for the product the word names; None: no case of the cycle has that product).

    A signal names its sender only by what it carries, so the word must match the case
    the cycle opened: its workflow id, its round in this cycle, and an event counter
    that does not go back (a case that once said its counter always says it). Anything
    else is ignored: a signal cannot be refused to its sender.
    """
    if case is None or progress.workflow_id != case.workflow_id:
        return ProgressVerdict.NOT_ITS_CASE
    if progress.round_number != case.round_number and (
        case.round_confirmed or progress.round_number < case.round_number
    ):
        return ProgressVerdict.WRONG_ROUND
    if case.event_seq is not None and (
        progress.event_seq is None or progress.event_seq < case.event_seq
    ):
        return ProgressVerdict.STALE
    return ProgressVerdict.ACCEPTED
