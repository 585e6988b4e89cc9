"""The portal's frame: signing in and out, the language, each role's home, the stylesheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.identity import TokenRefused, issue_token
from api.portal import applications, authority, cases, council, producer, reviewer
from api.portal.oidc import (
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    LoginAttempt,
    Provider,
    SignInFailed,
    same_state,
)
from api.portal.outcomes import StepRefused, attempt, refused_page
from api.portal.rendering import Shown, language, page
from api.portal.session import (
    ForgedForm,
    PortalActor,
    SignInNeeded,
    end_session,
    keep_session,
    safe_next,
    sign_in_location,
)
from api.portal.wording import LANGUAGE_COOKIE, both, phrase
from api.routes.auth import local_account
from api.services import Services, Svc
from models.actors import Role
from models.dossier import MAX_DOCUMENT_BYTES, Language

router = APIRouter(prefix="/portal", include_in_schema=False)

HOME_OF: Final[dict[Role, str]] = {
    Role.PRODUCER: "/portal/products",
    Role.REVIEWER: "/portal/reviews",
    Role.COUNCIL_MEMBER: "/portal/council",
    Role.COUNCIL_SECRETARY: "/portal/council",
    Role.AUTHORITY: "/portal/decisions",
}
"""Each role's main page (the other roles' pages come with the council and decisions)."""

STATIC: Final = Path(__file__).parent / "static"
MAX_FORM_BYTES: Final = MAX_DOCUMENT_BYTES + 1024 * 1024
"""The largest form the portal reads: one document at the largest size there is, and the
fields; the settings' per-file limit (`document_max_bytes`) is checked as files arrive."""


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


@router.get("/")
async def home(request: Request, actor: PortalActor) -> Response:
    found = HOME_OF.get(actor.role)
    if found is not None:
        return _see_other(found)
    return page(request, "home.html.j2", actor)


@router.get("/sign-in")
async def sign_in_form(
    request: Request,
    svc: Svc,
    next: Annotated[str, Query(max_length=500)] = "/portal/",
    expired: Annotated[bool, Query()] = False,
) -> Response:
    if svc.settings.oidc_issuer is not None:
        return await _to_provider(request, svc, safe_next(next))
    notice = phrase("session_ended", language(request)) if expired else None
    return page(
        request,
        "sign_in.html.j2",
        None,
        next_path=safe_next(next),
        notice=notice,
        username="",
        elsewhere=svc.settings.oidc_issuer,
    )


@router.post("/sign-in")
async def sign_in(
    request: Request,
    svc: Svc,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/portal/",
) -> Response:
    try:
        account = await attempt(local_account(request, svc, username, password))
    except StepRefused as refusal:
        return page(
            request,
            "sign_in.html.j2",
            None,
            status=refusal.status,
            refusal=refusal.shown,
            next_path=safe_next(next),
            notice=None,
            username=username,
            elsewhere=svc.settings.oidc_issuer,
        )
    token, lifetime = issue_token(svc.settings, svc.identity_keys, account)
    response = _see_other(safe_next(next))
    keep_session(response, request, token, lifetime)
    return response


def _provider(request: Request, svc: Services) -> Provider:
    found: Provider | None = getattr(request.app.state, "portal_provider", None)
    if found is None:
        found = request.app.state.portal_provider = Provider(svc.settings)
    return found


def _callback_url(svc: Services) -> str:
    return f"{svc.settings.public_api_url}/portal/callback"


async def _to_provider(request: Request, svc: Services, next_path: str) -> Response:
    attempt = LoginAttempt.new(next_path)
    try:
        location = await _provider(request, svc).authorization_url(attempt, _callback_url(svc))
    except SignInFailed as error:
        return _sign_in_failed(request, str(error))
    response = _see_other(location)
    # Lax, not Strict: the provider sends the browser back here from its own site.
    response.set_cookie(
        LOGIN_COOKIE,
        attempt.cookie,
        max_age=LOGIN_SECONDS,
        path="/portal/callback",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _sign_in_failed(request: Request, why: str) -> Response:
    shown = Shown(both("sign_in_failed"), why)
    return refused_page(request, None, shown, 401)


@router.get("/callback")
async def callback(
    request: Request,
    svc: Svc,
    code: Annotated[str, Query(min_length=1, max_length=4096)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The provider sends the browser back: check the state, exchange the code."""
    attempt = LoginAttempt.of_cookie(request.cookies.get(LOGIN_COOKIE))
    if error or not code:
        return _sign_in_failed(request, f"the provider answered: {error or 'no code'}")
    if attempt is None or not same_state(attempt, state):
        return _sign_in_failed(request, "the sign-in did not start here (its state does not match)")
    try:
        token, lifetime = await _provider(request, svc).exchange(code, attempt, _callback_url(svc))
        await svc.verifier.actor(token)  # the token must name a usable actor
    except (SignInFailed, TokenRefused) as failed:
        return _sign_in_failed(request, str(failed))
    response = _see_other(safe_next(attempt.next_path))
    keep_session(response, request, token, lifetime)
    response.delete_cookie(LOGIN_COOKIE, path="/portal/callback")
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = _see_other("/portal/sign-in")
    end_session(response)
    return response


@router.get("/language/{code}")
async def choose_language(
    code: Language, back: Annotated[str, Query(max_length=500)] = "/portal/"
) -> Response:
    response = _see_other(safe_next(back))
    response.set_cookie(
        LANGUAGE_COOKIE, code.value, max_age=365 * 86_400, path="/portal", samesite="lax"
    )
    return response


def install(app: FastAPI) -> None:
    """Serve the portal from `app`: its pages, its stylesheet, its redirects."""
    app.include_router(router)
    for part in (
        producer.router,
        applications.router,
        reviewer.router,
        council.router,
        authority.router,
        cases.router,
    ):
        app.include_router(part)
    app.mount("/portal/static", StaticFiles(directory=STATIC), name="portal-static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, error: SignInNeeded) -> Response:
        return _see_other(sign_in_location(error.next_path, error.expired))

    @app.exception_handler(ForgedForm)
    async def _forged(request: Request, error: ForgedForm) -> Response:
        shown = Shown(
            "Không được phép — not permitted",
            "biểu mẫu không gửi từ trang của cổng thông tin (hoặc phiên đã đổi); hãy tải lại "
            "trang — the form was not sent from the portal's own page (or the session "
            "changed); reload the page",
        )
        return refused_page(request, None, shown, 403)
