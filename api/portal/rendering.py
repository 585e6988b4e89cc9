"""Pages from templates: every page knows its language, its person and its form value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.portal.wording import LANGUAGE_COOKIE, language_of, phrase
from models.actors import ROLE_VI, Actor, Role
from models.admin_units import unit_name
from models.case import CaseStage
from models.dates import format_day, format_moment
from models.dossier import Language
from models.labels import Form, Labelled, label, level_label

ROLE_EN: Final[dict[Role, str]] = {
    Role.ADMINISTRATOR: "OCOP coordination office",
    Role.PRODUCER: "producer",
    Role.REVIEWER: "commune/district office",
    Role.COUNCIL_MEMBER: "council member",
    Role.COUNCIL_SECRETARY: "council secretary",
    Role.AUTHORITY: "authority",
    Role.OPERATOR: "system operator",
}

_ENVIRONMENT: Final = Environment(
    loader=PackageLoader("api.portal", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Shown:
    """A refusal as the page shows it: one line, and the fields it names."""

    title: str
    detail: str
    fields: Mapping[str, str] = field(default_factory=dict)


def language(request: Request) -> Language:
    return language_of(request.cookies.get(LANGUAGE_COOKIE))


def _helpers(lang: Language) -> dict[str, Any]:
    def when(moment: datetime | date | None) -> str:
        if moment is None:
            return "—"
        if isinstance(moment, datetime):
            return format_moment(moment, lang)
        return format_day(moment, lang)

    def named(item: Labelled) -> str:
        return label(item, lang)

    def stage_status(stage: CaseStage) -> str:
        return label(stage, lang, Form.STATUS)

    return {
        "t": lambda key, *values: phrase(key, lang, *values),
        "when": when,
        "named": named,
        "stage_status": stage_status,
        "place": lambda code: unit_name(code, lang),
        "level_name": lambda level: level_label(level, lang),
        "role_name": lambda role: ROLE_VI[role] if lang == Language.VI else ROLE_EN[role],
    }


def page(
    request: Request,
    template: str,
    actor: Actor | None,
    *,
    status: int = 200,
    refusal: Shown | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = language(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = _ENVIRONMENT.get_template(template).render(
        lang=lang.value,
        actor=actor,
        csrf=getattr(request.state, "csrf", ""),
        here=here,
        refusal=refusal,
        **_helpers(lang),
        **context,
    )
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


_HEADERS: Final = {
    # Pages carry people's dossiers: never cached, never framed, no outside resources.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
