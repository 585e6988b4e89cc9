"""Who may do what to which case: roles with scope, and one rule per human action.

An `Actor` is a person the identity provider vouches for: a stable `subject`, a name,
one `Role` and the `Scope` that role is tied to (a province, a locality, a level, a
council, an authority, or the applicant a producer acts for). Each rule below answers
one human action of a case or a cycle with a `Refusal` (type `NotPermitted`, a message
in Vietnamese then English saying who tried what and what is required) or None.

The rules only compare the actor's scope with the facts of the case; the rules of the
case itself (council membership, stages) stay in `models/council.py` and
`models/case_rules.py` and are called, never copied. Nothing here authenticates
anyone: the API and the workflow validators verify who the actor is before asking.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.admin_units import lineage
from models.bounds import (
    MAX_EMAIL_CHARS,
    MAX_ID_CHARS,
    MAX_LOCALITIES,
    MAX_PERSON_NAME_CHARS,
    Identifier,
    PersonName,
    SingleLine,
)
from models.council import Council, CouncilRole
from models.cycle_settings import DecisionAuthority
from models.dossier import Code, Dossier
from models.errors import DomainError, Refusal
from models.labels import level_label
from models.refusal_wording import bounded, excerpt

NOT_PERMITTED: Final = "NotPermitted"
"""The type of every refusal here (the API answers it with 403)."""


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    """Văn phòng Điều phối OCOP of a province: opens, schedules, closes, reports cycles."""
    PRODUCER = "producer"
    """The applicant (chủ thể): submits and follows their own products."""
    REVIEWER = "reviewer"
    """The office of a commune or district (Phòng Kinh tế / Phòng Nông nghiệp)."""
    COUNCIL_MEMBER = "council_member"
    """A member (or the chair) of a level's scoring council."""
    COUNCIL_SECRETARY = "council_secretary"
    """The secretary of a level's council: closes its sessions."""
    AUTHORITY = "authority"
    """People's Committee of a level (the Ministry for central): signs decisions."""
    OPERATOR = "operator"
    """Runs the system for a province: reads lists, status and histories."""


ROLE_VI: Final[dict[Role, str]] = {
    Role.ADMINISTRATOR: "Văn phòng Điều phối OCOP",
    Role.PRODUCER: "chủ thể",
    Role.REVIEWER: "phòng chuyên môn cấp xã/huyện",
    Role.COUNCIL_MEMBER: "thành viên hội đồng",
    Role.COUNCIL_SECRETARY: "thư ký hội đồng",
    Role.AUTHORITY: "cơ quan có thẩm quyền",
    Role.OPERATOR: "vận hành hệ thống",
}

_REQUIRED: Final[dict[Role, tuple[str, ...]]] = {
    Role.ADMINISTRATOR: ("province",),
    Role.PRODUCER: ("province", "applicant"),
    Role.REVIEWER: ("province", "locality"),
    Role.COUNCIL_MEMBER: ("province", "level", "member_id"),
    Role.COUNCIL_SECRETARY: ("province", "level"),
    Role.AUTHORITY: ("level", "authority"),
    Role.OPERATOR: ("province",),
}
"""The parts of a scope each role must name (an authority at central level has no province)."""


def applicant_key(email: str) -> str:
    """How a producer's scope names the applicant: the dossier's email, trimmed, lower-case."""
    return email.strip().lower()


class Scope(BaseModel):
    """What a role is tied to. Which fields a role needs is checked by `Actor`.

    `locality` is a district (2023 rules) or a commune (2025 rules), as `Dossier.locality`;
    `level` a level name of the rulebook (district, commune, province, central); `authority`
    and `localities` as `DecisionAuthority` (no localities: all of the level's).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    province: Code | None = None
    locality: Code | None = None
    level: Identifier | None = None
    member_id: Identifier | None = None
    authority: SingleLine | None = None
    localities: tuple[Code, ...] = Field(default=(), max_length=MAX_LOCALITIES)
    applicant: str | None = Field(default=None, max_length=MAX_EMAIL_CHARS)

    @model_validator(mode="after")
    def _normalised_applicant(self) -> Scope:
        if self.applicant is not None and self.applicant != applicant_key(self.applicant):
            raise ValueError("scope.applicant must be the applicant's email in lower case")
        return self


class ActorRef(BaseModel):
    """An actor as history and audit lines keep it: the subject id and the role, nothing else.

    No name or email in clear: personal data is to be encrypted (the next issue), and the
    subject id is enough to find the person at the identity provider.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Identifier
    role: Role


