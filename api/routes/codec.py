"""The codec server: Temporal's Web UI and `temporal` CLI decode payloads here.

Payloads in history are encrypted (`infra/payload_codec.py`); the UI and the CLI send
them to `/codec/decode` (and `/codec/encode`, to send a signal or a query by hand) as
Temporal's `Payloads` in its JSON form, with the operator's bearer token. Only an
operator gets them decoded; anyone else is refused with an audit line, and every
decoding is logged (who, how many payloads, which namespace), never what they held.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from api.problems import ApiProblem
from api.services import CurrentActor, Svc, permit
from infra.payload_codec import PayloadKeyError
from models import actors as access

router = APIRouter(prefix="/codec", tags=["codec"])
log = logging.getLogger("ocop.codec")

MAX_CODEC_BYTES = 4 * 1024 * 1024
"""A codec request may carry an event's payloads whole (base64 makes them a third larger)."""

ENCRYPTED = "YmluYXJ5L2VuY3J5cHRlZA=="  # base64 of binary/encrypted

BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"payloads": {"type": "array", "items": {"type": "object"}}},
                    "example": {
                        "payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}}]
                    },
                }
            }
        },
    }
}


async def _payloads(request: Request) -> list[Payload]:
    try:
        parsed = json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as error:
        raise ApiProblem(
            422,
            "invalid-input",
            "Dữ liệu không hợp lệ — invalid input",
            f"the body is not Temporal Payloads in JSON ({str(error)[:200]})",
        ) from None
    return list(parsed.payloads)


def _answer(payloads: list[Payload]) -> JSONResponse:
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))


async def _coded(
    request: Request, actor: access.Actor, svc: Svc, action: str, namespace: str
) -> list[Payload]:
    await permit(svc, actor, access.payload_read_refusal(actor), action, namespace or "-")
    if svc.codec is None:
        raise ApiProblem(
            404,
            "no-codec",
            "Không mã hóa — not encrypted",
            "payloads are not encrypted on this stack (OCOP_PAYLOAD_ENCRYPTION=false)",
        )
    payloads = await _payloads(request)
    try:
        coded = await (svc.codec.decode if action == "codec.decode" else svc.codec.encode)(payloads)
    except PayloadKeyError as error:
        raise ApiProblem(
            422, "unknown-key", "Không giải mã được — cannot decode", str(error)
        ) from None
    log.info(
        "%s: %s (%s) %d payload(s), namespace %s",
        action,
        actor.subject,
        actor.role.value,
        len(payloads),
        namespace or "-",
    )
    return coded


Namespace = Annotated[str, Header(alias="X-Namespace", max_length=255)]


@router.post("/decode", summary="Decode payloads (operators)", openapi_extra=BODY)
async def decode(request: Request, actor: CurrentActor, svc: Svc, namespace: Namespace = "") -> Any:
    """Temporal's remote codec protocol: the payloads, decrypted."""
    return _answer(await _coded(request, actor, svc, "codec.decode", namespace))


@router.post("/encode", summary="Encode payloads (operators)", openapi_extra=BODY)
async def encode(request: Request, actor: CurrentActor, svc: Svc, namespace: Namespace = "") -> Any:
    """Temporal's remote codec protocol: the payloads, encrypted with the newest key."""
    return _answer(await _coded(request, actor, svc, "codec.encode", namespace))
