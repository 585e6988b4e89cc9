"""The commune's assessment under Decision 1489/QĐ-TTg (2025): four local-origin criteria.

Since districts ended, the commune checks the dossier and assesses how local the
product is: the origin of the product or of its raw material, the use of local labour,
the origin of the product's idea, and its local identity and knowledge. It issues its
evaluation report, which goes with the dossier to the provincial council. Each
criterion gets a finding (met or not) and a note; the report is a document of the
dossier's kind, referenced by content hash like every other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import MAX_FREE_TEXT_CHARS, Flag, SingleLine
from models.dossier import DocumentRef
from models.errors import Refusal
from models.text import free_text

Note = Annotated[str, Field(max_length=MAX_FREE_TEXT_CHARS // 4)]


class LocalCriterion(StrEnum):
    ORIGIN = "origin"  # nguồn gốc sản phẩm hoặc nguyên liệu
    LOCAL_LABOUR = "local_labour"  # sử dụng lao động địa phương
    IDEA_ORIGIN = "idea_origin"  # nguồn gốc ý tưởng sản phẩm
    LOCAL_IDENTITY = "local_identity"  # tính đặc trưng, bản sắc, tri thức địa phương


LOCAL_CRITERIA_VI: dict[LocalCriterion, str] = {
    LocalCriterion.ORIGIN: "Nguồn gốc sản phẩm hoặc nguyên liệu",
    LocalCriterion.LOCAL_LABOUR: "Sử dụng lao động địa phương",
    LocalCriterion.IDEA_ORIGIN: "Nguồn gốc ý tưởng sản phẩm",
    LocalCriterion.LOCAL_IDENTITY: "Tính đặc trưng, bản sắc và tri thức địa phương",
}
LOCAL_CRITERIA_EN: dict[LocalCriterion, str] = {
    LocalCriterion.ORIGIN: "Origin of the product or its raw material",
    LocalCriterion.LOCAL_LABOUR: "Use of local labour",
    LocalCriterion.IDEA_ORIGIN: "Origin of the product idea",
    LocalCriterion.LOCAL_IDENTITY: "Local identity and knowledge",
}


class LocalFinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    criterion: LocalCriterion
    met: Flag
    note: Note = ""

    @model_validator(mode="after")
    def _visible_note(self) -> LocalFinding:
        free_text(self.note)
        return self


class LocalAssessment(BaseModel):
    """The commune's finding on each of the four criteria, and its evaluation report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessed_by: SingleLine = Field(description="The commune's People's Committee")
    findings: tuple[LocalFinding, ...] = Field(min_length=4, max_length=4)
    report: DocumentRef | None = Field(
        default=None, description="The commune's evaluation report (biên bản đánh giá)"
    )

    @model_validator(mode="after")
    def _each_criterion_once(self) -> LocalAssessment:
        given = [finding.criterion for finding in self.findings]
        missing = [c.value for c in LocalCriterion if c not in given]
        if missing or len(set(given)) != len(given):
            raise ValueError(
                "the assessment gives one finding for each of origin, local_labour, "
                f"idea_origin and local_identity; missing: {', '.join(missing) or 'none'}, "
                f"repeated: {', '.join(sorted({c.value for c in given if given.count(c) > 1}))}"
            )
        return self

    @property
    def met_count(self) -> int:
        return sum(finding.met for finding in self.findings)


def local_assessment_refusal(
    assesses_local_origin: bool, accepting: bool, assessment: LocalAssessment | None
) -> Refusal | None:
    """A level that assesses local origin accepts a dossier only with its assessment;
    no other level gives one."""
    if assesses_local_origin and accepting and assessment is None:
        return Refusal(
            "LocalAssessmentMissing",
            "the commune accepts a dossier with its assessment of the four local-origin "
            "criteria (local_assessment: origin, local_labour, idea_origin, local_identity)",
        )
    if assessment is not None and not (assesses_local_origin and accepting):
        return Refusal(
            "NoLocalAssessmentHere",
            "a local_assessment comes only with the commune's acceptance under the 2025 rules",
        )
    return None
