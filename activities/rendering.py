"""Turns a case event into the email a recipient reads: subject, plain text and HTML.

Wording lives in Jinja2 templates, one per event kind and language
(``templates/vi/recognised.j2``, ``templates/en/recognised.j2`` …), named by the
transition that sends the email (`models.transitions`). Each template is
written once and rendered by two environments: one for plain text (no escaping) and one
for HTML (autoescaped, so a product called ``<script>…`` is shown, never run). The
environments differ only in their layout (``_base.txt.j2`` / ``_base.html.j2``) and in
the small ``ui`` macro set (paragraphs, fact lists, bullet lists), so translators edit
one file per event and language and both bodies follow.

A template defines ``{% block subject %}`` and ``{% block body %}`` and extends its
language's letter (``vi/_letter.j2``), which adds the greeting, signature and footer.
Undefined variables fail loudly (StrictUndefined): a missing fact is a bug, not a blank.

Facts are formatted by filters that follow the recipient's language: dates
(``dd/mm/yyyy`` in Vietnamese, `models.dates`), points (decimal comma in Vietnamese),
stars ("4 sao"), and the names of levels ("cấp huyện"), documents, stages, registration
and applicant kinds, score parts, targets and revocation grounds, all from the one
catalogue in `models.labels`.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Final, get_args

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from models.admin_units import coordination_office, unit_name
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage, RevocationGround
from models.catalogue import DocumentKind
from models.cycle_calendar import TargetKind
from models.dates import format_day
from models.dossier import Language
from models.events import CaseEvent, CaseFacts, DeliveryFailed, Recipient
from models.labels import label, level_label
from models.local_assessment import LOCAL_CRITERIA_EN, LOCAL_CRITERIA_VI, LocalCriterion
from models.scorecard import ScorePart

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"
"""Where the templates live, next to this module (shipped as package data)."""

LANGUAGES: Final = tuple(language.value for language in Language)

EVENT_KINDS: Final[tuple[str, ...]] = tuple(
    str(model.model_fields["kind"].default) for model in get_args(get_args(CaseEvent)[0])
)
"""Every event kind of `models.events.CaseEvent` (each a word of `models.transitions`);
each names a template in every language."""

TEXT_WIDTH: Final = 76
"""Plain-text paragraphs are wrapped to this width, as mail readers expect."""


@dataclass(frozen=True)
class RenderedEmail:
    """One recipient's email, ready for the mailer. `subject` is always a single line."""

    subject: str
    text: str
    html: str


def render(event: CaseEvent | DeliveryFailed, recipient: Recipient) -> RenderedEmail:
    """Render `event` for `recipient`, in the recipient's language."""
    language = Language(recipient.language).value
    name = f"{language}/{event.kind}.j2"
    context: dict[str, Any] = {
        "event": event,
        "case": event.case,
        "recipient": recipient,
        "lang": language,
    }
    text_template = _environment("txt").get_template(name)
    subject_parts = text_template.blocks["subject"](text_template.new_context(dict(context)))
    subject = single_line("".join(subject_parts))
    text = _tidy_text(text_template.render(context))
    html = _environment("html").get_template(name).render(context, subject=subject)
    return RenderedEmail(subject=subject, text=text, html=html)


def single_line(value: str) -> str:
    """Collapse every line break, control character and run of spaces into one space.

    Used for subjects and header values, so no rendered fact can start a new header.
    """
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    return " ".join(visible.split())


# ------------------------------------------------------------------------ environments


@cache
def _environment(fmt: str) -> Environment:
    """The text ("txt") or HTML ("html") environment; only HTML autoescapes."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        day=_day,
        points=_points,
        stars=_stars,
        level=_level,
        document=_document,
        stage=_stage,
        registration=_registration,
        ground=_ground,
        part=_part,
        applicant=_applicant,
        target=_target,
        reflow=_reflow,
        unit=_unit,
        office=_office,
        sentence_case=_sentence_case,
        local_criterion=_local_criterion,
        ref=_ref,
    )
    env.globals["base"] = f"_base.{fmt}.j2"
    env.globals["ui"] = env.get_template(f"_ui.{fmt}.j2").module
    return env


def _lang(context: Context) -> str:
    return str(context["lang"])


@pass_context
def _day(context: Context, value: date) -> str:
    return format_day(value, _lang(context))


@pass_context
def _points(context: Context, value: Decimal | int) -> str:
    """Points without trailing zeros (72.50 → 72.5); Vietnamese uses a decimal comma."""
    shown = format(Decimal(value).normalize(), "f")
    return shown.replace(".", ",") if _lang(context) == "vi" else shown


@pass_context
def _stars(context: Context, value: int) -> str:
    count = int(value)
    if _lang(context) == "vi":
        return f"{count} sao"
    return f"{count} star" if count == 1 else f"{count} stars"


@pass_context
def _level(context: Context, value: str) -> str:
    return level_label(str(value), _lang(context))


@pass_context
def _unit(context: Context, value: str) -> str:
    """A locality or province by its proper name (`ha-long` → `thành phố Hạ Long`)."""
    return unit_name(str(value), _lang(context))


@pass_context
def _local_criterion(context: Context, value: str) -> str:
    names = LOCAL_CRITERIA_VI if _lang(context) == Language.VI else LOCAL_CRITERIA_EN
    return names[LocalCriterion(value)]


def _sentence_case(value: str) -> str:
    """The first letter in capitals, the rest as it is (Jinja's `capitalize` lowers it)."""
    return value[:1].upper() + value[1:]


def _ref(case: CaseFacts) -> str:
    """What the letter quotes: the dossier number people say on the phone, else (a case
    started outside a cycle, or before numbering) the case's id."""
    return case.dossier_number or case.reference


@pass_context
def _office(context: Context, case: CaseFacts) -> str:
    """The coordination office that writes on the letter's date: the successor's, for a
    unit merged since (a Hải Dương product in 2027: Hải Phòng's)."""
    return coordination_office(case.province, case.occurred_on, _lang(context))


@pass_context
def _document(context: Context, value: DocumentKind) -> str:
    return label(DocumentKind(value), _lang(context))


@pass_context
def _stage(context: Context, value: CaseStage) -> str:
    return label(CaseStage(value), _lang(context))


@pass_context
def _registration(context: Context, value: RegistrationKind) -> str:
    return label(RegistrationKind(value), _lang(context))


@pass_context
def _ground(context: Context, value: RevocationGround) -> str:
    return label(RevocationGround(value), _lang(context))


@pass_context
def _part(context: Context, value: str) -> str:
    return label(ScorePart(value), _lang(context))


@pass_context
def _applicant(context: Context, value: ApplicantKind) -> str:
    return label(ApplicantKind(value), _lang(context))


@pass_context
def _target(context: Context, value: TargetKind) -> str:
    return label(TargetKind(value), _lang(context))


def _reflow(value: str) -> str:
    """One plain-text paragraph: whitespace collapsed, wrapped without breaking words."""
    return textwrap.fill(
        " ".join(str(value).split()),
        width=TEXT_WIDTH,
        break_long_words=False,
        break_on_hyphens=False,
    )


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy_text(value: str) -> str:
    """Trailing spaces removed, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in value.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
