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
DISTRICT_COUNCIL: Final = (
    ("bl-chair", "Phó Chủ tịch UBND huyện Bình Liêu"),
    ("bl-agri", "Trưởng phòng Nông nghiệp và PTNT"),
    ("bl-econ", "Trưởng phòng Kinh tế và Hạ tầng"),
    ("bl-health", "Giám đốc Trung tâm Y tế huyện"),
    ("bl-culture", "Trưởng phòng Văn hóa và Thông tin"),
)
"""The district council of the example case, seat by seat (its `councils` roster)."""

DEV_ACCOUNTS: Final[tuple[tuple[str, str, Role, Scope], ...]] = (
    (
        "admin",
        "Văn phòng Điều phối OCOP tỉnh Quảng Ninh",
        Role.ADMINISTRATOR,
        Scope(province=PROVINCE),
    ),
    ("operator", "Vận hành hệ thống OCOP", Role.OPERATOR, Scope(province=PROVINCE)),
    (
        "hoptien",
        "HTX Hợp Tiến",
        Role.PRODUCER,
        Scope(province=PROVINCE, applicant=applicant_key("hoptien@example.vn")),
    ),
    (
        "phong-nn-binh-lieu",
        "Phòng Nông nghiệp huyện Bình Liêu",
        Role.REVIEWER,
        Scope(province=PROVINCE, locality="binh-lieu"),
    ),
    *(
        (
            member_id,
            name,
            Role.COUNCIL_MEMBER,
            Scope(province=PROVINCE, level="district", member_id=member_id),
        )
        for member_id, name in DISTRICT_COUNCIL
    ),
    (
        "thu-ky-bl",
        "Thư ký Hội đồng OCOP huyện Bình Liêu",
        Role.COUNCIL_SECRETARY,
        Scope(province=PROVINCE, level="district"),
    ),
    (
        "ubnd-binh-lieu",
        "Chủ tịch UBND huyện Bình Liêu",
        Role.AUTHORITY,
        Scope(
            province=PROVINCE,
            level="district",
            authority="UBND huyện Bình Liêu",
            localities=("binh-lieu",),
        ),
    ),
    (
        "ubnd-quang-ninh",
        "Chủ tịch UBND tỉnh Quảng Ninh",
        Role.AUTHORITY,
        Scope(province=PROVINCE, level="province", authority="UBND tỉnh Quảng Ninh"),
    ),
)
"""The people of examples/case-mat-ong-binh-lieu.yaml: the first account of each role is
the one `ocop dev token --as ROLE` names; any account can be named by its username."""


def dev_account(who: str) -> str:
    """The username `--as` names: a role's first account, or an account by username."""
    for username, _, role, _ in DEV_ACCOUNTS:
        if who in (role.value, username):
            return username
    roles = ", ".join(dict.fromkeys(role.value for _, _, role, _ in DEV_ACCOUNTS))
    usernames = ", ".join(username for username, *_ in DEV_ACCOUNTS)
    fail(
        f"--as: {who!r} is neither a role ({roles}) nor a dev account ({usernames})", EXIT_BAD_INPUT
    )


def dev_password(config: Settings) -> str:
    """The seeded accounts' password: made on first start, kept in the data folder."""
    path = config.data_dir / "dev-accounts.json"
    if path.exists():
        return str(json.loads(path.read_text(encoding="utf-8"))["password"])
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    usernames = {username: role.value for username, _, role, _ in DEV_ACCOUNTS}
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
        await seed_accounts(sessions, dev_password(config), list(DEV_ACCOUNTS))
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
    who: Annotated[
        str,
        typer.Option(
            "--as", metavar="ROLE|USERNAME", help="A role (its first account) or a username."
        ),
    ],
) -> None:
    """Print a token of a seeded account (embedded stack only)."""
    config = settings()
    username = dev_account(who)

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
