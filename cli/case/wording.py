"""How the per-case commands say where a case stands, in one line."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cli.common import console
from models.case import CaseStage, CaseStatus, NextDeadline
from models.clock import VIETNAM
from models.dossier import Language
from models.labels import Form, label


def stage_text(stage: CaseStage) -> str:
    """'in dossier review', 'awaiting a supplement from the producer', …"""
    return label(stage, Language.EN, Form.STATUS)


AT_LEVEL = frozenset(
    {
        CaseStage.LOCAL_REVIEW,
        CaseStage.AWAITING_SUPPLEMENT,
        CaseStage.COUNCIL_SCORING,
        CaseStage.AWAITING_RECOGNITION,
    }
)


def say(message: str) -> None:
    console.print(Text(message), soft_wrap=True)


def on_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).date().isoformat()


def deadline_text(deadline: NextDeadline) -> str:
    """'district review by 2024-03-31'; a reminder or an expiry comes 'on' its day."""
    when = "on" if deadline.what.startswith(("expiry", "certificate")) else "by"
    return f"{deadline.what} {when} {on_date(deadline.due)}"


def where_now(status: CaseStatus) -> str:
    """Where the case stands now, in one clause."""
    text = f"now {stage_text(status.stage)}"
    if status.stage in AT_LEVEL and status.level:
        text += f" at {status.level} level"
    if status.round_number > 1:
        text += f" (round {status.round_number})"
    if status.next_deadline is not None:
        text += f"; next: {deadline_text(status.next_deadline)}"
    return text
