"""Signing in to the portal at the province's identity provider (Keycloak in the compose
stack): OAuth 2 authorization code with PKCE (RFC 7636), for a public client.

The browser goes to the provider's authorization endpoint with a random `state` and the
S256 challenge of a random verifier, both kept in an HttpOnly cookie for the round
trip; on the way back the state must match, the code is exchanged with the verifier,
and the access token is verified like any bearer token (issuer, audience, signature,
role and scope) before it becomes the session. Nothing the provider's redirect carries
is taken at its word.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

import httpx

from infra.settings import Settings

LOGIN_COOKIE: Final = "ocop_login"
LOGIN_SECONDS: Final = 600
DISCOVERY_SECONDS: Final = 300.0


class SignInFailed(Exception):
    """The round trip to the provider did not end in a usable token; the message says why."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str


@dataclass(frozen=True)
class LoginAttempt:
    state: str
    verifier: str
    next_path: str

    @property
    def cookie(self) -> str:
        return f"{self.state}.{self.verifier}.{self.next_path}"

    @classmethod
    def new(cls, next_path: str) -> LoginAttempt:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(48), next_path)

    @classmethod
    def of_cookie(cls, value: str | None) -> LoginAttempt | None:
        parts = (value or "").split(".", 2)
        return cls(*parts) if len(parts) == 3 and all(parts[:2]) else None


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    """The configured issuer's endpoints (from its discovery document, cached)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings, self.http = settings, http
        self._endpoints: Endpoints | None = None
        self._fetched_at = 0.0

    async def endpoints(self) -> Endpoints:
        if self._endpoints is None or time.monotonic() - self._fetched_at > DISCOVERY_SECONDS:
            found = await self._request("GET", "/.well-known/openid-configuration")
            try:
                self._endpoints = Endpoints(
                    str(found["authorization_endpoint"]), str(found["token_endpoint"])
                )
            except KeyError as missing:
                raise SignInFailed(f"the provider's discovery document lacks {missing}") from None
            self._fetched_at = time.monotonic()
        return self._endpoints

    async def authorization_url(self, attempt: LoginAttempt, redirect_uri: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.oidc_portal_client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": attempt.state,
            "code_challenge": challenge(attempt.verifier),
            "code_challenge_method": "S256",
        }
        return f"{(await self.endpoints()).authorization}?{urlencode(query)}"

    async def exchange(
        self, code: str, attempt: LoginAttempt, redirect_uri: str
    ) -> tuple[str, int]:
        """The access token (and its lifetime) the code is worth."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.oidc_portal_client_id,
            "code_verifier": attempt.verifier,
        }
        answer = await self._request("POST", (await self.endpoints()).token, data=form)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise SignInFailed("the provider answered without an access token")
        lifetime = answer.get("expires_in")
        return token, lifetime if isinstance(lifetime, int) and lifetime > 0 else 300

    async def _request(self, method: str, url: str, **kwargs: object) -> dict[str, object]:
        issuer = (self.settings.oidc_issuer or "").rstrip("/")
        target = url if url.startswith("http") else issuer + url
        client = self.http or httpx.AsyncClient(timeout=10.0)
        try:
            answer = await client.request(method, target, **kwargs)  # type: ignore[arg-type]
            if answer.status_code >= 400:
                raise SignInFailed(
                    f"the provider refused ({answer.status_code}): {answer.text[:200]}"
                )
            found = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the provider could not be reached ({error})") from None
        finally:
            if self.http is None:
                await client.aclose()
        if not isinstance(found, dict):
            raise SignInFailed("the provider's answer is not a JSON object")
        return found


def same_state(attempt: LoginAttempt | None, state: str) -> bool:
    return attempt is not None and hmac.compare_digest(attempt.state, state)
