"""How the cycle commands name targets and dates."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from cli.common import console
from models.cycle_calendar import TargetKind
from models.dates import format_day
from models.dossier import Language
from models.labels import Form, label


def target_text(target: TargetKind) -> str:
    """'dossiers received', 'products of ≥ 3★', …"""
    return label(target, Language.EN, Form.SHORT)


def say(message: str) -> None:
    console.print(Text(message), soft_wrap=True)


def when(day: date) -> str:
    return format_day(day)
