"""Where hostile input goes, how it is sent, and what a healthy workflow looks like after.

Input is sent through a client with Temporal's default converter: an outside client
does not run ocop's own checks before sending, so the workflow's defences are what is
tested. Bases are valid payloads for each Update; each lists a required field first.
Each goes with a signed assertion of its actor (`benchmarks/hostile/signers.py`), as
the API would send it, so the case's own rules and its input checks are what answer.

The one exception is input over `RAW_LIMIT_BYTES`. Temporal's SDK copies an Update's
request into its acceptance or rejection, so a request over the server's 2 MB payload
limit fails the workflow task whatever the workflow answers: no workflow code can
refuse it. Such input goes through ocop's own client, which must refuse it before
sending; keeping raw clients off the frontend is the deployment's part.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from benchmarks.hostile.payloads import HostileInput
from benchmarks.hostile.signers import Signer
from contracts import case, cycle
from contracts.refs import UpdateRef
from infra.refusals import explain_refusal
from infra.temporal import RequestTooLarge, with_ocop_converter
from models.catalogue import DocumentKind
from models.council import Council
from models.dossier import Dossier

REFUSAL_MAX_CHARACTERS = 600
"""A refusal a person reads in one go; longer means input was echoed back."""

UNCLEAR = "Failed decoding arguments"

RAW_LIMIT_BYTES = 1_900_000
"""Larger input is sent through ocop's client (see the module's docstring)."""


class Answer(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    REFUSED_BY_SERVER = "refused by the server"
    REFUSED_BY_CLIENT = "refused by ocop's client"
    NO_ANSWER = "no answer"


@dataclass(frozen=True, repr=False)
class Outcome:
    hostile: HostileInput
    answer: Answer
    message: str
    shape_valid: bool
    """Whether the payload passes the Update's own model (then a domain refusal is fine)."""
    refusal_type: str | None = None
    """The refusal's type (`ActorUnverified`: the probe's signature, not the input, was refused)."""

    def __repr__(self) -> str:
        return f"Outcome({self.hostile.describe()}: {self.answer.value}: {self.message[:200]!r})"

    def unclear(self) -> str | None:
        """Why this refusal would not help a person, or None when it would."""
        if self.answer not in (Answer.REFUSED, Answer.REFUSED_BY_CLIENT):
            return None
        if UNCLEAR in self.message:
            return f"says only {UNCLEAR!r}"
        if len(self.message) > REFUSAL_MAX_CHARACTERS:
            return f"is {len(self.message)} characters long"
        named = self.hostile.field
        # ocop's client refuses by size alone, before it looks at any field.
        by_workflow = self.answer is Answer.REFUSED and not self.shape_valid
        if by_workflow and named and named not in self.message:
            return f"does not name {named!r}"
        return None


def outside_client(client: Client) -> Client:
    """The same connection with Temporal's default converter: no ocop checks on the way out.

    It keeps the stack's codec, so the refusals it reads back are decrypted."""
    config = client.config()
    stack = config["data_converter"]
    config["data_converter"] = dataclasses.replace(
        DataConverter.default,
        payload_codec=stack.payload_codec,
        failure_converter_class=stack.failure_converter_class,
    )
    config["interceptors"] = []
    return Client(**config)


def encoded_size(payload: Any) -> int:
    return len(json.dumps(payload).encode())


@dataclass(frozen=True)
class Target:
    """One workflow, reached by an outside client and by ocop's own, and who signs for it."""

    outside: WorkflowHandle[Any, Any]
    official: WorkflowHandle[Any, Any]
    signer: Signer

    @classmethod
    def of(cls, client: Client, workflow_id: str, signer: Signer) -> Target:
        return cls(
            outside_client(client).get_workflow_handle(workflow_id),
            with_ocop_converter(client).get_workflow_handle(workflow_id),
            signer,
        )


