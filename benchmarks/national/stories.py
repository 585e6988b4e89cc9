"""What each product of the national year does, and what its case should end at.

The actors are the demo's (`cli/demo/people.ProductCase`): they act through the HTTP
API, each person with a token of their own, on the paced calendar. A story that goes
off its script is counted with the reason, not raised: one odd product must not lose a
run of half an hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cli.demo.people import ProductCase, business_start_of
from cli.demo.province import Entry
from cli.demo.scenario import CycleHandle, first_cycle
from cli.demo.stack import DemoError
from models.case import CaseStage
from models.cycle_calendar import CycleCalendar
from models.stars import is_certifiable, stars_for_score


@dataclass(frozen=True)
class Ending:
    """Where a case ends the year: its stage and, when certified, its stars."""

    stage: CaseStage
    stars: int | None = None


def first_ending(entry: Entry) -> Ending:
    """Where a first dossier's script takes it by the year's end."""
    if entry.rejected:
        return Ending(CaseStage.REJECTED)
    if entry.missing is not None and not entry.supplies:
        return Ending(CaseStage.RETURNED)
    stars = stars_for_score(entry.quality, entry.mandatory_met)
    if not is_certifiable(stars):
        return Ending(CaseStage.NOT_CERTIFIED)
    return Ending(CaseStage.CERTIFIED, int(stars))


@dataclass
class Tally:
    """How many rounds the stories took to their end, and the ones that went off their
    script (why, in the actor's words)."""

    off_script: list[str] = field(default_factory=list)
    rounds: int = 0

    def failed(self, error: Exception) -> None:
        self.off_script.append(str(error))


async def first_story(
    case: ProductCase, cycle: CycleHandle, calendar: CycleCalendar, tally: Tally
) -> None:
    """Submit, the commune's review (with its supplement), the councils, the decision."""
    try:
        if await first_cycle(case, cycle):
            await case.certified(calendar.recognition)
        tally.rounds += 1
    except DemoError as error:
        tally.failed(error)


async def renewal_story(
    case: ProductCase, cycle: CycleHandle, calendar: CycleCalendar, held: int, tally: Tally
) -> None:
    """A certificate of the register re-evaluated in this year's cycle before it runs out."""
    entry = case.entry
    assert entry.reevaluation_submitted is not None
    try:
        await case.at(business_start_of(entry.reevaluation_submitted, 9))
        await case.submit_reevaluation(cycle, held)
        await case.pause(3)
        await case.review(first=False)
        await case.evaluate(entry.reevaluated)
        await case.certified(calendar.recognition, round_number=2)
        tally.rounds += 1
    except DemoError as error:
        tally.failed(error)


def renewal_ending(entry: Entry) -> Ending:
    return Ending(CaseStage.CERTIFIED, int(stars_for_score(entry.reevaluated)))


def held_ending(valid_until: date, year_end: date, stars: int) -> Ending:
    """A certificate nobody renews: lapsed once it ran out, else still certified."""
    if valid_until < year_end:
        return Ending(CaseStage.LAPSED)
    return Ending(CaseStage.CERTIFIED, stars)
