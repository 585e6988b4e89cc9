"""Who is calling: bearer tokens verified against an issuer's keys, turned into an `Actor`.

Two issuers, one verification path. In production any OpenID Connect provider
(Keycloak in the compose stack): its discovery document names its JWKS, fetched with
httpx and cached, fetched again once when a token names a key it does not know. On the
embedded stack the API is its own issuer: local accounts in the register
(`api/accounts.py`) get tokens signed with the key file `identity-keys.json`.

A token carries the person's role and scope as claims: `ocop_role` (one of
`models.actors.Role`; Keycloak may give it in `realm_access.roles` instead) and
`ocop_scope` (the `Scope` fields), beside `sub` and `name`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from joserfc import jwt
from joserfc.errors import DecodeError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from pydantic import ValidationError

from infra.action_keys import ActionKeys
from infra.settings import Settings
from models.actors import Actor, Role, Scope

LOCAL_ALGORITHM: Final = "Ed25519"
ACCEPTED_ALGORITHMS: Final = ["Ed25519", "RS256", "PS256", "ES256"]
LEEWAY_SECONDS: Final = 30
JWKS_CACHE_SECONDS: Final = 300.0


class TokenRefused(Exception):
    """The bearer token cannot be taken as anyone's; the message says why (for a 401)."""


@dataclass(frozen=True)
class Account:
    """What a token is issued for: a person in one role."""

    subject: str
    display_name: str
    role: Role
    scope: Scope


def issue_token(settings: Settings, keys: ActionKeys, account: Account) -> tuple[str, int]:
    """A bearer token of the local issuer for `account`, and its lifetime in seconds."""
    now = int(time.time())
    lifetime = settings.token_lifetime_seconds
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.oidc_audience,
        "sub": account.subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
        "name": account.display_name,
        "ocop_role": account.role.value,
        "ocop_scope": account.scope.model_dump(mode="json", exclude_defaults=True),
    }
    key = keys.signing_key()
    header = {"alg": LOCAL_ALGORITHM, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[LOCAL_ALGORITHM]), lifetime


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """The actor a verified token names; TokenRefused when its role or scope does not fit."""
    role = claims.get("ocop_role")
    if role is None:  # Keycloak's realm roles, when no mapper sets ocop_role
        realm_roles = (claims.get("realm_access") or {}).get("roles") or []
        known = [value for value in realm_roles if value in {r.value for r in Role}]
        role = known[0] if len(known) == 1 else None
    try:
        return Actor(
            subject=str(claims.get("sub", "")),
            display_name=str(claims.get("name") or claims.get("preferred_username") or "?"),
            role=Role(str(role)),
            scope=Scope.model_validate(claims.get("ocop_scope") or {}),
        )
    except (ValueError, ValidationError) as error:
        raise TokenRefused(
            f"the token names no usable OCOP role and scope (ocop_role, ocop_scope): {error}"
        ) from None


def _unverified(error: Exception) -> TokenRefused:
    if isinstance(error, DecodeError):
        return TokenRefused(f"the token cannot be read ({error})")
    return TokenRefused(f"the token's signature does not verify ({error})")


@dataclass
class TokenVerifier:
    """Verifies bearer tokens of the configured issuer."""

    settings: Settings
    local_keys: ActionKeys | None
    http: httpx.AsyncClient | None = None
    _remote: KeySet | None = field(default=None, init=False)
    _fetched_at: float = field(default=0.0, init=False)

    async def actor(self, token: str) -> Actor:
        try:
            decoded = jwt.decode(token, await self._keys(refresh=False), ACCEPTED_ALGORITHMS)
        except (JoseError, ValueError) as error:
            if self.settings.oidc_issuer is None or isinstance(error, DecodeError):
                raise _unverified(error) from None
            try:  # perhaps a key the issuer rotated in since the JWKS was fetched
                decoded = jwt.decode(token, await self._keys(refresh=True), ACCEPTED_ALGORITHMS)
            except (JoseError, ValueError) as again:
                raise _unverified(again) from None
        try:
            JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.oidc_audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
        except JoseError as error:
            raise TokenRefused(f"the token is not accepted here ({error})") from None
        return actor_from_claims(decoded.claims)

    async def _keys(self, *, refresh: bool) -> KeySet:
        if self.settings.oidc_issuer is None:
            if self.local_keys is None:
                raise TokenRefused("no issuer keys are configured")
            return self.local_keys.public_keyset()
        fresh = time.monotonic() - self._fetched_at < JWKS_CACHE_SECONDS
        if self._remote is None or refresh or not fresh:
            self._remote = await self._fetch_remote()
            self._fetched_at = time.monotonic()
        return self._remote

    async def _fetch_remote(self) -> KeySet:
        client = self.http or httpx.AsyncClient(timeout=10.0)
        try:
            url = self.settings.oidc_jwks_url
            if url is None:
                discovery = await client.get(
                    f"{self.settings.issuer}/.well-known/openid-configuration"
                )
                discovery.raise_for_status()
                url = str(discovery.json()["jwks_uri"])
            answer = await client.get(url)
            answer.raise_for_status()
            return KeySet.import_key_set(answer.json())
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise TokenRefused(f"the issuer's keys could not be fetched ({error})") from None
        finally:
            if self.http is None:
                await client.aclose()
