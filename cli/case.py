"""The per-case command line: one product's case, step by step, as the people around it act.

``ocop open`` starts a product's case from a file; ``review``, ``supply``, ``score``,
``close-session``, ``recognise``, ``apply`` and ``revoke`` send the human steps as
workflow Updates; ``status`` shows where the case stands. Each command names the
product by ``PROVINCE PRODUCT_CODE`` (or ``--id WORKFLOW_ID``), prints one line on what
happened and where the case is now, and exits non-zero with one clear line on bad
input (exit 2) or when the case refuses the step (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError, RPCStatusCode

from cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    answer_query,
    answer_update,
    console,
    fail,
    load_model,
    plural,
    print_json,
    read_data,
    read_mapping,
    run,
    validated,
)
from infra.cases import case_handle, open_case
from infra.settings import Settings
from models.case import (
    Application,
    CaseStage,
    CaseStatus,
    CloseSession,
    LifecycleInput,
    MemberScore,
    NextDeadline,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SessionClosed,
    SupplementSubmission,
    product_workflow_id,
    rejection_refusal,
)
from models.catalogue import DocumentKind
from models.clock import VIETNAM
from models.dossier import DocumentRef, Dossier, Language, document_size_refusal
from models.labels import Form, label
from models.rulebook import RULEBOOKS
from models.scorecard import Scorecard
from workflows.product_lifecycle import ProductLifecycleWorkflow

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

Handle = WorkflowHandle[ProductLifecycleWorkflow, Any]

PANEL = "A product's case"

case_app = typer.Typer(rich_markup_mode="rich")

_AT_LEVEL = frozenset(
    {
        CaseStage.LOCAL_REVIEW,
        CaseStage.AWAITING_SUPPLEMENT,
        CaseStage.COUNCIL_SCORING,
        CaseStage.AWAITING_RECOGNITION,
    }
)

# Model fields as the options that fill them, so a refusal names what the user typed.
FLAGS = {
    "reviewer": "--by",
    "submitted_by": "--by",
    "closed_by": "--by",
    "reason": "--reason",
    "documents_requested": "--document",
    "level": "--level",
    "authority": "--authority",
    "decision_number": "--decision",
    "decided_on": "--date",
    "certificate_number": "--certificate",
    "grounds": "--grounds",
    "details": "--details",
    "cycle_year": "--year",
}
PATTERN_HINTS = {
    "--decision": "a decision number such as 125/QĐ-UBND (letters, digits, . / - and spaces)",
    "--certificate": "a certificate number such as QN-OCOP-0215 (letters, digits, . / - and "
    "spaces)",
}


# ------------------------------------------------------------------ plumbing


def _bad_input(message: str) -> NoReturn:
    fail(message, EXIT_BAD_INPUT)


def _say(message: str) -> None:
    console.print(Text(message), soft_wrap=True)


@dataclass(frozen=True)
class Target:
    """The case a command addresses, and how to name it to a person."""

    workflow_id: str
    label: str
    address: str
    """How a command names it: PROVINCE PRODUCT_CODE, or --id WORKFLOW_ID."""
    by_id: bool = False

    @property
    def title(self) -> str:
        return self.label[:1].upper() + self.label[1:]

    @property
    def nothing_here(self) -> str:
        if self.by_id:
            return f"no case has workflow id {self.workflow_id}"
        return f"no case exists for {self.label} (workflow id {self.workflow_id})"


ProvinceArg = Annotated[
    str | None,
    typer.Argument(metavar="PROVINCE", help="Province code, e.g. quang-ninh.", show_default=False),
]
CodeArg = Annotated[
    str | None,
    typer.Argument(
        metavar="PRODUCT_CODE", help="The product's code, e.g. MO-BINHLIEU.", show_default=False
    ),
]
IdOption = Annotated[
    str | None,
    typer.Option(
        "--id",
        metavar="WORKFLOW_ID",
        help="Name the case by its workflow id instead of PROVINCE PRODUCT_CODE.",
        show_default=False,
    ),
]
ByOption = Annotated[str, typer.Option("--by", metavar="NAME", help="Who acts (name or office).")]


def _target(
    province: str | None, code: str | None, workflow_id: str | None, *rest: str | None
) -> tuple[Target, list[str]]:
    """The addressed case and the positional arguments after the address.

    With ``--id`` there is no PROVINCE PRODUCT_CODE, so what the parser put in those
    slots is the command's own arguments, shifted left.
    """
    given = [value for value in (province, code, *rest) if value is not None]
    if workflow_id is not None:
        return Target(workflow_id, f"case {workflow_id}", f"--id {workflow_id}", by_id=True), given
    if len(given) < 2:
        _bad_input("name the product: PROVINCE PRODUCT_CODE (or --id WORKFLOW_ID)")
    province_code, product_code, *positionals = given
    return (
        Target(
            product_workflow_id(province_code, product_code),
            f"product {product_code} of {province_code}",
            f"{province_code} {product_code}",
        ),
        positionals,
    )


def _no_extra(positionals: Sequence[str], command: str) -> None:
    if positionals:
        what = "argument" if len(positionals) == 1 else "arguments"
        _bad_input(
            f"unexpected {what} {' '.join(positionals)!r}; "
            f"see `ocop {command} --help` for what it takes"
        )


def _choice(enum: type[E], value: str, flag: str, *, hyphens: bool = False) -> E:
    """An enum member from what a person typed (either - or _); else the accepted values."""
    key = value.strip().lower().replace("-", "_")
    for member in enum:
        if member.value == key:
            return member
    shown = [m.value.replace("_", "-") if hyphens else m.value for m in enum]
    _bad_input(f"{flag}: {value!r} is not accepted; accepted values: {', '.join(shown)}")


def _parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        _bad_input(f"{flag}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-15")


def _build(model: type[M], data: Mapping[str, Any], where: str = "") -> M:
    """`data` as a model; what is wrong is one line naming the options the user typed
    (or, for a file's fields, the file and the fields)."""
    return validated(model, data, where, flags=None if where else FLAGS, hints=PATTERN_HINTS)


def _on_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).date().isoformat()


