"""Who the API takes a caller to be: the token endpoint, what a bad token gets, an
outside OpenID Connect issuer found through its discovery document, and the limits."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt

from api.identity import TokenRefused, TokenVerifier
from api.openapi import render
from infra.action_keys import ActionKeys
from models.actors import Role
from models.bounds import MAX_REQUEST_BYTES
from tests.fixtures.api import PASSWORD, ApiWorld

pytestmark = pytest.mark.devserver
ROOT = Path(__file__).resolve().parents[1]


def problem(answer: httpx.Response, status: int, *words: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = answer.json()
    assert body["status"] == status and str(body["type"]).startswith("https://")
    for word in words:
        assert word in str(body["detail"]), body["detail"]
    return body


def forged(world: ApiWorld, keys: ActionKeys, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": world.settings.issuer,
        "aud": world.settings.oidc_audience,
        "sub": "local-forged",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "name": "Kẻ Mạo Danh (impostor)",
        "ocop_role": "authority",
        "ocop_scope": {"province": world.province, "level": "district", "authority": "X"},
    }
    claims.update(changes)
    key = keys.signing_key()
    return jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])


async def test_a_token_opens_the_account_and_says_who_it_is(api_world: ApiWorld) -> None:
    world = api_world
    me = (await world.call("GET", "/api/v1/me", "reviewer-bl")).json()
    assert (me["role"], me["scope"]["locality"]) == ("reviewer", "binh-lieu")
    wrong = await world.http.post("/auth/token", data={"username": "admin", "password": "sai"})
    body = problem(wrong, 401, "wrong username or password")
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    unknown = await world.http.post("/auth/token", data={"username": "ai-do", "password": "x"})
    assert problem(unknown, 401)["detail"] == body["detail"]  # who exists is not told


async def test_a_missing_forged_expired_or_foreign_token_is_refused(api_world: ApiWorld) -> None:
    world = api_world
    problem(await world.http.get("/api/v1/me"), 401, "bearer token is required")
    own = ActionKeys.load(world.settings.identity_keys_path)
    for token, why in (
        (forged(world, ActionKeys.generate()), "does not verify"),
        (forged(world, own, exp=int(time.time()) - 3600), "not accepted here"),
        (forged(world, own, iss="https://another.example"), "not accepted here"),
        (forged(world, own, aud="someone-else"), "not accepted here"),
        (forged(world, own, ocop_role="king"), "no usable OCOP role"),
        ("not.a.token", "cannot be read"),
    ):
        answer = await world.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        problem(answer, 401, why)
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]


async def test_tokens_of_an_outside_issuer_are_verified_through_its_discovery_document(
    api_world: ApiWorld,
) -> None:
    """The served API is the outside issuer here: its discovery document and JWKS are
    fetched over HTTP, as Keycloak's would be."""
    world = api_world
    outside = world.settings.model_copy(update={"oidc_issuer": world.base_url})
    async with httpx.AsyncClient(timeout=30.0) as http:
        verifier = TokenVerifier(outside, None, http)
        actor = await verifier.actor(await world.token("ubnd-bl"))
        assert actor.role == Role.AUTHORITY and actor.scope.authority == "UBND huyện Bình Liêu"
        with pytest.raises(TokenRefused, match="does not verify"):
            await verifier.actor(forged(world, ActionKeys.generate()))
        elsewhere = outside.model_copy(update={"oidc_issuer": "http://127.0.0.1:9"})
        with pytest.raises(TokenRefused, match="could not be fetched"):
            await TokenVerifier(elsewhere, None, http).actor(await world.token("ubnd-bl"))


async def test_guessing_passwords_is_slowed_to_ten_a_minute(api_world: ApiWorld) -> None:
    world = api_world
    answers = [
        (await world.http.post("/auth/token", data={"username": "operator", "password": "x"}))
        for _ in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    problem(answers[10], 429, "too many requests")
    assert int(answers[10].headers["retry-after"]) >= 1
    # Another account is not locked by this one's guesser... until its own turn.
    right = await world.http.post("/auth/token", data={"username": "admin", "password": PASSWORD})
    assert right.status_code == 200


async def test_a_body_over_the_limit_is_refused_before_it_is_read(api_world: ApiWorld) -> None:
    world = api_world
    huge = json.dumps({"action": "accept", "reviewer": "x" * MAX_REQUEST_BYTES})
    answer = await world.call(
        "POST",
        "/api/v1/cases/ocop-product-x/review",
        "reviewer-bl",
        content=huge,
        headers={"Content-Type": "application/json"},
    )
    problem(answer, 413, "at most 256 KB accepted")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(5):
            yield b" " * (MAX_REQUEST_BYTES // 4)

    streamed = await world.http.post(
        "/api/v1/cases/ocop-product-x/review",
        content=chunks(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {await world.token('reviewer-bl')}",
        },
    )
    problem(streamed, 413)


async def test_the_served_openapi_document_is_the_one_in_docs(api_world: ApiWorld) -> None:
    served = (await api_world.http.get("/openapi.json")).json()
    kept = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == kept, "regenerate it: python -m api.openapi > docs/openapi.json"
    assert json.loads(render()) == kept