class Actor(BaseModel):
    """A person the identity provider vouches for, acting in one role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Identifier = Field(description="Stable id from the identity provider")
    display_name: PersonName
    role: Role
    scope: Scope

    @model_validator(mode="after")
    def _scope_fits_role(self) -> Actor:
        missing = [name for name in _REQUIRED[self.role] if getattr(self.scope, name) is None]
        if missing:
            raise ValueError(f"a {self.role} needs a scope with {', '.join(missing)}")
        return self

    @property
    def ref(self) -> ActorRef:
        return ActorRef(subject=self.subject, role=self.role)


class CaseFacts(BaseModel):
    """What the access rules need to know of a case; the API and the workflow both hold it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow_id: str
    province: str
    locality: str
    level: str | None
    applicant: str

    @classmethod
    def of(cls, workflow_id: str, dossier: Dossier, level: str | None) -> CaseFacts:
        """From a case's input (`LifecycleInput.dossier`) and its current level."""
        return cls(
            workflow_id=workflow_id,
            province=dossier.province,
            locality=dossier.locality,
            level=level,
            applicant=applicant_key(str(dossier.applicant.email)),
        )


def _who(actor: Actor) -> str:
    return f"{excerpt(actor.display_name)} ({ROLE_VI[actor.role]} / {actor.role})"


def _refused(actor: Actor, vi: str, en: str) -> Refusal:
    return Refusal(NOT_PERMITTED, bounded(f"{_who(actor)}: {vi} — {en}"))


def _role_refusal(actor: Actor, allowed: tuple[Role, ...], vi: str, en: str) -> Refusal | None:
    if actor.role in allowed:
        return None
    needed = " / ".join(allowed)
    return _refused(
        actor, f"không được {vi} (cần vai trò {needed})", f"may not {en}; required role: {needed}"
    )


def _province_refusal(actor: Actor, province: str, vi: str, en: str) -> Refusal | None:
    """A province's people act on its cases, and so do those of the unit it became part
    of (Hải Phòng's office on a certificate Hải Dương issued)."""
    if actor.scope.province is not None and actor.scope.province in lineage(province):
        return None
    return _refused(
        actor,
        f"không được {vi} của tỉnh {excerpt(province)!r} (phạm vi: {actor.scope.province!r})",
        f"may not {en} of province {excerpt(province)!r}; their scope is {actor.scope.province!r}",
    )


def cycle_administration_refusal(actor: Actor, province: str) -> Refusal | None:
    """Open, schedule, close a province's cycle or read its report: its administrators."""
    vi, en = "quản lý chu trình OCOP", "administer the OCOP cycle"
    return _role_refusal(actor, (Role.ADMINISTRATOR,), vi, en) or _province_refusal(
        actor, province, vi, en
    )


def submission_refusal(actor: Actor, dossier: Dossier) -> Refusal | None:
    """Submit a dossier: a producer, for the applicant they act for, in their province."""
    vi, en = "nộp hồ sơ", "submit a dossier"
    refusal = _role_refusal(actor, (Role.PRODUCER,), vi, en)
    refusal = refusal or _province_refusal(actor, dossier.province, vi, en)
    if refusal is None and actor.scope.applicant != applicant_key(str(dossier.applicant.email)):
        return _refused(
            actor,
            "chỉ được nộp hồ sơ cho chủ thể của mình",
            "may submit dossiers only for the applicant they act for",
        )
    return refusal


def own_case_refusal(actor: Actor, case: CaseFacts) -> Refusal | None:
    """Read a case, bring a supplement, apply for upgrade or re-evaluation: its own producer."""
    vi, en = "thao tác trên hồ sơ", "act on the case"
    refusal = _role_refusal(actor, (Role.PRODUCER,), vi, en)
    refusal = refusal or _province_refusal(actor, case.province, vi, en)
    if refusal is None and actor.scope.applicant != case.applicant:
        return _refused(
            actor,
            f"hồ sơ {excerpt(case.workflow_id)!r} không phải sản phẩm của chủ thể này",
            f"case {excerpt(case.workflow_id)!r} is not a product of the applicant they act for",
        )
    return refusal


