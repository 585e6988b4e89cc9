"""Which table of criteria a case scores on: the rules a case's input and a new round's
application are checked against."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.criteria import CriteriaSet, criteria_scores_refusal
from models.dossier import Dossier
from models.rulebook import Rulebook

if TYPE_CHECKING:
    from models.case import Application


def table_refusal(table: CriteriaSet | None, rules: Rulebook, dossier: Dossier) -> str | None:
    """Why a table of criteria cannot score this dossier under these rules, or None: it
    must be the dossier's group's, on the rulebook's maxima, and the producer's
    self-assessment must be on it."""
    if table is None:
        if dossier.self_assessment:
            return (
                "self_assessment by criteria needs a table of criteria for the case; "
                "give self_assessed_score instead"
            )
        return None
    if not table.applies_to(dossier.group, dossier.product_set):
        return (
            f"table {table.id} is for {', '.join(table.product_groups)}, not for "
            f"{dossier.group}/{dossier.product_set}"
        )
    if table.maxima != rules.maxima:
        return f"table {table.id} has other part maxima than rulebook {rules.id}"
    if dossier.self_assessment:
        refusal = criteria_scores_refusal(table, dossier.self_assessment, "self_assessment")
        if refusal is not None:
            return refusal.message
    return None


def next_round_table(
    application: Application, previous: CriteriaSet | None, rules: Rulebook
) -> CriteriaSet | None:
    """The table a new round scores on: the application's, else the last round's when
    it still fits the dossier and the rules, else none (part totals)."""
    if application.criteria is not None:
        return application.criteria
    dossier = application.dossier
    if (
        previous is not None
        and previous.applies_to(dossier.group, dossier.product_set)
        and previous.maxima == rules.maxima
    ):
        return previous
    return None
