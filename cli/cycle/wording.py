"""How the cycle commands name targets and dates."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from cli.common import console
from models.cycle import TargetKind

TARGET_LABELS = {
    TargetKind.SUBMISSIONS: "dossiers received",
    TargetKind.THREE_STARS_OR_MORE: "products of ≥ 3★",
    TargetKind.FOUR_STARS_OR_MORE: "products of ≥ 4★",
    TargetKind.FIVE_STARS: "products of 5★",
}


def say(message: str) -> None:
    console.print(Text(message), soft_wrap=True)


def when(day: date) -> str:
    return day.strftime("%d/%m/%Y")
