"""Who the demo's people are: the role each step needs, scoped to the case it acts on.

The door (`cli/demo/door.py`) enrols one account per person so described and takes their
steps through the API with its token; the case's own facts (`CaseAccess`) say the
province, locality and level a person's scope must name.
"""

from __future__ import annotations

from collections.abc import Callable

from models.actors import Actor, CaseAccess, Role, Scope
from models.bounds import MAX_PERSON_NAME_CHARS


def person(role: Role, name: str, scope: Scope) -> Actor:
    """A person of the demo; the door gives their account its own subject."""
    return Actor(
        subject="demo",
        display_name=name.strip()[:MAX_PERSON_NAME_CHARS] or role.value,
        role=role,
        scope=scope,
    )


def administrator(province: str, name: str = "Văn phòng Điều phối OCOP") -> Actor:
    """The province's coordinating office, opening its cycles."""
    return person(Role.ADMINISTRATOR, name, Scope(province=province))


def reviewer(name: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: person(
        Role.REVIEWER,
        name,
        Scope(province=access.facts.province, locality=access.facts.locality),
    )


def producer(name: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: person(
        Role.PRODUCER,
        name,
        Scope(province=access.facts.province, applicant=access.facts.applicant),
    )


def council_member(
    member_id: str, level: str, name: str | None = None
) -> Callable[[CaseAccess], Actor]:
    return lambda access: person(
        Role.COUNCIL_MEMBER,
        name or member_id,
        Scope(province=access.facts.province, level=level, member_id=member_id),
    )


def secretary(name: str, level: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: person(
        Role.COUNCIL_SECRETARY, name, Scope(province=access.facts.province, level=level)
    )


def authority(name: str, level: str | None = None) -> Callable[[CaseAccess], Actor]:
    """The authority `name`, at `level` (default: the level of the certificate it acts on)."""
    return lambda access: person(
        Role.AUTHORITY,
        name,
        Scope(
            province=access.facts.province,
            level=level or access.certificate_level or "none",
            authority=name,
        ),
    )
