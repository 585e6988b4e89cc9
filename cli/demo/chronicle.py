"""The demo's story, printed in business-date order whatever order its lines arrive in.

The actors say what they did at the moment the calendar stands at; the narrator tells
what the system did from the register, some of it (a wave of reminders) only once the
wave has passed. Lines wait here until the calendar has passed their moment and no
wave is still open before it, then print sorted by moment, with a rule at each new
year. Within one moment, lines sort by who speaks, so two runs print alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from rich.console import Console
from rich.markup import escape

from models.clock import VIETNAM, start_of_day

WHO_WIDTH = 34


@dataclass(order=True)
class _Line:
    moment: datetime
    who: str
    seq: int
    show: Callable[[Console], None] = field(compare=False)


def moment_of(when: datetime | date) -> datetime:
    return when if isinstance(when, datetime) else start_of_day(when)


class Chronicle:
    """Collects the story's lines and prints those whose moment has passed, in order."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._waiting: list[_Line] = []
        self._seq = 0
        self._year: int | None = None

    def say(self, when: datetime | date, who: str, text: str) -> None:
        """One dated line; `text` may hold Rich markup, `who` may not."""
        day = moment_of(when).astimezone(VIETNAM).date()
        # Padded, never cut: a long name pushes its line on rather than losing words.
        line = f"[dim]{day.isoformat()}[/]  [bold]{escape(who).ljust(WHO_WIDTH)}[/] {text}"
        self.show(when, who, lambda console: console.print(line))

    def show(self, when: datetime | date, who: str, render: Callable[[Console], None]) -> None:
        """Anything printable (a report's tables), dated like a line."""
        self._seq += 1
        self._waiting.append(_Line(moment_of(when), who, self._seq, render))

    def flush(self, until: datetime | None = None) -> None:
        """Print every line dated at or before `until` (None: all of them), in order."""
        due = sorted(line for line in self._waiting if until is None or line.moment <= until)
        if not due:
            return
        self._waiting = [line for line in self._waiting if until and line.moment > until]
        for line in due:
            year = line.moment.astimezone(VIETNAM).year
            if self._year is not None and year != self._year:
                self.console.rule(f"[dim]{year}[/]", style="dim")
            self._year = year
            line.show(self.console)
