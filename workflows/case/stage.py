"""Where the case stands, told to those who look for it: visibility and the round's cycle."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import FailureError

from workflows.case import view
from workflows.case.revision import lean_round
from workflows.case.state import LifecycleState

with workflow.unsafe.imports_passed_through():
    from contracts import case as contract
    from contracts import cycle
    from models.case import CaseStage, LifecycleInput
    from models.clock import start_of_day


class StagePublisher:
    def __init__(self, input: LifecycleInput, state: LifecycleState) -> None:
        self._input = input
        self._state = state
        self._published: list[tuple[str, object]] | None = None

    async def move_to(self, stage: CaseStage, level: str | None) -> None:
        """Enter a stage: search attributes, then the cycle's signal (histories hold this order)."""
        self._state.round.stage = stage
        self._state.round.level = level
        self.upsert_search_attributes()
        if self._input.cycle_workflow_id:
            await self._tell_cycle(self._input.cycle_workflow_id)

    def upsert_search_attributes(self) -> None:
        """What `ocop list` filters on: stage, level, stars and the certificate's expiry."""
        now, carried, input = self._state.round, self._state.carried, self._input
        certificate, stars = carried.certificate, carried.current_stars
        # Only a numbered round names its number: an upsert of a case from before
        # dossiers were numbered stays as its history recorded it.
        numbered: list[SearchAttributeUpdate[Any]] = (
            [contract.DOSSIER_NUMBER.value_set(input.dossier_number)]
            if input.dossier_number
            else []
        )
        updates: list[SearchAttributeUpdate[Any]] = [
            *numbered,
            contract.PROVINCE.value_set(now.dossier.province),
            contract.LOCALITY.value_set(now.dossier.locality),
            contract.STAGE.value_set(now.stage.value),
            contract.CYCLE_YEAR.value_set(input.cycle_year),
            contract.RULEBOOK.value_set(input.rulebook.id),
            contract.LEVEL.value_set(now.level) if now.level else contract.LEVEL.value_unset(),
            contract.STARS.value_set(int(stars)) if stars else contract.STARS.value_unset(),
            contract.VALID_UNTIL.value_set(start_of_day(certificate.valid_until))
            if certificate
            else contract.VALID_UNTIL.value_unset(),
        ]
        published = [(update.key.name, update.value) for update in updates]
        # Several steps of one task land on the same values (a review's move and its
        # clock): an upsert that changes nothing would only lengthen the history.
        if published == self._published and lean_round():
            return
        self._published = published
        workflow.upsert_search_attributes(updates)

    async def _tell_cycle(self, cycle_id: str) -> None:
        """Tell the round's annual cycle where the case stands; a closed cycle stops nothing."""
        progress = view.case_progress(self._state, workflow.info().workflow_id)
        try:
            await workflow.get_external_workflow_handle(cycle_id).signal(
                cycle.CASE_PROGRESS.name, progress
            )
        except FailureError as error:
            # Expected once the cycle has closed (a lapse or revocation years later).
            workflow.logger.info(
                "cycle %s was not told of stage %s: %s", cycle_id, progress.stage, error
            )
