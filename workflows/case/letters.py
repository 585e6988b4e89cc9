"""What every letter of a case says about it, and who receives which letters."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.case import LifecycleInput
    from models.dossier import Dossier
    from models.events import CaseFacts, Recipient, RecipientRole


def case_facts(
    workflow_id: str,
    dossier: Dossier,
    round_number: int,
    today: date,
    dossier_number: str | None = None,
) -> CaseFacts:
    return CaseFacts(
        reference=workflow_id,
        dossier_number=dossier_number,
        product_code=dossier.product_code,
        product_name=dossier.product_name,
        applicant_name=dossier.applicant.name,
        province=dossier.province,
        round_number=round_number,
        occurred_on=today,
    )


def producer(dossier: Dossier) -> tuple[Recipient, ...]:
    applicant = dossier.applicant
    return (
        Recipient(
            email=applicant.email,
            name=applicant.name,
            language=applicant.preferred_language,
            role=RecipientRole.PRODUCER,
        ),
    )


def council_members(input: LifecycleInput, level: str) -> tuple[Recipient, ...]:
    """The members of the level's council who gave an address."""
    return tuple(
        Recipient(email=m.email, name=m.name, role=RecipientRole.COUNCIL_MEMBER)
        for m in input.council(level).members
        if m.email is not None
    )


def administrators(input: LifecycleInput) -> tuple[Recipient, ...]:
    """The coordinating office, told when a step passes its deadline."""
    return tuple(
        Recipient(
            email=admin.email,
            name=admin.name,
            language=admin.language,
            role=RecipientRole.ADMINISTRATOR,
        )
        for admin in input.administrators
    )
