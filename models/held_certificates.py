"""Certificates a province issued before ocop-flow kept its cases: the lines of the national
register (18,243 live certificates in December 2025) that a case starts holding.

A loaded case starts certified: it reminds before expiry, lapses at expiry, takes an
application for re-evaluation or upgrade, and can be revoked, as a case recognised here
would. `held_certificate_refusal` says why a line cannot be loaded; `register_line`
reads one line of the register file into the dossier and the certificate, naming the
column a bad value came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from models.applicants import ApplicantKind
from models.bounds import Identifier, SingleLine
from models.dossier import Applicant, DocumentNumber, Dossier
from models.errors import Refusal
from models.rulebook import Rulebook
from models.stars import Stars, is_certifiable
from models.validity import add_months

if TYPE_CHECKING:  # models.case holds a HeldCertificate in its input: imported when used
    from models.case import Certificate, DecisionRecord

REGISTER_COLUMNS: Final = (
    "product_code",
    "product_name",
    "locality",
    "group",
    "product_set",
    "applicant_name",
    "applicant_kind",
    "applicant_email",
    "applicant_phone",
    "stars",
    "level",
    "issuing_authority",
    "decision_number",
    "decided_on",
    "certificate_number",
    "valid_from",
    "valid_until",
)
"""The register file's columns, in this order (a header line names them)."""


class HeldCertificate(BaseModel):
    """A certificate in force when its case is loaded, with the decision that issued it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: DocumentNumber
    stars: Stars
    level: Identifier
    authority: SingleLine
    decision_number: DocumentNumber
    decided_on: date
    valid_from: date
    valid_until: date

    def certificate(self) -> Certificate:
        from models.case import Certificate

        return Certificate(
            number=self.number,
            stars=self.stars,
            level=self.level,
            authority=self.authority,
            decision_number=self.decision_number,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
        )

    def decision(self) -> DecisionRecord:
        from models.case import DecisionKind, DecisionRecord

        return DecisionRecord(
            kind=DecisionKind.RECOGNITION,
            level=self.level,
            authority=self.authority,
            number=self.decision_number,
            decided_on=self.decided_on,
            summary=f"{int(self.stars)}★ (issued before ocop-flow; loaded from the register)",
        )


def held_certificate_refusal(
    held: HeldCertificate, rules: Rulebook, today: date | None
) -> Refusal | None:
    """Why this certificate cannot be loaded under these rules today, or None; without a
    day (a case's input, checked wherever it comes from), whether it could be on some day."""
    kind = "CertificateNotLoadable"
    if not is_certifiable(held.stars):
        return Refusal(kind, f"stars: a certificate is for 3, 4 or 5 stars, not {int(held.stars)}")
    levels = {level.name: level for level in rules.levels}
    level = levels.get(held.level)
    if level is None or not level.recognises:
        accepted = ", ".join(name for name, rule in levels.items() if rule.recognises)
        return Refusal(kind, f"level: {held.level!r} issues no certificate; accepted: {accepted}")
    if held.stars not in level.recognises:
        return Refusal(kind, f"stars: the {held.level} level does not recognise {int(held.stars)}★")
    if held.valid_from < held.decided_on:
        return Refusal(
            kind, "valid_from: a certificate is valid from its decision's day, not before"
        )
    longest = add_months(held.valid_from, rules.validity_months)
    if not held.valid_from < held.valid_until <= longest:
        return Refusal(
            kind,
            f"valid_until: must fall after valid_from and by {longest.isoformat()} "
            f"({rules.validity_months} months under {rules.id})",
        )
    if today is not None and held.valid_until < today:
        return Refusal(
            kind,
            f"valid_until: certificate {held.number} ran out on {held.valid_until.isoformat()}; "
            "only certificates still in force are loaded",
        )
    return None


class RegisterLineError(ValueError):
    """A line of the register file that cannot be read: which column, and what is accepted."""


def register_line(fields: Mapping[str, str], province: str) -> tuple[Dossier, HeldCertificate]:
    """One line of the register file: the product's dossier and its certificate."""
    value = {name: (fields.get(name) or "").strip() for name in REGISTER_COLUMNS}
    try:
        applicant = Applicant(
            name=value["applicant_name"],
            kind=ApplicantKind(value["applicant_kind"]),
            email=value["applicant_email"],
            phone=value["applicant_phone"] or None,
        )
        dossier = Dossier(
            province=province,
            locality=value["locality"],
            product_code=value["product_code"],
            product_name=value["product_name"],
            applicant=applicant,
            group=value["group"],
            product_set=value["product_set"],
        )
        held = HeldCertificate(
            number=value["certificate_number"],
            stars=value["stars"],
            level=value["level"],
            authority=value["issuing_authority"],
            decision_number=value["decision_number"],
            decided_on=value["decided_on"],  # pydantic reads ISO dates
            valid_from=value["valid_from"],
            valid_until=value["valid_until"],
        )
    except ValidationError as invalid:
        raise RegisterLineError(_first_problem(invalid)) from None
    except ValueError:
        kinds = ", ".join(kind.value for kind in ApplicantKind)
        raise RegisterLineError(
            f"applicant_kind: {value['applicant_kind']!r} is not one of {kinds}"
        ) from None
    return dossier, held


_DATE_COLUMNS: Final = frozenset({"decided_on", "valid_from", "valid_until"})
_COLUMN_OF: Final = {
    "name": "applicant_name",
    "email": "applicant_email",
    "phone": "applicant_phone",
    "number": "certificate_number",
    "authority": "issuing_authority",
}


def _first_problem(invalid: ValidationError) -> str:
    error = invalid.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a rule across columns: its message names them
        return message
    field = str(error["loc"][-1])
    column = _COLUMN_OF.get(field, field)
    accepted = " (accepted: YYYY-MM-DD)" if column in _DATE_COLUMNS else ""
    return f"{column}: {message}{accepted}"