def review_refusal(actor: Actor, province: str, locality: str) -> Refusal | None:
    """Review a dossier: the commune or district office of the dossier's locality."""
    vi, en = "thẩm định hồ sơ", "review a dossier"
    refusal = _role_refusal(actor, (Role.REVIEWER,), vi, en)
    refusal = refusal or _province_refusal(actor, province, vi, en)
    if refusal is None and actor.scope.locality != locality:
        return _refused(
            actor,
            f"chỉ thẩm định hồ sơ của địa bàn {actor.scope.locality!r}, "
            f"không phải {excerpt(locality)!r}",
            f"reviews only dossiers of locality {actor.scope.locality!r}, "
            f"not {excerpt(locality)!r}",
        )
    return refusal


def _council_refusal(actor: Actor, council: Council, level: str) -> Refusal | None:
    if actor.scope.level == level == council.level:
        return None
    return _refused(
        actor,
        f"thuộc hội đồng {level_label(actor.scope.level or '-')}, không phải hội đồng "
        f"{level_label(excerpt(level))}",
        f"belongs to the {actor.scope.level!r} council, not the {excerpt(level)!r} one",
    )


def scorecard_refusal(actor: Actor, council: Council, level: str, member_id: str) -> Refusal | None:
    """Submit a scorecard: a member of that level's council, in their own name only."""
    vi, en = "chấm điểm", "submit a scorecard"
    refusal = _role_refusal(actor, (Role.COUNCIL_MEMBER,), vi, en)
    refusal = refusal or _council_refusal(actor, council, level)
    if refusal is not None:
        return refusal
    if actor.scope.member_id != member_id:
        return _refused(
            actor,
            f"chỉ được chấm điểm với tư cách của mình ({actor.scope.member_id!r}), "
            f"không thay cho {excerpt(member_id)!r}",
            f"may score only as themselves ({actor.scope.member_id!r}), "
            f"not as {excerpt(member_id)!r}",
        )
    try:
        council.member(member_id)
    except DomainError:
        return _refused(
            actor,
            f"không có tên trong hội đồng {level_label(council.level)}",
            f"is not on the roster of the {council.level} council",
        )
    return None


def close_session_refusal(actor: Actor, council: Council, calling: bool = False) -> Refusal | None:
    """Close a council's session, or call (and close) its dated meetings: its chair or
    its secretary."""
    vi, en = "kết thúc phiên họp hội đồng", "close the council's session"
    last = ("kết thúc phiên họp", "close its session")
    if calling:
        vi, en = "triệu tập phiên họp hội đồng", "call the council's meetings"
        last = ("triệu tập phiên họp", "call its meetings")
    refusal = _role_refusal(actor, (Role.COUNCIL_MEMBER, Role.COUNCIL_SECRETARY), vi, en)
    refusal = refusal or _council_refusal(actor, council, council.level)
    if refusal is not None or actor.role == Role.COUNCIL_SECRETARY:
        return refusal
    member_id = actor.scope.member_id or ""
    chair = any(m.member_id == member_id and m.role == CouncilRole.CHAIR for m in council.members)
    if chair:
        return None
    return _refused(
        actor,
        f"chỉ chủ tịch hoặc thư ký hội đồng được {last[0]}",
        f"only the council's chair or secretary may {last[1]}",
    )


def decision_refusal(
    actor: Actor, level: str, authority: DecisionAuthority, locality: str
) -> Refusal | None:
    """Sign a recognition or revocation: the authority of that level covering that locality.

    `authority` is the one the cycle's settings name for the case (`authority_for`).
    """
    refusal = signing_refusal(
        actor, level=level, authority=authority.authority, province=None, locality=locality
    )
    if refusal is None and authority.level != level:
        refusal = _refused(
            actor,
            f"quyết định {level_label(excerpt(level))} không do cơ quan "
            f"{level_label(authority.level)} ký",
            f"a {excerpt(level)} decision is not signed by a {authority.level} authority",
        )
    if refusal is None and authority.localities and locality not in authority.localities:
        refusal = _outside_localities(actor, locality)
    return refusal


def operator_read_refusal(actor: Actor, province: str) -> Refusal | None:
    """List cases, read a status or a history: an operator of that province."""
    vi, en = "xem danh sách, trạng thái, lịch sử hồ sơ", "read lists, status and histories"
    return _role_refusal(actor, (Role.OPERATOR,), vi, en) or _province_refusal(
        actor, province, vi, en
    )


