"""Local accounts of the embedded issuer: people who sign in without an outside provider.

Passwords are kept only as argon2 hashes (argon2-cffi's recommended parameters); a
wrong username and a wrong password are refused alike, and in the same time, so the
answer does not tell which usernames exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.identity import Account
from models.actors import Role, Scope
from models.register import AccountRow

HASHER: Final = PasswordHasher()
_DUMMY_HASH: Final = HASHER.hash("not a password anyone has")


def _account(row: AccountRow) -> Account:
    return Account(
        subject=row.subject,
        display_name=row.display_name,
        role=Role(row.role),
        scope=Scope.model_validate(row.scope),
    )


async def create_account(
    sessions: async_sessionmaker[AsyncSession],
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    scope: Scope,
) -> Account:
    """A new account (or the existing one of that username, its password and role reset)."""
    subject = "local-" + hashlib.sha256(username.encode()).hexdigest()[:16]
    async with sessions.begin() as session:
        row = await session.scalar(select(AccountRow).where(AccountRow.username == username))
        if row is None:
            row = AccountRow(username=username, subject=subject)
            session.add(row)
        row.password_hash = HASHER.hash(password)
        row.display_name = display_name
        row.role = role.value
        row.scope = scope.model_dump(mode="json", exclude_defaults=True)
        row.disabled = False
        return _account(row)


async def authenticate(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> Account | None:
    """The account these credentials open, or None (unknown, wrong password, disabled)."""
    async with sessions() as session:
        row = await session.scalar(select(AccountRow).where(AccountRow.username == username))
    try:
        HASHER.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    return _account(row)


async def account_of(sessions: async_sessionmaker[AsyncSession], username: str) -> Account | None:
    async with sessions() as session:
        row = await session.scalar(select(AccountRow).where(AccountRow.username == username))
    return _account(row) if row is not None and not row.disabled else None


def demo_accounts(province: str) -> Iterable[tuple[str, str, Role, Scope]]:
    """One account per role of a province's demo (username, name, role, scope)."""
    yield (
        f"admin@{province}",
        "Văn phòng Điều phối OCOP",
        Role.ADMINISTRATOR,
        Scope(province=province),
    )
    yield f"operator@{province}", "Vận hành hệ thống OCOP", Role.OPERATOR, Scope(province=province)


async def seed_accounts(
    sessions: async_sessionmaker[AsyncSession],
    password: str,
    accounts: Iterable[tuple[str, str, Role, Scope]],
) -> list[Account]:
    """Create (or reset) each account with `password`; what `ocop dev up` seeds."""
    return [
        await create_account(
            sessions,
            username=username,
            password=password,
            display_name=name,
            role=role,
            scope=scope,
        )
        for username, name, role, scope in accounts
    ]


async def enrol(
    sessions: async_sessionmaker[AsyncSession], account: Account, username: str, password_hash: str
) -> None:
    """Keep `account` as a local account with a hash made once for many (a demo's people)."""
    async with sessions.begin() as session:
        row = await session.scalar(select(AccountRow).where(AccountRow.subject == account.subject))
        if row is None:
            session.add(
                AccountRow(
                    subject=account.subject,
                    username=username,
                    password_hash=password_hash,
                    display_name=account.display_name,
                    role=account.role.value,
                    scope=account.scope.model_dump(mode="json", exclude_defaults=True),
                )
            )