def _deadline(deadline: NextDeadline) -> str:
    """'district review by 2024-03-31'; a reminder or an expiry comes 'on' its day."""
    when = "on" if deadline.what.startswith(("expiry", "certificate")) else "by"
    return f"{deadline.what} {when} {_on_date(deadline.due)}"


def _where(status: CaseStatus) -> str:
    """Where the case stands now, in one clause."""
    text = f"now {label(status.stage, Language.EN, Form.STATUS)}"
    if status.stage in _AT_LEVEL and status.level:
        text += f" at {status.level} level"
    if status.round_number > 1:
        text += f" (round {status.round_number})"
    if status.next_deadline is not None:
        text += f"; next: {_deadline(status.next_deadline)}"
    return text


async def _unknown(client: Client, target: Target, error: RPCError) -> NoReturn:
    """Explain an RPC 'not found': no such case, or a case that has ended."""
    handle = case_handle(client, target.workflow_id)
    try:
        description = await handle.describe()
    except RPCError as missing:
        if missing.status == RPCStatusCode.NOT_FOUND:
            fail(f"{target.nothing_here}; open one with `ocop open CASE.yaml`")
        raise error from None
    if description.status == WorkflowExecutionStatus.RUNNING:
        raise error
    ended = (description.status.name if description.status else "closed").lower()
    with contextlib.suppress(RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        status = await answer_query(client, handle, handle.query(ProductLifecycleWorkflow.status))
        ended = f"stage {status.stage.value}, round {status.round_number}"
    fail(
        f"the case of {target.label} has ended ({ended}); "
        "a new case for the product can be opened with `ocop open CASE.yaml`"
    )


async def _call(
    client: Client,
    target: Target,
    work: Callable[[Handle], Awaitable[T]],
    *,
    update: bool = True,
) -> T:
    """Run one Update (or query) on the case, turning 'not found' and a missing worker
    into one clear line."""
    handle = case_handle(client, target.workflow_id)
    try:
        if update:
            return await answer_update(
                client, handle, work(handle), f"`ocop status {target.address}`"
            )
        return await answer_query(client, handle, work(handle))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            await _unknown(client, target, error)
        raise


async def _status(client: Client, target: Target) -> CaseStatus:
    return await _call(
        client, target, lambda h: h.query(ProductLifecycleWorkflow.status), update=False
    )


def _act(
    target: Target,
    update: Callable[[Handle], Awaitable[T]],
) -> tuple[T, CaseStatus]:
    """Send one Update, then read where the case stands."""

    async def action(client: Client, _: Settings) -> tuple[T, CaseStatus]:
        answer = await _call(client, target, update)
        return answer, await _status(client, target)

    return run(action)


# ---------------------------------------------------------------------- open


@case_app.command("open", rich_help_panel=PANEL)
def open_command(
    case_file: Annotated[
        Path,
        typer.Argument(
            metavar="CASE.yaml",
            help="The case (a LifecycleInput, JSON or YAML): dossier, rulebook, councils, "
            "cycle_year; see examples/case-mat-ong-binh-lieu.yaml.",
            show_default=False,
        ),
    ],
) -> None:
    """Open a product's case directly (provinces not running a cycle).

    The rulebook may be given by its id (qd148-2023, qd1489-2025). A product can have
    one open case at a time: a second one is refused.
    """
    case = _load_case(case_file)
    dossier = case.dossier
    first = case.rulebook.levels[0].name

    async def action(client: Client, settings: Settings) -> str:
        handle = await open_case(client, case, settings.task_queue)
        return handle.id

    workflow_id = run(action)
    _say(
        f"Opened case {workflow_id} for {dossier.product_name} ({dossier.product_code} of "
        f"{dossier.province}); its dossier awaits the {first} review: "
        f"ocop review {dossier.province} {dossier.product_code} "
        "accept|request-supplement|reject --by NAME"
    )


def _load_case(path: Path) -> LifecycleInput:
    data = read_mapping(path, "case fields (dossier, rulebook, councils, cycle_year)")
    book = data.get("rulebook")
    if isinstance(book, str):
        if book not in RULEBOOKS:
            _bad_input(
                f"{path}: rulebook: unknown rulebook {book!r}; accepted: "
                + ", ".join(sorted(RULEBOOKS))
            )
        data = {**data, "rulebook": RULEBOOKS[book]}
    return _build(LifecycleInput, data, str(path))


# -------------------------------------------------------------------- review


@case_app.command("review", rich_help_panel=PANEL)
def review_command(
    by: ByOption,
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    action: Annotated[
        str | None,
        typer.Argument(
            metavar="ACTION",
            help="accept, request-supplement or reject.",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option(metavar="TEXT", help="Why (required to reject; shown to the producer)."),
    ] = "",
    documents: Annotated[
        list[str] | None,
        typer.Option(
            "--document",
            metavar="KIND",
            help="For request-supplement: a document kind to bring (repeat for several; "
            "default: what the dossier lacks), e.g. test_results.",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Decide on the dossier: accept it, request a supplement, or reject it."""
    target, positionals = _target(province, product_code, workflow_id, action)
    if not positionals:
        _bad_input("ACTION is missing; accepted values: accept, request-supplement, reject")
    chosen = _choice(ReviewAction, positionals[0], "ACTION", hyphens=True)
    _no_extra(positionals[1:], "review")
    kinds = tuple(_choice(DocumentKind, kind, "--document") for kind in documents or ())
    if kinds and chosen != ReviewAction.REQUEST_SUPPLEMENT:
        _bad_input("--document is only for request-supplement")
    no_reason = rejection_refusal(chosen, reason)
    if no_reason is not None:
        _bad_input(f"{no_reason.message}: add --reason '…'")
    decision = _build(
        ReviewDecision,
        {"action": chosen, "reviewer": by, "reason": reason, "documents_requested": kinds},
    )
    _, status = _act(target, lambda h: h.execute_update(ProductLifecycleWorkflow.review, decision))
    done = {
        ReviewAction.ACCEPT: "accepted",
        ReviewAction.REQUEST_SUPPLEMENT: "supplement requested",
        ReviewAction.REJECT: "rejected",
    }[chosen]
    extra = ""
    if status.stage == CaseStage.AWAITING_SUPPLEMENT and status.missing_documents:
        extra = f" (documents: {', '.join(status.missing_documents)})"
    _say(f"Review of {target.label}: {done}{extra}; {_where(status)}.")


# -------------------------------------------------------------------- supply

SUPPLY_HELP = """Hand in a supplement: the documents the reviewer asked for.

Give the files themselves: the command computes each file's SHA-256 and size and sends
these with the file name (the files stay where they are). Say what each file is with
[bold]--kind[/], once per file in the same order, or once for all of them:

  ocop supply quang-ninh MO-BINHLIEU kiem-nghiem.pdf --kind test_results --by "HTX Hợp Tiến"

Or list them in a YAML file ([bold]--refs[/]): each item is [bold]path[/] + [bold]kind[/]
(a path relative to the YAML file), or a full reference as in a dossier
([bold]file_name, kind, sha256, size_bytes[/]) for documents kept elsewhere.
"""


@case_app.command("supply", rich_help_panel=PANEL, help=SUPPLY_HELP)
def supply_command(
    by: ByOption,
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", help="Document files to hand in.", show_default=False),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="What each FILE is (once per file, in order, or once for all), e.g. test_results.",
            show_default=False,
        ),
    ] = None,
    refs: Annotated[
        Path | None,
        typer.Option(
            "--refs",
            metavar="DOCS.yaml",
            help="A YAML list of documents: path + kind, or file_name, kind, sha256, size_bytes.",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    target, paths = _target(province, product_code, workflow_id, *(files or ()))
    documents = list(_documents_from_files(paths, kinds or []))
    if refs is not None:
        documents += _documents_from_yaml(refs)
    elif not paths:
        _bad_input("no documents: give FILE… with --kind, or --refs DOCS.yaml")
    supplement = _build(SupplementSubmission, {"submitted_by": by, "documents": documents})
    _, status = _act(
        target, lambda h: h.execute_update(ProductLifecycleWorkflow.supply_supplement, supplement)
    )
    names = ", ".join(f"{d.file_name} ({d.kind.value})" for d in supplement.documents)
    missing = ", ".join(status.missing_documents) or "nothing"
    _say(
        f"Supplement for {target.label} received: {names}; still missing: {missing}; "
        f"{_where(status)}."
    )


def _documents_from_files(paths: Sequence[str], kinds: Sequence[str]) -> list[DocumentRef]:
    if not paths:
        if kinds:
            _bad_input("--kind names what each FILE is, but no FILE was given")
        return []
    if not kinds:
        _bad_input("say what each file is with --kind KIND (once per file, or once for all)")
    if len(kinds) not in (1, len(paths)):
        _bad_input(
            f"{len(paths)} files but {len(kinds)} --kind options: give one --kind per file, "
            "in the same order, or a single --kind for all of them"
        )
    chosen = [_choice(DocumentKind, kind, "--kind") for kind in kinds]
    if len(chosen) == 1:
        chosen *= len(paths)
    return [_document(Path(path), kind) for path, kind in zip(paths, chosen, strict=True)]


def _document(path: Path, kind: DocumentKind, file_name: str | None = None) -> DocumentRef:
    """A reference to a local file: its name, kind, SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        _bad_input(f"cannot read {path}: {error.strerror or error}")
    refusal = document_size_refusal(str(path), size)
    if refusal is not None:
        _bad_input(refusal.message)
    return _build(
        DocumentRef,
        {
            "file_name": file_name or path.name,
            "kind": kind,
            "sha256": digest.hexdigest(),
            "size_bytes": size,
        },
        str(path),
    )


def _documents_from_yaml(path: Path) -> list[DocumentRef]:
    data = read_data(path)
    if isinstance(data, dict) and "documents" in data:
        data = data["documents"]
    if not isinstance(data, list) or not data:
        _bad_input(f"{path}: expected a list of documents (path + kind, or full references)")
    documents = []
    for number, item in enumerate(data, start=1):
        where = f"{path}: document {number}"
        if not isinstance(item, dict):
            _bad_input(f"{where}: expected a mapping with path and kind")
        if "path" in item:
            unknown = sorted(set(item) - {"path", "kind", "file_name"})
            if unknown or "kind" not in item:
                _bad_input(f"{where}: give path and kind (and optionally file_name)")
            kind = _choice(DocumentKind, str(item["kind"]), f"{where}: kind")
            documents.append(
                _document(path.parent / str(item["path"]), kind, item.get("file_name"))
            )
        else:
            documents.append(_build(DocumentRef, item, where))
    return documents


# --------------------------------------------------------------------- score


@case_app.command("score", rich_help_panel=PANEL)
def score_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    scorecards: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SCORECARD.yaml",
            help="A council member's scorecard (member_id, level, part_a, part_b, part_c, "
            "mandatory_criteria_met, comment); several files are sent in order.",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Send council members' scorecards; sending a member's card again replaces it."""
    target, paths = _target(province, product_code, workflow_id, *(scorecards or ()))
    if not paths:
        _bad_input("give at least one SCORECARD.yaml (see examples/scorecard-district-chair.yaml)")
    cards = [load_model(Path(path), Scorecard, "scorecard fields") for path in paths]

    async def action(client: Client, _: Settings) -> CaseStatus:
        for card in cards:
            score = await _call(client, target, _scorecard_update(card))
            met = "met" if score.mandatory_criteria_met else "NOT met"
            _say(
                f"Scorecard of {score.member_id} at {card.level} level for {target.label}: "
                f"A {score.part_a} + B {score.part_b} + C {score.part_c} = {score.total} "
                f"points; mandatory 3★ criteria {met}."
            )
        return await _status(client, target)

    status = run(action)
    _say(
        f"{plural(len(status.scores), 'scorecard')} in for session attempt "
        f"{status.session_attempt}; "
        f"{_where(status)}."
    )


def _scorecard_update(card: Scorecard) -> Callable[[Handle], Awaitable[MemberScore]]:
    submission = ScorecardSubmission(scorecard=card)
    return lambda h: h.execute_update(ProductLifecycleWorkflow.submit_scorecard, submission)


# ------------------------------------------------------------- close-session


@case_app.command("close-session", rich_help_panel=PANEL)
def close_session_command(
    by: ByOption,
    level: Annotated[
        str, typer.Option("--level", metavar="LEVEL", help="The session's level, e.g. district.")
    ],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    as_json: JsonOption = False,
    workflow_id: IdOption = None,
) -> None:
    """Close the council session: the result (mean, stars), or a re-score when totals diverge."""
    target, positionals = _target(province, product_code, workflow_id)
    _no_extra(positionals, "close-session")
    request = _build(CloseSession, {"level": level.strip(), "closed_by": by})
    closed, status = _act(
        target, lambda h: h.execute_update(ProductLifecycleWorkflow.close_session, request)
    )
    if as_json:
        print_json(closed)
        return
    _say(_session_outcome(request.level, closed, status))


def _session_outcome(level: str, closed: SessionClosed, status: CaseStatus) -> str:
    result = closed.result
    if result is None:
        return (
            f"The {level} council must re-score: {closed.explanation}. Session attempt "
            f"{status.session_attempt} is open: every member sends a scorecard again."
        )
    met = "met" if result.mandatory_criteria_met else "NOT met"
    totals = ", ".join(f"{member} {total}" for member, total in result.member_totals.items())
    return (
        f"The {level} council's result: mean {result.mean} points → {int(result.stars)}★ "
        f"(mandatory 3★ criteria {met}; totals: {totals}); {_where(status)}."
    )


# ----------------------------------------------------------------- recognise


@case_app.command("recognise", rich_help_panel=PANEL)
def recognise_command(
    level: Annotated[
        str, typer.Option(metavar="LEVEL", help="The recognising level, e.g. district.")
    ],
    authority: Annotated[
        str, typer.Option(metavar="NAME", help="Who decides, e.g. 'UBND huyện Bình Liêu'.")
    ],
    decision: Annotated[
        str, typer.Option(metavar="NUMBER", help="The decision's number, e.g. 125/QĐ-UBND.")
    ],
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The decision's date.")],
    certificate: Annotated[str, typer.Option(metavar="NUMBER", help="The certificate's number.")],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    workflow_id: IdOption = None,
) -> None:
    """Record the recognition decision; the product gets its certificate (36 months)."""
    target, positionals = _target(province, product_code, workflow_id)
    _no_extra(positionals, "recognise")
    recognition = _build(
        RecognitionDecision,
        {
            "level": level.strip(),
            "authority": authority,
            "decision_number": decision.strip(),
            "decided_on": _parse_date(on, "--date"),
            "certificate_number": certificate.strip(),
        },
    )
    _, status = _act(
        target, lambda h: h.execute_update(ProductLifecycleWorkflow.recognise, recognition)
    )
    issued = status.certificate
    if issued is None:
        _say(f"Recognition of {target.label} recorded; {_where(status)}.")
        return
    _say(
        f"{target.title} recognised {int(issued.stars)}★ at {issued.level} level "
        f"by decision {issued.decision_number} of {issued.authority}: certificate "
        f"{issued.number}, valid {issued.valid_from.isoformat()} to "
        f"{issued.valid_until.isoformat()}."
    )


# --------------------------------------------------------------------- apply


@case_app.command("apply", rich_help_panel=PANEL)
def apply_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    dossier_file: Annotated[
        str | None,
        typer.Argument(
            metavar="DOSSIER.yaml",
            help="The new dossier; its registration_kind (upgrade or reevaluation) says "
            "which; see examples/reevaluation-mat-ong.yaml.",
            show_default=False,
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            metavar="YEAR",
            help="The OCOP cycle year of the new round (default: the case's current year).",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Apply for an upgrade or a re-evaluation of a certified product: a new round."""
    target, positionals = _target(province, product_code, workflow_id, dossier_file)
    if not positionals:
        _bad_input("give the DOSSIER.yaml of the application")
    _no_extra(positionals[1:], "apply")
    dossier = load_model(Path(positionals[0]), Dossier, "dossier fields")

    async def action(client: Client, settings: Settings) -> tuple[Application, CaseStatus]:
        before = await _status(client, target)
        cycle_year = year if year is not None else before.business_now.astimezone(VIETNAM).year
        application = _build(Application, {"dossier": dossier, "cycle_year": cycle_year})
        await _call(
            client, target, lambda h: h.execute_update(ProductLifecycleWorkflow.apply, application)
        )
        # The new round is a new run of the case: wait (briefly) until it answers.
        status = before
        for _attempt in range(100):
            status = await _status(client, target)
            if status.round_number > before.round_number:
                break
            await asyncio.sleep(0.05)
        return application, status

    application, status = run(action)
    kind = application.dossier.registration_kind.value
    _say(
        f"Application for {kind} of {target.label} received (cycle {application.cycle_year}); "
        f"{_where(status)}."
    )


# -------------------------------------------------------------------- revoke


@case_app.command("revoke", rich_help_panel=PANEL)
def revoke_command(
    authority: Annotated[
        str, typer.Option(metavar="NAME", help="Who revokes, e.g. 'UBND tỉnh Quảng Ninh'.")
    ],
    decision: Annotated[
        str, typer.Option(metavar="NUMBER", help="The revocation decision's number.")
    ],
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The decision's date.")],
    grounds: Annotated[
        str,
        typer.Option(
            metavar="GROUNDS",
            help="process_not_followed, food_safety, quality_mismatch, design_mismatch, "
            "ceased_production or other.",
        ),
    ],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    details: Annotated[
        str, typer.Option(metavar="TEXT", help="What was found (shown to the producer).")
    ] = "",
    workflow_id: IdOption = None,
) -> None:
    """Revoke the product's certificate by decision (thu hồi)."""
    target, positionals = _target(province, product_code, workflow_id)
    _no_extra(positionals, "revoke")
    revocation = _build(
        RevocationDecision,
        {
            "authority": authority,
            "decision_number": decision.strip(),
            "decided_on": _parse_date(on, "--date"),
            "grounds": _choice(RevocationGround, grounds, "--grounds"),
            "details": details,
        },
    )
    _, status = _act(
        target, lambda h: h.execute_update(ProductLifecycleWorkflow.revoke, revocation)
    )
    _say(
        f"Certificate of {target.label} revoked by decision {revocation.decision_number} "
        f"({revocation.grounds.value}); {_where(status)}."
    )


# -------------------------------------------------------------------- status


@case_app.command("status", rich_help_panel=PANEL)
def status_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    as_json: JsonOption = False,
    workflow_id: IdOption = None,
) -> None:
    """Where a product's case stands: stage, scores, result, certificate, deadline, history."""
    target, positionals = _target(province, product_code, workflow_id)
    _no_extra(positionals, "status")

    async def action(client: Client, _: Settings) -> CaseStatus:
        return await _status(client, target)

    status = run(action)
    if as_json:
        print_json(status)
        return
    show_status(status)


def _stars(stars: int | None) -> str:
    return f"{int(stars)}★" if stars else "—"


def show_status(status: CaseStatus) -> None:
    """A readable view of a case: its facts, then scores, decisions and rounds."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    stage = label(status.stage, Language.EN, Form.STATUS)
    if status.level and status.stage in _AT_LEVEL:
        stage += f" at {status.level} level"
    rows: list[tuple[str, str]] = [
        ("Product", f"{status.product_name} ({status.product_code})"),
        ("Province", f"{status.province} (locality {status.locality})"),
        ("Case", status.workflow_id),
        (
            "Round",
            f"{status.round_number}: {status.registration_kind.value}, "
            f"cycle {status.cycle_year}, rulebook {status.rulebook}",
        ),
        ("Stage", stage),
        ("Stars", _stars(status.current_stars)),
    ]
    certificate = status.certificate
    if certificate is not None:
        reminders = ", ".join(f"{days} days" for days in certificate.reminders_sent)
        rows.append(
            (
                "Certificate",
                f"{certificate.number}: {int(certificate.stars)}★ at {certificate.level} level, "
                f"valid {certificate.valid_from.isoformat()} to "
                f"{certificate.valid_until.isoformat()} (decision {certificate.decision_number}"
                f" of {certificate.authority})"
                + (f"; expiry reminders sent: {reminders}" if reminders else ""),
            )
        )
    if status.next_deadline is not None:
        rows.append(("Next", _deadline(status.next_deadline)))
    if status.missing_documents:
        rows.append(("Missing documents", ", ".join(status.missing_documents)))
    if status.last_result is not None:
        result = status.last_result
        rows.append(
            (
                "Last result",
                f"mean {result.mean} points → {int(result.stars)}★ (mandatory 3★ criteria "
                f"{'met' if result.mandatory_criteria_met else 'NOT met'})",
            )
        )
    rows.append(("Business date", _on_date(status.business_now)))
    pending = []
    if status.emails_queued:
        pending.append(f"{plural(status.emails_queued, 'email')} queued")
    if status.register_writes_pending:
        pending.append(plural(status.register_writes_pending, "register write"))
    if pending:
        rows.append(("Pending", ", ".join(pending)))
    for name, value in rows:
        facts.add_row(name, Text(value))
    console.print(facts)

    if status.scores:
        scores = _table(
            f"Scorecards at {status.level} level, session attempt {status.session_attempt}",
            ["Member", "A", "B", "C", "Total", "Mandatory 3★"],
        )
        for score in status.scores:
            scores.add_row(
                Text(score.member_id),
                str(score.part_a),
                str(score.part_b),
                str(score.part_c),
                str(score.total),
                "met" if score.mandatory_criteria_met else "NOT met",
            )
        console.print(scores)
    if status.decisions:
        decisions = _table("Decisions", ["Date", "Kind", "Number", "Level", "Authority", "What"])
        for record in status.decisions:
            decisions.add_row(
                record.decided_on.isoformat(),
                record.kind.value,
                Text(record.number),
                Text(record.level),
                Text(record.authority),
                Text(record.summary),
            )
        console.print(decisions)
    if status.rounds:
        rounds = _table("Rounds", ["#", "Kind", "Year", "Outcome", "Level", "Mean", "Stars"])
        for summary in status.rounds:
            rounds.add_row(
                str(summary.round_number),
                summary.registration_kind.value,
                str(summary.cycle_year),
                Text(summary.outcome.value + (f": {summary.reason}" if summary.reason else "")),
                Text(summary.level or ""),
                str(summary.mean) if summary.mean is not None else "",
                _stars(summary.stars),
            )
        console.print(rounds)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column)
    return table
