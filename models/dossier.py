"""The producer's dossier: registration form, applicant, and typed document references."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from models.applicants import ApplicantKind, RegistrationKind
from models.bounds import MAX_DOCUMENTS, Count, SingleLine
from models.catalogue import DocumentKind, check_product_set, product_group, required_documents
from models.errors import Refusal
from models.scorecard import MAX_CRITERIA, CriterionCode, part_sums
from models.stars import Stars

__all__ = ["Code", "DocumentNumber", "DocumentRef", "Dossier", "Language", "SingleLine"]

# Names end up in email headers and subjects: `SingleLine` (models.bounds) refuses line
# breaks and invisible characters (models.text).
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
# Decision and certificate numbers as offices write them, e.g. "125/QĐ-UBND".
DocumentNumber = Annotated[str, Field(pattern=r"^\w[\w./ -]{0,63}$")]


MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
"""The largest document a dossier may reference: 200 MB."""


def document_size_refusal(name: str, size_bytes: int) -> Refusal | None:
    """Why a document of this size cannot be handed in (`name` says which), or None."""
    if size_bytes <= 0:
        return Refusal("EmptyDocument", f"{name} is empty: hand in the document itself")
    if size_bytes > MAX_DOCUMENT_BYTES:
        return Refusal(
            "DocumentTooLarge",
            f"{name} has {size_bytes} bytes; a document may have at most "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
        )
    return None


class Language(StrEnum):
    VI = "vi"
    EN = "en"


class Applicant(BaseModel):
    """The producer (chủ thể) who owns the product and receives every status email."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: SingleLine
    kind: ApplicantKind
    email: EmailStr
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 .-]{8,20}$")] | None = None
    preferred_language: Language = Language.VI


class DocumentRef(BaseModel):
    """A named, typed reference to a file kept elsewhere; the hash pins its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_name: SingleLine
    kind: DocumentKind
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size_bytes: Count = Field(gt=0, le=MAX_DOCUMENT_BYTES)


class Dossier(BaseModel):
    """What a producer submits for one product and one round of evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    province: Code = Field(description="Province code, e.g. quang-ninh")
    locality: Code = Field(description="District (2023 rules) or commune (2025 rules) code")
    product_code: Code = Field(description="The producer's or province's code for the product")
    product_name: SingleLine
    applicant: Applicant
    group: Code = Field(description="Product group code, e.g. food")
    product_set: Code = Field(description="Product set code within the group, e.g. processed_food")
    registration_kind: RegistrationKind = RegistrationKind.FIRST
    self_assessed_score: Count | None = Field(default=None, ge=0, le=100)
    self_assessment: dict[CriterionCode, Annotated[Count, Field(ge=0, le=40)]] = Field(
        default_factory=dict,
        max_length=MAX_CRITERIA,
        description="The producer's own points per criterion, on the council's table",
    )
    current_stars: Stars | None = Field(
        default=None, description="For upgrade or re-evaluation: the stars held now"
    )
    documents: tuple[DocumentRef, ...] = Field(default=(), max_length=MAX_DOCUMENTS)

    @model_validator(mode="after")
    def _known_group_and_set(self) -> Dossier:
        product_group(self.group)
        check_product_set(self.group, self.product_set)
        if self.self_assessment and self.self_assessed_score is not None:
            total = sum(part_sums(self.self_assessment).values())
            if total != self.self_assessed_score:
                raise ValueError(
                    f"self_assessed_score is {self.self_assessed_score} but the "
                    f"self_assessment's criteria add up to {total}"
                )
        if self.registration_kind != RegistrationKind.FIRST and self.current_stars is None:
            raise ValueError(
                f"an {self.registration_kind.value} registration must state the current stars "
                "(current_stars: 3, 4 or 5)"
            )
        return self


def missing_documents(dossier: Dossier) -> list[DocumentKind]:
    """Required documents of the dossier's group and registration kind that it lacks."""
    present = {document.kind for document in dossier.documents}
    needed = required_documents(dossier.group, dossier.registration_kind)
    return sorted(needed - present)


def with_documents(dossier: Dossier, added: tuple[DocumentRef, ...]) -> Dossier:
    """The dossier after a supplement: new references replace older ones of the same file."""
    names = {document.file_name for document in added}
    kept = tuple(d for d in dossier.documents if d.file_name not in names)
    return dossier.model_copy(update={"documents": kept + added})
