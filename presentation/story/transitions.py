"""A case's transitions in words: one sentence per register row (or write in the history).

Each transition is told by the sentence of its word in `models.transitions`
(`_SENTENCES`); an action this version does not know is told by its own words. The
register's row wins for who, when and why; the history's copy of the row (the register
write's input, or a local write's result) adds what the register keeps only in details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from models.applicants import RegistrationKind
from models.dossier import Language
from models.labels import label
from models.records import JsonScalar
from models.transitions import CaseTransition, parse_action
from presentation.story.facts import ActivityRun, StoryEntry, Transition


def transition_entry(
    from_history: Transition | None, from_register: Transition | None, run: ActivityRun | None
) -> StoryEntry:
    """One transition in words; the register's row wins for who, when and why.

    `run` is the history's register write, given only when the register was read: a
    transition the history shows but the register lacks is then pointed out.
    """
    t = _merged(from_history, from_register)
    kind, text = describe(t)
    sources = (["history"] if from_history else []) + (["register"] if from_register else [])
    if from_history is not None and from_register is None and run is not None:
        text = f"{text.rstrip('.')} ({_register_remark(run)})."
    return StoryEntry(
        at=t.occurred_at,
        recorded_at=run.at if run else None,
        round=t.round_number,
        kind=kind,
        actor=t.actor,
        text=text,
        details=_details(t),
        sources=sources,
    )


def describe(t: Transition) -> tuple[str, str]:
    """(story kind, sentence) for a transition."""
    parsed = parse_action(t.action)
    if parsed is None:
        by = f" by {t.actor}" if t.actor else ""
        return "other", f"{t.action.replace('_', ' ').capitalize()}{by}{_why(t)}."
    word, occasion = parsed
    return _SENTENCES[word](t, occasion)


def registration_words(kind: str | None, unknown: str) -> str:
    """A registration kind (`first`, `upgrade`, `reevaluation`) as the story says it."""
    try:
        return label(RegistrationKind(kind or ""), Language.EN)
    except ValueError:
        return unknown


# ------------------------------------------------------------------------- merging


def _merged(h: Transition | None, r: Transition | None) -> Transition:
    base = r or h
    assert base is not None
    return Transition(
        key=base.key,
        action=base.action,
        actor=base.actor,
        occurred_at=base.occurred_at,
        reason=base.reason,
        round_number=base.round_number or (h.round_number if h else None),
        level=(h.level if h else None) or base.level,
        details={**(h.details if h else {}), **base.details},
        scorecard=(h.scorecard if h else None) or base.scorecard,
        decision=(h.decision if h else None) or base.decision,
        certificate=(h.certificate if h else None) or base.certificate,
    )


def _register_remark(run: ActivityRun) -> str:
    if run.outcome == "completed":
        return "not found in the register"
    if run.outcome == "pending":
        return "being written to the register"
    return f"the register write {run.outcome.replace('_', ' ')}"


def _details(t: Transition) -> dict[str, JsonScalar]:
    details: dict[str, JsonScalar] = {"action": t.action, "key": t.key}
    if t.reason:
        details["reason"] = t.reason
    details.update({k: v for k, v in t.details.items() if k not in ("case_id", "round")})
    if t.scorecard is not None:
        card = t.scorecard.scorecard
        details.update(
            level=card.level,
            member=card.member_id,
            attempt=t.scorecard.attempt,
            part_a=card.part_a,
            part_b=card.part_b,
            part_c=card.part_c,
            total=card.total,
            mandatory_criteria_met=card.meets_mandatory,
        )
    if t.decision is not None:
        details.update(decision=t.decision.number, decided_on=t.decision.decided_on.isoformat())
    if t.certificate is not None:
        details.update(
            certificate=t.certificate.certificate.number,
            certificate_status=t.certificate.status.value,
            valid_until=t.certificate.certificate.valid_until.isoformat(),
        )
    return details


# ------------------------------------------------------------------------ sentences

Sentence = Callable[[Transition, str | None], tuple[str, str]]
"""(transition, occasion from its action) → (story kind, sentence)."""


def _why(t: Transition) -> str:
    return f": {t.reason}" if t.reason else ""


def _level_of(t: Transition) -> str | None:
    return t.level or (t.scorecard.scorecard.level if t.scorecard else None)


def _level(t: Transition) -> str:
    level = _level_of(t)
    return level.capitalize() if level else "The"


def _at_review(t: Transition) -> str:
    level = _level_of(t)
    return f" at the {level} review" if level else ""


def _stars(value: Any) -> str:
    try:
        count = int(value) if value is not None else 0
    except (TypeError, ValueError):
        count = 0
    return f"{count}★" if count else "no stars"


def _day(value: Any) -> str:
    return str(value)[:10]


def _submitted(t: Transition, _: str | None) -> tuple[str, str]:
    kind = registration_words(str(t.details.get("registration_kind", "")), "evaluation")
    level = _level_of(t)
    opens = f"; the {level} review opens" if level else ""
    return "submission", f"Dossier submitted by {t.actor} for {kind}{opens}."


def _accepted(t: Transition, _: str | None) -> tuple[str, str]:
    return "review", f"Dossier accepted{_at_review(t)} by {t.actor}{_why(t)}."


def _rejected(t: Transition, _: str | None) -> tuple[str, str]:
    return "review", f"Dossier rejected{_at_review(t)} by {t.actor}{_why(t)}."


def _supplement_requested(t: Transition, _: str | None) -> tuple[str, str]:
    d = t.details
    documents = d.get("documents") or "missing documents"
    until = f" by {_day(d['deadline'])}" if d.get("deadline") else ""
    return "supplement", f"{t.actor} asked for a supplement ({documents}){until}{_why(t)}."


def _supplement_received(t: Transition, _: str | None) -> tuple[str, str]:
    files = f": {t.details['files']}" if t.details.get("files") else ""
    return "supplement", f"Supplement given by {t.actor}{files}."


def _supplement_missed(t: Transition, _: str | None) -> tuple[str, str]:
    return "supplement", "The supplement did not arrive by its deadline: dossier returned."


def _session_opened(t: Transition, _: str | None) -> tuple[str, str]:
    return "session", f"{_level(t)} council session opened; members invited to score."


def _rescore(t: Transition, _: str | None) -> tuple[str, str]:
    attempt = f" (attempt {t.details['attempt']})" if t.details.get("attempt") else ""
    return "session", (f"{_level(t)} council session reopened for a re-score{attempt}{_why(t)}.")


def _council_result(t: Transition, _: str | None) -> tuple[str, str]:
    d = t.details
    mean = f"mean {d['mean']} points, " if d.get("mean") is not None else ""
    return "result", f"{_level(t)} council result: {mean}{_stars(d.get('stars'))}{_why(t)}."


def _forwarded(t: Transition, _: str | None) -> tuple[str, str]:
    return "result", f"Sent up a level ({t.reason or 'next level'})."


def _superseded(t: Transition, _: str | None) -> tuple[str, str]:
    number = t.certificate.certificate.number if t.certificate else "The certificate"
    return "certificate", f"Certificate {number} superseded{_why(t)}."


def _loaded(t: Transition, _: str | None) -> tuple[str, str]:
    if t.certificate is None:
        return "certificate", f"A certificate issued before was loaded{_why(t)}."
    cert = t.certificate.certificate
    by = "" if t.actor in ("", "register") else f" by {t.actor}"
    return "certificate", (
        f"Certificate {cert.number} ({_stars(cert.stars)}, {cert.authority}, valid until "
        f"{cert.valid_until.isoformat()}) loaded from the national register{by}; "
        "the producer was told when the reminders come."
    )


def _lapsed(t: Transition, _: str | None) -> tuple[str, str]:
    if t.certificate is None:
        return "certificate", f"The certificate lapsed{_why(t)}."
    cert = t.certificate.certificate
    return "certificate", (
        f"Certificate {cert.number} ({_stars(cert.stars)}) lapsed after "
        f"{cert.valid_until.isoformat()}{_why(t)}."
    )


def _expired(t: Transition, _: str | None) -> tuple[str, str]:
    if t.certificate is None:
        return "certificate", f"The certificate expired while the round went on{_why(t)}."
    cert = t.certificate.certificate
    return "certificate", (
        f"Certificate {cert.number} ({_stars(cert.stars)}) expired after "
        f"{cert.valid_until.isoformat()}, its re-evaluation still in progress."
    )


def _reminder(t: Transition, days: str | None) -> tuple[str, str]:
    days = str(t.details.get("days_before_expiry") or days)
    held = t.certificate.certificate.number if t.certificate else None
    of = f" of certificate {held}" if held else ""
    return "reminder", f"Expiry reminder{of}: {days} days before expiry."


def _round_ended(t: Transition, _: str | None) -> tuple[str, str]:
    return "round", f"The round ended{_why(t)}."


def _overdue(t: Transition, _: str | None) -> tuple[str, str]:
    return "deadline", f"Overdue{_why(t)}; the administrators were alerted."


def _meeting(t: Transition, _: str | None) -> tuple[str, str]:
    return "session", f"Put on a council meeting's agenda by {t.actor}{_why(t)}."


def _extended(t: Transition, _: str | None) -> tuple[str, str]:
    return "deadline", f"Deadline extended by {t.actor}{_why(t)}."


def _by_someone(t: Transition, _: str | None) -> tuple[str, str]:
    """Transitions told well enough by their word: a session closed, an application."""
    by = f" by {t.actor}" if t.actor else ""
    return "other", f"{t.action.replace('_', ' ').capitalize()}{by}{_why(t)}."


def _scorecard(t: Transition, _: str | None) -> tuple[str, str]:
    replaced = t.action == CaseTransition.SCORECARD_REPLACED
    verb = "replaced their scorecard" if replaced else "scored"
    if t.scorecard is not None:
        card = t.scorecard.scorecard
        mandatory = "" if card.meets_mandatory else "; mandatory criteria NOT met"
        comment = f' — "{card.comment}"' if card.comment else ""
        return "scorecard", (
            f"{t.actor} {verb} {card.total}/100 at {card.level} level (attempt "
            f"{t.scorecard.attempt}): A {card.part_a} + B {card.part_b} + C {card.part_c}"
            f"{mandatory}{comment}."
        )
    d = t.details
    total = f" {d['total']}/100" if d.get("total") is not None else ""
    at = f" at {d['level']} level" if d.get("level") else ""
    attempt = f" (attempt {d['attempt']})" if d.get("attempt") else ""
    return "scorecard", f"{t.actor} {verb}{total}{at}{attempt}."


def _signed_by(t: Transition) -> str:
    """Who signed a decision, where the register names more than its authority (the
    verified signer, since actions are signed)."""
    if t.decision is None or not t.actor or t.actor == t.decision.authority:
        return ""
    return f", signed by {t.actor}"


def _recognised(t: Transition, _: str | None) -> tuple[str, str]:
    if t.decision is None:
        return "decision", f"Recognised by {t.actor}."
    decision = t.decision
    text = f"Decision {decision.number} of {decision.authority} ({decision.decided_on.isoformat()})"
    if t.certificate is None:
        return "decision", f"{text}: {decision.summary}{_signed_by(t)}."
    cert = t.certificate.certificate
    return "decision", (
        f"{text} recognises {_stars(cert.stars)} at {decision.level} level; certificate "
        f"{cert.number} valid {cert.valid_from.isoformat()} – {cert.valid_until.isoformat()}"
        f"{_signed_by(t)}."
    )


def _revoked(t: Transition, _: str | None) -> tuple[str, str]:
    why = f": {t.reason}" if t.reason else ""
    cert = f" {t.certificate.certificate.number}" if t.certificate else ""
    if t.decision is None:
        return "decision", f"Certificate{cert} revoked by {t.actor}{why}."
    return "decision", (
        f"Certificate{cert} revoked by decision {t.decision.number} of {t.decision.authority} "
        f"({t.decision.decided_on.isoformat()}){why}{_signed_by(t)}."
    )


_SENTENCES: Final[dict[CaseTransition, Sentence]] = {
    CaseTransition.DOSSIER_RECEIVED: _submitted,
    CaseTransition.APPLICATION_RECEIVED: _by_someone,
    CaseTransition.REVIEW_ACCEPTED: _accepted,
    CaseTransition.REVIEW_REJECTED: _rejected,
    CaseTransition.SUPPLEMENT_REQUESTED: _supplement_requested,
    CaseTransition.SUPPLEMENT_RECEIVED: _supplement_received,
    CaseTransition.SUPPLEMENT_MISSED: _supplement_missed,
    CaseTransition.COUNCIL_SESSION_OPENED: _session_opened,
    CaseTransition.COUNCIL_MEETING_SCHEDULED: _meeting,
    CaseTransition.SCORECARD_SUBMITTED: _scorecard,
    CaseTransition.SCORECARD_REPLACED: _scorecard,
    CaseTransition.SESSION_CLOSED: _by_someone,
    CaseTransition.RESCORE_REQUESTED: _rescore,
    CaseTransition.COUNCIL_RESULT: _council_result,
    CaseTransition.FORWARDED: _forwarded,
    CaseTransition.RECOGNISED: _recognised,
    CaseTransition.CERTIFICATE_SUPERSEDED: _superseded,
    CaseTransition.CERTIFICATE_LOADED: _loaded,
    CaseTransition.EXPIRY_REMINDER: _reminder,
    CaseTransition.CERTIFICATE_LAPSED: _lapsed,
    CaseTransition.CERTIFICATE_EXPIRED: _expired,
    CaseTransition.CERTIFICATE_REVOKED: _revoked,
    CaseTransition.ROUND_ENDED: _round_ended,
    CaseTransition.OVERDUE: _overdue,
    CaseTransition.DEADLINE_EXTENDED: _extended,
}
"""The sentence of every transition; a test checks that no word is left out."""
