"""Signing in on the embedded issuer, and what it publishes for verifiers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from api.accounts import authenticate
from api.identity import LOCAL_ALGORITHM, Account, issue_token
from api.limits import TOKEN_PER_ADDRESS, TOKEN_PER_USERNAME, client_address
from api.problems import ApiProblem
from api.services import CurrentActor, Svc
from models.actors import Actor

router = APIRouter(tags=["identity"])


class TokenAnswer(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


Username = Annotated[str, Form(min_length=1, max_length=64)]
Password = Annotated[str, Form(min_length=1, max_length=256)]


async def local_account(request: Request, svc: Svc, username: str, password: str) -> Account:
    """The local account these credentials open, within the sign-in rate limits; 401
    otherwise (the same answer for an unknown name and a wrong password). With an OIDC
    provider there are no local accounts: people sign in there."""
    if svc.settings.oidc_issuer is not None:
        raise ApiProblem(
            400,
            "unsupported-grant",
            "Đăng nhập qua nhà cung cấp định danh — sign in at the identity provider",
            f"tokens are issued by {svc.settings.oidc_issuer}, not by this API",
        )
    svc.limits.check(TOKEN_PER_ADDRESS, "token-address", client_address(request))
    svc.limits.check(TOKEN_PER_USERNAME, "token-username", username.lower())
    account = await authenticate(svc.sessions, username, password)
    if account is None:
        raise ApiProblem(
            401,
            "invalid-credentials",
            "Sai tên đăng nhập hoặc mật khẩu — wrong username or password",
            "tên đăng nhập hoặc mật khẩu không đúng — wrong username or password",
            headers={"WWW-Authenticate": 'Bearer realm="ocop"'},
        )
    return account


@router.post("/auth/token", response_model=TokenAnswer, summary="Sign in (OAuth 2 password grant)")
async def token(
    request: Request,
    svc: Svc,
    username: Username,
    password: Password,
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
) -> TokenAnswer:
    """A bearer token for a local account (the embedded stack's issuer)."""
    account = await local_account(request, svc, username, password)
    access_token, lifetime = issue_token(svc.settings, svc.identity_keys, account)
    return TokenAnswer(access_token=access_token, expires_in=lifetime)


@router.get("/.well-known/openid-configuration", summary="The local issuer's discovery document")
async def discovery(svc: Svc) -> dict[str, Any]:
    issuer = svc.settings.issuer
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/auth/token",
        "grant_types_supported": ["password"],
        "id_token_signing_alg_values_supported": [LOCAL_ALGORITHM],
        "claims_supported": ["sub", "name", "ocop_role", "ocop_scope"],
    }


@router.get("/.well-known/jwks.json", summary="The local issuer's public keys")
async def jwks(svc: Svc) -> dict[str, Any]:
    return svc.identity_keys.public_jwks()


@router.get("/api/v1/me", response_model=Actor, summary="Who the token says you are")
async def me(actor: CurrentActor) -> Actor:
    return actor