def case_reader_refusal(actor: Actor, case: CaseAccess) -> Refusal | None:
    """Read where a case stands: whoever takes part in it — its producer, the province's
    operators and office, the reviewer of its locality, its councils' members and
    secretaries, and the authorities who may sign for it."""
    facts = case.facts
    councils = case.councils
    allowed = (
        own_case_refusal(actor, facts) is None
        or operator_read_refusal(actor, facts.province) is None
        or cycle_administration_refusal(actor, facts.province) is None
        or review_refusal(actor, facts.province, facts.locality) is None
        or any(close_session_refusal(actor, council) is None for council in councils)
        or any(
            scorecard_refusal(actor, council, council.level, actor.scope.member_id or "") is None
            for council in councils
        )
        or (
            actor.role == Role.AUTHORITY
            and signing_refusal(
                actor,
                level=actor.scope.level or "",
                authority=actor.scope.authority or "",
                province=facts.province,
                locality=facts.locality,
            )
            is None
        )
    )
    if allowed:
        return None
    if actor.role == Role.PRODUCER:  # the refusal that speaks to a producer
        return own_case_refusal(actor, facts)
    return _refused(
        actor,
        f"không tham gia hồ sơ {excerpt(facts.workflow_id)!r}",
        f"takes no part in case {excerpt(facts.workflow_id)!r}",
    )


def payload_read_refusal(actor: Actor) -> Refusal | None:
    """Decode (or encode) Temporal payloads through the codec server: an operator. A
    payload is not a province's (a history mixes them), so the role alone decides."""
    return _role_refusal(
        actor,
        (Role.OPERATOR,),
        "giải mã dữ liệu lịch sử Temporal",
        "decode Temporal payloads (personal data in history)",
    )


def _outside_localities(actor: Actor, locality: str) -> Refusal:
    return _refused(
        actor,
        f"địa bàn {excerpt(locality)!r} không thuộc thẩm quyền của cơ quan này",
        f"locality {excerpt(locality)!r} is outside this authority's localities",
    )


def signing_refusal(
    actor: Actor, *, level: str, authority: str, province: str | None, locality: str
) -> Refusal | None:
    """Sign a decision on one case: the authority the decision names, at its level.

    What a case knows without its cycle's settings: the decision's level and authority,
    and the product's place (`province` None: not checked, as for the Ministry).
    """
    vi, en = "ký quyết định công nhận/thu hồi", "sign a recognition or revocation decision"
    refusal = _role_refusal(actor, (Role.AUTHORITY,), vi, en)
    if refusal is not None:
        return refusal
    scope = actor.scope
    if scope.level != level or scope.authority != authority:
        return _refused(
            actor,
            f"quyết định {level_label(excerpt(level))} do {excerpt(authority, 80)} ký",
            f"the {excerpt(level)} decision is signed by {excerpt(authority, 80)}",
        )
    if province is not None and scope.province is not None and scope.province != province:
        return _province_refusal(actor, province, vi, en)
    if scope.localities and locality not in scope.localities:
        return _outside_localities(actor, locality)
    return None


NAME_FIELDS: Final = ("reviewer", "submitted_by", "closed_by", "extended_by", "called_by")
"""The fields in which a step names the person taking it."""

Step = TypeVar("Step", bound=BaseModel)


def in_own_name(step: Step, actor: Actor) -> Step:
    """The step as the verified actor's own: whatever name the client wrote in it, its
    name fields hold the name of the person who signed in, so history says who acted."""
    named: dict[str, str] = {
        field: actor.display_name for field in NAME_FIELDS if field in type(step).model_fields
    }
    return step.model_copy(update=named) if named else step


def actor_label(actor: Actor) -> str:
    """How audit lines and the register name a verified actor: name, role and subject."""
    return f"{actor.display_name} ({actor.role}, {actor.subject})"


class CaseAccess(BaseModel):
    """What a case tells the API so it can check access before it signs an action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    facts: CaseFacts
    councils: tuple[Council, ...]
    certificate_level: str | None = None
    review_escalated: bool = False


def batch_authority(level: str, authority: str, authority_key: str) -> Actor:
    """Who signs a cycle's batch decision on each listed case: the authority the cycle's
    settings name for it, acting through the cycle on the calendar's decision day."""
    return Actor(
        subject=f"cycle-batch:{authority_key}"[:MAX_ID_CHARS],
        display_name=authority[:MAX_PERSON_NAME_CHARS],
        role=Role.AUTHORITY,
        scope=Scope(level=level, authority=authority),
    )
