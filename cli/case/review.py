"""Opening a case and its dossier's review: ``ocop open``, ``review`` and ``supply``.

A supplement's documents are referenced by their SHA-256 and size, computed here from
the files themselves (which stay where they are), or listed in a YAML file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from temporalio.client import Client

from cli.acting import SIGNED_IN
from cli.case.inputs import bad_input, build, choice, no_extra
from cli.case.target import (
    PANEL,
    CodeArg,
    IdOption,
    ProvinceArg,
    case_app,
    find_target,
)
from cli.case.through_api import CaseStep, act
from cli.case.wording import say, where_now
from cli.common import read_data, read_mapping, run
from contracts import case
from infra.cases import open_case
from infra.settings import Settings
from models.case import (
    CaseStage,
    LifecycleInput,
    ReviewAction,
    ReviewDecision,
    SupplementSubmission,
    rejection_refusal,
)
from models.case_rules import requested_documents_refusal
from models.catalogue import DocumentKind
from models.dossier import DocumentRef, document_size_refusal
from models.errors import DomainError
from models.rulebook import rulebook

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
    say(
        f"Opened case {workflow_id} for {dossier.product_name} ({dossier.product_code} of "
        f"{dossier.province}); its dossier awaits the {first} review: "
        f"ocop review {dossier.province} {dossier.product_code} "
        "accept|request-supplement|reject"
    )


def _load_case(path: Path) -> LifecycleInput:
    data = read_mapping(path, "case fields (dossier, rulebook, councils, cycle_year)")
    book = data.get("rulebook")
    if isinstance(book, str):
        try:
            data = {**data, "rulebook": rulebook(book)}
        except DomainError as unknown:
            bad_input(f"{path}: rulebook: {unknown}")
    return build(LifecycleInput, data, str(path))


# -------------------------------------------------------------------- review


@case_app.command("review", rich_help_panel=PANEL)
def review_command(
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
    assessment_file: Annotated[
        Path | None,
        typer.Option(
            "--local-assessment",
            metavar="YAML",
            help="For the commune's accept under the 2025 rules: its findings on the four "
            "local-origin criteria and its evaluation report (see "
            "examples/local-assessment-binh-lieu.yaml).",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Decide on the dossier: accept it, request a supplement, or reject it."""
    target, positionals = find_target(province, product_code, workflow_id, action)
    if not positionals:
        bad_input("ACTION is missing; accepted values: accept, request-supplement, reject")
    chosen = choice(ReviewAction, positionals[0], "ACTION", hyphens=True)
    no_extra(positionals[1:], "review")
    kinds = tuple(choice(DocumentKind, kind, "--document") for kind in documents or ())
    if requested_documents_refusal(chosen, kinds) is not None:
        bad_input("--document is only for request-supplement")
    no_reason = rejection_refusal(chosen, reason)
    if no_reason is not None:
        bad_input(f"{no_reason.message}: add --reason '…'")
    decision = build(
        ReviewDecision,
        {
            "action": chosen,
            "reviewer": SIGNED_IN,
            "reason": reason,
            "documents_requested": kinds,
            "local_assessment": _local_assessment(assessment_file),
        },
    )
    _, status = act(target, "ocop review", CaseStep(case.REVIEW, decision))
    done = {
        ReviewAction.ACCEPT: "accepted",
        ReviewAction.REQUEST_SUPPLEMENT: "supplement requested",
        ReviewAction.REJECT: "rejected",
    }[chosen]
    extra = ""
    if status.stage == CaseStage.AWAITING_SUPPLEMENT and status.missing_documents:
        extra = f" (documents: {', '.join(status.missing_documents)})"
    say(f"Review of {target.label}: {done}{extra}; {where_now(status)}.")


def _local_assessment(path: Path | None) -> dict[str, Any] | None:
    """The commune's assessment from its YAML file; the report's hash and size computed
    from the file it names (relative to the YAML file)."""
    if path is None:
        return None
    data = read_mapping(path, "assessed_by, findings and report")
    report = data.get("report")
    if isinstance(report, str):
        data["report"] = _document(path.parent / report, DocumentKind.OTHER).model_dump()
    return data


# -------------------------------------------------------------------- supply

SUPPLY_HELP = """Hand in a supplement: the documents the reviewer asked for.

Give the files themselves: the command computes each file's SHA-256 and size and sends
these with the file name (the files stay where they are). Say what each file is with
[bold]--kind[/], once per file in the same order, or once for all of them:

  ocop supply quang-ninh MO-BINHLIEU kiem-nghiem.pdf --kind test_results

Or list them in a YAML file ([bold]--refs[/]): each item is [bold]path[/] + [bold]kind[/]
(a path relative to the YAML file), or a full reference as in a dossier
([bold]file_name, kind, sha256, size_bytes[/]) for documents kept elsewhere.
"""


@case_app.command("supply", rich_help_panel=PANEL, help=SUPPLY_HELP)
def supply_command(
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
    target, paths = find_target(province, product_code, workflow_id, *(files or ()))
    documents = list(_documents_from_files(paths, kinds or []))
    if refs is not None:
        documents += _documents_from_yaml(refs)
    elif not paths:
        bad_input("no documents: give FILE… with --kind, or --refs DOCS.yaml")
    supplement = build(SupplementSubmission, {"submitted_by": SIGNED_IN, "documents": documents})
    _, status = act(target, "ocop supply", CaseStep(case.SUPPLY_SUPPLEMENT, supplement))
    names = ", ".join(f"{d.file_name} ({d.kind.value})" for d in supplement.documents)
    missing = ", ".join(status.missing_documents) or "nothing"
    say(
        f"Supplement for {target.label} received: {names}; still missing: {missing}; "
        f"{where_now(status)}."
    )


def _documents_from_files(paths: Sequence[str], kinds: Sequence[str]) -> list[DocumentRef]:
    if not paths:
        if kinds:
            bad_input("--kind names what each FILE is, but no FILE was given")
        return []
    if not kinds:
        bad_input("say what each file is with --kind KIND (once per file, or once for all)")
    if len(kinds) not in (1, len(paths)):
        bad_input(
            f"{len(paths)} files but {len(kinds)} --kind options: give one --kind per file, "
            "in the same order, or a single --kind for all of them"
        )
    chosen = [choice(DocumentKind, kind, "--kind") for kind in kinds]
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
        bad_input(f"cannot read {path}: {error.strerror or error}")
    refusal = document_size_refusal(str(path), size)
    if refusal is not None:
        bad_input(refusal.message)
    return build(
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
        bad_input(f"{path}: expected a list of documents (path + kind, or full references)")
    documents = []
    for number, item in enumerate(data, start=1):
        where = f"{path}: document {number}"
        if not isinstance(item, dict):
            bad_input(f"{where}: expected a mapping with path and kind")
        if "path" in item:
            unknown = sorted(set(item) - {"path", "kind", "file_name"})
            if unknown or "kind" not in item:
                bad_input(f"{where}: give path and kind (and optionally file_name)")
            kind = choice(DocumentKind, str(item["kind"]), f"{where}: kind")
            documents.append(
                _document(path.parent / str(item["path"]), kind, item.get("file_name"))
            )
        else:
            documents.append(build(DocumentRef, item, where))
    return documents
