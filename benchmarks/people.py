"""The people a benchmark acts as, each an `Actor` scoped the way the API would sign them.

Every human Update carries a signed assertion of its actor, checked by the workflow's
validator against its scope; benchmarks sign with the stack's own key file
(`Settings.action_keys_path`, which the worker trusts), through `infra.actions.act`.
"""

from __future__ import annotations

import hashlib

from models.actors import Actor, Role, Scope, applicant_key
from models.dossier import Dossier


def person(role: Role, scope: Scope, *parts: str) -> Actor:
    """An actor of `role` with `scope`; `parts` make its subject id (no names in it)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]
    return Actor(
        subject=f"bench-{role.value}-{digest}",
        display_name=f"Benchmark {role.value}",
        role=role,
        scope=scope,
    )


def administrator(province: str) -> Actor:
    return person(Role.ADMINISTRATOR, Scope(province=province), province)


def producer(dossier: Dossier) -> Actor:
    key = applicant_key(str(dossier.applicant.email))
    return person(Role.PRODUCER, Scope(province=dossier.province, applicant=key), key)


def reviewer(province: str, locality: str) -> Actor:
    return person(Role.REVIEWER, Scope(province=province, locality=locality), locality)


def member(province: str, level: str, member_id: str) -> Actor:
    scope = Scope(province=province, level=level, member_id=member_id)
    return person(Role.COUNCIL_MEMBER, scope, level, member_id)


def secretary(province: str, level: str) -> Actor:
    return person(Role.COUNCIL_SECRETARY, Scope(province=province, level=level), level)


def authority(province: str, level: str, name: str) -> Actor:
    scope = Scope(province=province, level=level, authority=name)
    return person(Role.AUTHORITY, scope, level, name)
