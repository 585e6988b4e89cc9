"""An OpenID Connect provider for the portal's sign-in tests, where Keycloak cannot run:
discovery, an authorization endpoint that signs in whoever the test says, a token
endpoint that checks the code, its redirect and the PKCE verifier (RFC 7636), and JWKS.
Tokens are signed as the API's own issuer signs them (`api.identity.issue_token`)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Query
from fastapi.responses import RedirectResponse

from api.identity import Account, issue_token
from infra.action_keys import ActionKeys
from infra.settings import Settings


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    account: Account


@dataclass
class OidcTestProvider:
    issuer: str
    audience: str
    keys: ActionKeys = field(default_factory=ActionKeys.generate)
    person: Account | None = None
    grants: dict[str, Grant] = field(default_factory=dict)

    def app(self) -> FastAPI:
        app = FastAPI()
        settings = Settings(oidc_issuer=self.issuer, oidc_audience=self.audience)

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return self.keys.public_jwks()

        @app.get("/authorize")
        async def authorize(
            client_id: Annotated[str, Query()],
            redirect_uri: Annotated[str, Query()],
            state: Annotated[str, Query()],
            code_challenge: Annotated[str, Query()],
            code_challenge_method: Annotated[str, Query(pattern="^S256$")],
        ) -> RedirectResponse:
            if self.person is None:
                raise HTTPException(401, "nobody signs in")
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(client_id, redirect_uri, code_challenge, self.person)
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

        @app.post("/token")
        async def token(
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            client_id: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            grant_type: Annotated[str, Form(pattern="^authorization_code$")],
        ) -> dict[str, Any]:
            grant = self.grants.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            proof = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant is None or grant.redirect_uri != redirect_uri or grant.challenge != proof:
                raise HTTPException(400, "invalid_grant")
            if grant.client_id != client_id:
                raise HTTPException(400, "invalid_client")
            access, lifetime = issue_token(settings, self.keys, grant.account)
            return {"access_token": access, "token_type": "Bearer", "expires_in": lifetime}

        return app
