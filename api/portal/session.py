"""Who is at the browser: the bearer token in an HttpOnly cookie, verified on every page.

Signing in on the embedded stack checks the local account (argon2, the token
endpoint's rate limits) and keeps the issued token in a cookie the page's scripts
cannot read (HttpOnly) and other sites cannot send (SameSite=Strict). Every form also
carries a value derived from that token (`csrf`), checked on each POST, so a request
forged elsewhere is refused even by a browser that ignores SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from api.identity import TokenRefused
from api.services import Services, services
from models.actors import Actor
from models.bounds import MAX_DOCUMENTS

SESSION_COOKIE: Final = "ocop_session"
CSRF_FIELD: Final = "csrf"
MAX_FORM_FIELDS: Final = 200
MAX_FIELD_BYTES: Final = 64 * 1024


class SignInNeeded(Exception):
    """No valid session: the browser is sent to the sign-in page, then back to `next`."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path, self.expired = next_path, expired


class ForgedForm(Exception):
    """A POST without this session's form value: not sent from the portal's own page."""


def csrf_value(token: str) -> str:
    return hashlib.sha256(b"ocop-portal-form:" + token.encode()).hexdigest()[:32]


def safe_next(path: str | None) -> str:
    """Where to go after signing in: only a path of the portal, never another site."""
    if path and path.startswith("/portal") and not path.startswith("//") and "\\" not in path:
        return path
    return "/portal/"


def sign_in_location(next_path: str, expired: bool = False) -> str:
    return f"/portal/sign-in?next={quote(safe_next(next_path))}" + ("&expired=1" if expired else "")


def keep_session(response: Response, request: Request, token: str, lifetime: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        path="/portal",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/portal")


async def portal_actor(request: Request) -> Actor:
    """The verified person of this browser; SignInNeeded when there is none."""
    token = request.cookies.get(SESSION_COOKIE)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise SignInNeeded(here, expired=False)
    svc: Services = services(request)
    try:
        actor = await svc.verifier.actor(token)
    except TokenRefused:
        raise SignInNeeded(here, expired=True) from None
    request.state.csrf = csrf_value(token)
    return actor


async def checked_form(request: Request, _: Annotated[Actor, Depends(portal_actor)]) -> FormData:
    """The POSTed form of a signed-in person, within bounds, once its form value proves it
    came from the portal's own page."""
    form = await request.form(
        max_files=MAX_DOCUMENTS, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
    )
    sent = form.get(CSRF_FIELD)
    expected = getattr(request.state, "csrf", None)
    if not isinstance(sent, str) or expected is None or not hmac.compare_digest(sent, expected):
        raise ForgedForm
    return form


PortalActor = Annotated[Actor, Depends(portal_actor)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
