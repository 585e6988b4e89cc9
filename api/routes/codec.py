"""The codec server: Temporal's Web UI and `temporal` CLI decode payloads here.

Payloads in history are encrypted (`infra/payload_codec.py`); the UI and the CLI send
them to `/codec/decode` (and `/codec/encode`, to send a signal or a query by hand) as
Temporal's `Payloads` in its JSON form, with the operator's bearer token. Only an
operator gets them decoded; anyone else is refused with an audit line, and every
decoding is logged (who, how many payloads, which namespace), never what they held.

A browser's Web UI sends a bearer token only when the UI itself signs in (compose:
through Keycloak). On the embedded stack the operator signs in at `/codec/sign-in`
instead: the token is kept in an HttpOnly cookie for `/codec` only, which the UI sends
when its codec setting "include cross-origin credentials" is on.
"""

from __future__ import annotations

import html
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from api.identity import TokenRefused, issue_token
from api.problems import ApiProblem
from api.routes.auth import Password, Username, local_account
from api.services import Svc, current_actor, permit, services
from infra.payload_codec import PayloadKeyError
from models import actors as access

router = APIRouter(prefix="/codec", tags=["codec"])
log = logging.getLogger("ocop.codec")

MAX_CODEC_BYTES = 4 * 1024 * 1024
"""A codec request may carry an event's payloads whole (base64 makes them a third larger)."""

ENCRYPTED = "YmluYXJ5L2VuY3J5cHRlZA=="  # base64 of binary/encrypted

BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"payloads": {"type": "array", "items": {"type": "object"}}},
                    "example": {
                        "payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}}]
                    },
                }
            }
        },
    }
}


async def _payloads(request: Request) -> list[Payload]:
    try:
        parsed = json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as error:
        raise ApiProblem(
            422,
            "invalid-input",
            "Dữ liệu không hợp lệ — invalid input",
            f"the body is not Temporal Payloads in JSON ({str(error)[:200]})",
        ) from None
    return list(parsed.payloads)


def _answer(payloads: list[Payload]) -> JSONResponse:
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))


async def _coded(
    request: Request, actor: access.Actor, svc: Svc, action: str, namespace: str
) -> list[Payload]:
    await permit(svc, actor, access.payload_read_refusal(actor), action, namespace or "-")
    if svc.codec is None:
        raise ApiProblem(
            404,
            "no-codec",
            "Không mã hóa — not encrypted",
            "payloads are not encrypted on this stack (OCOP_PAYLOAD_ENCRYPTION=false)",
        )
    payloads = await _payloads(request)
    try:
        coded = await (svc.codec.decode if action == "codec.decode" else svc.codec.encode)(payloads)
    except PayloadKeyError as error:
        raise ApiProblem(
            422, "unknown-key", "Không giải mã được — cannot decode", str(error)
        ) from None
    log.info(
        "%s: %s (%s) %d payload(s), namespace %s",
        action,
        actor.subject,
        actor.role.value,
        len(payloads),
        namespace or "-",
    )
    return coded


Namespace = Annotated[str, Header(alias="X-Namespace", max_length=255)]
COOKIE = "ocop_codec"
_bearer = HTTPBearer(auto_error=False, description="An operator's token")


async def codec_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> access.Actor:
    """The caller: by bearer token, or by the cookie `/codec/sign-in` set."""
    kept = request.cookies.get(COOKIE)
    if credentials is None and kept:
        try:
            return await services(request).verifier.actor(kept)
        except TokenRefused:
            pass  # an expired sign-in: answered like no token at all
    return await current_actor(request, credentials)


CodecActor = Annotated[access.Actor, Depends(codec_actor)]


@router.post("/decode", summary="Decode payloads (operators)", openapi_extra=BODY)
async def decode(request: Request, actor: CodecActor, svc: Svc, namespace: Namespace = "") -> Any:
    """Temporal's remote codec protocol: the payloads, decrypted."""
    return _answer(await _coded(request, actor, svc, "codec.decode", namespace))


@router.post("/encode", summary="Encode payloads (operators)", openapi_extra=BODY)
async def encode(request: Request, actor: CodecActor, svc: Svc, namespace: Namespace = "") -> Any:
    """Temporal's remote codec protocol: the payloads, encrypted with the newest key."""
    return _answer(await _coded(request, actor, svc, "codec.encode", namespace))


SIGN_IN_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Giải mã lịch sử — codec sign-in</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">
<h1>Đăng nhập giải mã lịch sử Temporal</h1>
<p>Chỉ cán bộ vận hành (operator) được xem dữ liệu cá nhân trong lịch sử hồ sơ.
<br><em>Codec sign-in: only operators see the personal data in case histories.</em></p>
<form method="post" action="/codec/sign-in">
<p><label>Tên đăng nhập / username <input name="username" required maxlength="64"></label></p>
<p><label>Mật khẩu / password <input name="password" type="password" required
maxlength="256"></label></p>
<p><button type="submit">Đăng nhập / sign in</button></p>
</form></body></html>"""


@router.get("/sign-in", response_class=HTMLResponse, summary="The codec's sign-in page")
async def sign_in_page() -> str:
    return SIGN_IN_PAGE


@router.post("/sign-in", response_class=HTMLResponse, summary="Sign in for the Web UI's codec")
async def sign_in(
    request: Request,
    svc: Svc,
    username: Username,
    password: Password,
) -> HTMLResponse:
    """An operator's local account: its token kept in a cookie for `/codec` only."""
    account = await local_account(request, svc, username, password)
    operator = access.Actor(
        subject=account.subject,
        display_name=account.display_name,
        role=account.role,
        scope=account.scope,
    )
    await permit(svc, operator, access.payload_read_refusal(operator), "codec.sign-in", "-")
    token, lifetime = issue_token(svc.settings, svc.identity_keys, account)
    page = HTMLResponse(
        "<!doctype html><meta charset='utf-8'><p>Đã đăng nhập — signed in as "
        f"{html.escape(account.display_name)}. Quay lại Temporal Web UI (Settings → Codec "
        "Server: include cross-origin credentials) — back to the Web UI.</p>"
    )
    page.set_cookie(COOKIE, token, max_age=lifetime, httponly=True, samesite="lax", path="/codec")
    return page
