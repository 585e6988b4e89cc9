"""Who signs each hostile Update: the person whose action it would be.

Every human Update carries a signed assertion of its actor (`models/assertions.py`).
A hostile payload that passes its own model is signed by the actor that Update needs,
scoped to the case it goes to (as the API would sign it), so what refuses it is the
case's own rules, not a missing signature. A payload its model refuses goes with a
well-formed signature too: with a second argument the workflow decodes the first by its
type, so the refusal is the input's, naming its field, before any signature is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from benchmarks import people
from contracts import case, cycle
from contracts.refs import UpdateRef
from infra.action_keys import ActionKeys
from models.actors import Actor, CaseAccess, Role, Scope
from models.assertions import SignedAction
from models.case import (
    CloseSessionRequest,
    RecognitionDecision,
    RevocationDecision,
    ScorecardSubmission,
)
from models.dossier import Dossier


def _case_actor(ref: UpdateRef[Any, Any], request: BaseModel, access: CaseAccess) -> Actor:
    """The actor `ref` needs on the case `access` describes, for this request."""
    facts = access.facts
    province = facts.province
    if ref is case.REVIEW:
        return people.reviewer(province, facts.locality)
    if ref in (case.SUPPLY_SUPPLEMENT, case.APPLY):
        scope = Scope(province=province, applicant=facts.applicant)
        return people.person(Role.PRODUCER, scope, facts.applicant)
    if isinstance(request, ScorecardSubmission):
        card = request.scorecard
        return people.member(province, card.level, card.member_id)
    if isinstance(request, CloseSessionRequest):
        return people.secretary(province, request.level)
    if isinstance(request, RecognitionDecision):
        return people.authority(province, request.level, request.authority)
    if isinstance(request, RevocationDecision):
        level = access.certificate_level or facts.level or ""
        return people.authority(province, level, request.authority)
    raise ValueError(f"no actor for {ref.name}")


@dataclass(frozen=True)
class Signer:
    """Signs for one workflow: a case (`access` its facts) or a cycle (`access` None)."""

    keys: ActionKeys
    access: CaseAccess | None = None

    def actor(self, ref: UpdateRef[Any, Any], request: BaseModel) -> Actor:
        if ref is cycle.SUBMIT and isinstance(request, Dossier):
            return people.producer(request)
        if self.access is None:
            raise ValueError(f"no actor for {ref.name} on a cycle")
        return _case_actor(ref, request, self.access)

    def sign(self, ref: UpdateRef[Any, Any], workflow_id: str, payload: Any) -> SignedAction:
        """The signed assertion to send beside `payload` (its JSON form)."""
        try:
            request = ref.argument.model_validate_json(json.dumps(payload))
            actor = self.actor(ref, request)
        except (ValidationError, TypeError, ValueError):
            # Refused as input before any validator reads a signature: any will do.
            anyone = people.person(Role.OPERATOR, Scope(province="probe"), "anyone")
            return self.keys.sign(anyone, action=ref.name, workflow_id=workflow_id, payload=anyone)
        return self.keys.sign(actor, action=ref.name, workflow_id=workflow_id, payload=request)
