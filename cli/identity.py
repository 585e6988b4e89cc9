"""People's accounts on the embedded stack, and the commands that sign in with them.

`ocop dev up` serves the HTTP API beside the worker and seeds one account per role of
the examples' province (Quảng Ninh, the Bình Liêu honey case), all with one password
kept in the data folder (`dev-accounts.json`, mode 0600). `ocop dev token --as ROLE`
prints a token for the seeded account of a role, straight from the server's keys;
`ocop login` asks the API for one with a username and password, and `ocop whoami` shows
whom a token names.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Final

import httpx
import typer

from api.accounts import account_of, seed_accounts
from api.app import create_app
from api.identity import issue_token
from api.serving import serving
from cli.common import EXIT_BAD_INPUT, console, fail, settings
from infra.action_keys import ActionKeys
from infra.database import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal import connect
from models.actors import Role, Scope, applicant_key

PROVINCE: Final = "quang-ninh"
DEV_ACCOUNTS: Final[dict[Role, tuple[str, str, Scope]]] = {
    Role.ADMINISTRATOR: (
        "admin",
        "Văn phòng Điều phối OCOP tỉnh Quảng Ninh",
        Scope(province=PROVINCE),
    ),
    Role.OPERATOR: ("operator", "Vận hành hệ thống OCOP", Scope(province=PROVINCE)),
    Role.PRODUCER: (
        "hoptien",
        "HTX Hợp Tiến",
        Scope(province=PROVINCE, applicant=applicant_key("hoptien@example.vn")),
    ),
    Role.REVIEWER: (
        "phong-nn-binh-lieu",
        "Phòng Nông nghiệp huyện Bình Liêu",
        Scope(province=PROVINCE, locality="binh-lieu"),
    ),
    Role.COUNCIL_MEMBER: (
        "bl-chair",
        "Phó Chủ tịch UBND huyện Bình Liêu",
        Scope(province=PROVINCE, level="district", member_id="bl-chair"),
    ),
    Role.COUNCIL_SECRETARY: (
        "thu-ky-bl",
        "Thư ký Hội đồng OCOP huyện Bình Liêu",
        Scope(province=PROVINCE, level="district"),
    ),
    Role.AUTHORITY: (
        "ubnd-binh-lieu",
        "Chủ tịch UBND huyện Bình Liêu",
        Scope(
            province=PROVINCE,
            level="district",
            authority="UBND huyện Bình Liêu",
            localities=("binh-lieu",),
        ),
    ),
}
"""One account per role, matching examples/case-mat-ong-binh-lieu.yaml."""


def dev_password(config: Settings) -> str:
    """The seeded accounts' password: made on first start, kept in the data folder."""
    path = config.data_dir / "dev-accounts.json"
    if path.exists():
        return str(json.loads(path.read_text(encoding="utf-8"))["password"])
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    usernames = {role.value: entry[0] for role, entry in DEV_ACCOUNTS.items()}
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"password": password, "usernames": usernames}, out, indent=2)
    return password


async def serve_api(config: Settings, stop: asyncio.Event, ready: asyncio.Event) -> None:
    """Serve the API on `OCOP_API_HOST:OCOP_API_PORT` until `stop`, over the stack's
    Temporal and register, with the dev accounts seeded."""
    await migrate(config.register_url)
    engine = create_engine(config.register_url)
    try:
        sessions = session_factory(engine)
        accounts = [(u, n, role, s) for role, (u, n, s) in DEV_ACCOUNTS.items()]
        await seed_accounts(sessions, dev_password(config), accounts)
        app = create_app(
            config,
            client=await connect(config),
            sessions=sessions,
            action_keys=ActionKeys.load_or_create(config.action_keys_path),
        )
        async with serving(app, config.api_host, config.api_port):
            ready.set()
            await stop.wait()
    finally:
        await engine.dispose()


# ------------------------------------------------------------------- commands


def dev_token(
    role: Annotated[Role, typer.Option("--as", help="The seeded account's role.")],
) -> None:
    """Print a token of the seeded account of ROLE (embedded stack only)."""
    config = settings()
    username = DEV_ACCOUNTS[role][0]

    async def find() -> str | None:
        engine = create_engine(config.register_url)
        try:
            account = await account_of(session_factory(engine), username)
        finally:
            await engine.dispose()
        if account is None:
            return None
        keys = ActionKeys.load_or_create(config.identity_keys_path)
        return issue_token(config, keys, account)[0]

    token = asyncio.run(find())
    if token is None:
        fail(f"no account {username!r}: start the stack first (`ocop dev up`)", EXIT_BAD_INPUT)
    print(token)


def _token_file(config: Settings) -> Path:
    return config.data_dir / "cli-token"


def login(
    username: Annotated[str, typer.Option("--username", "-u", help="Your account.")],
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, help="Your password.")
    ],
) -> None:
    """Sign in at the API; the token is kept for the `ocop` commands (mode 0600)."""
    config = settings()
    try:
        answer = httpx.post(
            f"{config.public_api_url}/auth/token",
            data={"username": username, "password": password, "grant_type": "password"},
            timeout=30.0,
        )
    except httpx.HTTPError as error:
        fail(
            f"the API at {config.public_api_url} cannot be reached ({error}); "
            "is `ocop dev up` running?"
        )
    if answer.status_code != 200:
        fail(str(answer.json().get("detail", answer.text)))
    path = _token_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(answer.json()["access_token"])
    console.print(f"Signed in as {username}; the token is kept in {path}.", highlight=False)


def whoami() -> None:
    """Whom the kept token names (role and scope), as the API verifies it."""
    config = settings()
    path = _token_file(config)
    if not path.exists():
        fail("not signed in: `ocop login --username …`", EXIT_BAD_INPUT)
    try:
        answer = httpx.get(
            f"{config.public_api_url}/api/v1/me",
            headers={"Authorization": f"Bearer {path.read_text(encoding='utf-8').strip()}"},
            timeout=30.0,
        )
    except httpx.HTTPError as error:
        fail(f"the API at {config.public_api_url} cannot be reached ({error})")
    if answer.status_code != 200:
        fail(str(answer.json().get("detail", answer.text)))
    me = answer.json()
    scope = ", ".join(f"{k}={v}" for k, v in me["scope"].items() if v not in (None, []))
    console.print(f"{me['display_name']} — {me['role']} ({scope}), subject {me['subject']}")