def case_bases(dossier: Dossier, council: Council) -> dict[UpdateRef[Any, Any], dict[str, Any]]:
    """A valid payload for each of a case's Updates (whether the stage allows it or not)."""
    member = council.members[0]
    document = {
        "file_name": "phieu-kiem-nghiem.pdf",
        "kind": DocumentKind.TEST_RESULTS.value,
        "sha256": hashlib.sha256(b"phieu-kiem-nghiem").hexdigest(),
        "size_bytes": 48_213,
    }
    return {
        case.REVIEW: {
            "action": "request_supplement",
            "reviewer": "Phòng Nông nghiệp huyện Bình Liêu",
            "reason": "Thiếu phiếu kiểm nghiệm",
            "documents_requested": [DocumentKind.TEST_RESULTS.value],
        },
        case.SUPPLY_SUPPLEMENT: {"submitted_by": "HTX Hợp Tiến", "documents": [document]},
        case.SUBMIT_SCORECARD: {
            "scorecard": {
                "member_id": member.member_id,
                "level": council.level,
                "part_a": 20,
                "part_b": 20,
                "part_c": 25,
                "mandatory_criteria_met": True,
                "comment": "Đạt",
            }
        },
        case.CLOSE_SESSION: {"level": council.level, "closed_by": council.chair_id},
        case.RECOGNISE: {
            "level": council.level,
            "authority": "UBND huyện Bình Liêu",
            "decision_number": "125/QĐ-UBND",
            "decided_on": date(2024, 10, 15).isoformat(),
            "certificate_number": "BL-2024-001",
        },
        case.REVOKE: {
            "authority": "UBND huyện Bình Liêu",
            "decision_number": "17/QĐ-UBND",
            "decided_on": date(2025, 3, 1).isoformat(),
            "grounds": "food_safety",
            "details": "Vi phạm an toàn thực phẩm",
        },
        case.APPLY: {
            "dossier": dossier.model_dump(mode="json")
            | {"registration_kind": "upgrade", "current_stars": 3},
            "cycle_year": 2025,
        },
    }


def shape_valid(model: type[BaseModel], payload: Any) -> bool:
    try:
        model.model_validate_json(json.dumps(payload))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


async def send(
    target: Target, ref: UpdateRef[Any, Any], hostile: HostileInput, within: float
) -> Outcome:
    """Send one hostile Update and read the answer, waiting at most `within` seconds."""
    valid = shape_valid(ref.argument, hostile.payload)
    raw = encoded_size(hostile.payload) <= RAW_LIMIT_BYTES
    handle = target.outside if raw else target.official
    signed = target.signer.sign(ref, handle.id, hostile.payload).model_dump()
    try:
        async with asyncio.timeout(within):
            await handle.execute_update(ref.name, args=[hostile.payload, signed])
    except RequestTooLarge as error:
        return Outcome(hostile, Answer.REFUSED_BY_CLIENT, str(error), valid)
    except WorkflowUpdateFailedError as error:
        kind = error.cause.type if isinstance(error.cause, ApplicationError) else None
        return Outcome(hostile, Answer.REFUSED, explain_refusal(error), valid, kind)
    except RPCError as error:
        return Outcome(hostile, Answer.REFUSED_BY_SERVER, str(error)[:300], valid)
    except TimeoutError:
        return Outcome(hostile, Answer.NO_ANSWER, f"no answer within {within} s", valid)
    return Outcome(hostile, Answer.ACCEPTED, "", valid)


async def answers_queries(
    handle: WorkflowHandle[Any, Any], *, is_cycle: bool, within: float
) -> bool:
    """Whether the workflow still answers its query (a frozen one cannot)."""
    ref = cycle.REPORT if is_cycle else case.STATUS
    try:
        async with asyncio.timeout(within):
            await handle.query(ref.name)
    except Exception:  # any failure to answer (RPC error, timeout) is the same verdict
        return False
    return True


async def workflow_task_failures(handle: WorkflowHandle[Any, Any]) -> int:
    """Failed or timed-out workflow tasks in the workflow's history (all runs of this id)."""
    failed = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    }
    count = 0
    async for event in handle.fetch_history_events():
        if event.event_type in failed:
            count += 1
    return count
