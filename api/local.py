"""The API served on a free local port with a known set of people: for the tests, the
benchmarks and scripted runs that act as several people at once.

Each person is enrolled as a local account (one password hash for all of them: argon2
is slow by design) and their tokens are minted with the API's own issuer keys, as the
token endpoint would, without its rate limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.accounts import HASHER, enrol
from api.app import create_app
from api.identity import Account, issue_token
from api.serving import serving
from infra.action_keys import ActionKeys
from infra.ports import find_free_port
from infra.settings import Settings
from models.actors import Role, Scope

Person = tuple[str, str, Role, Scope]
"""An account: username, name, role, scope."""


@dataclass
class LocalApi:
    base_url: str
    settings: Settings
    identity: ActionKeys
    accounts: dict[str, Account]

    def token(self, username: str) -> str:
        """A bearer token of the account `username`."""
        return self.token_as(self.accounts[username])

    def token_as(self, account: Account) -> str:
        """A bearer token naming `account`, enrolled or not (tokens are self-contained)."""
        return issue_token(self.settings, self.identity, account)[0]


@contextlib.asynccontextmanager
async def served_locally(
    settings: Settings,
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    action_keys: ActionKeys,
    people: Iterable[Person],
    password: str,
) -> AsyncIterator[LocalApi]:
    """uvicorn on a free 127.0.0.1 port over `client` and the register, `people` enrolled
    with `password`, until the block ends."""
    password_hash = HASHER.hash(password)
    accounts: dict[str, Account] = {}
    for username, name, role, scope in people:
        account = Account(subject=f"local-{username}", display_name=name, role=role, scope=scope)
        await enrol(sessions, account, username, password_hash)
        accounts[username] = account
    port = find_free_port()
    base_url = f"http://127.0.0.1:{port}"
    local = settings.model_copy(update={"api_url": base_url})
    identity = ActionKeys.load_or_create(settings.data_dir / "identity-keys.json")
    app = create_app(
        local, client=client, sessions=sessions, action_keys=action_keys, identity_keys=identity
    )
    async with serving(app, "127.0.0.1", port):
        yield LocalApi(base_url, local, identity, accounts)
