"""The codec server: operators read a case's history decoded — through the API, the
`temporal` CLI or the Web UI — and nobody else does, with or without a token."""

from __future__ import annotations

import asyncio
import base64
import json
import os

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from infra.binaries import temporal_cli
from infra.payload_codec import ENCODING
from tests.factories import PRODUCER_EMAIL
from tests.fixtures.api import PASSWORD, ApiWorld
from tests.plaintext import readable_without_key
from tests.test_api_case import opened

pytestmark = pytest.mark.devserver


async def started_payloads(client: Client, workflow_id: str) -> Payloads:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return history.events[0].workflow_execution_started_event_attributes.input


async def test_only_an_operator_gets_payloads_decoded(api_world: ApiWorld) -> None:
    world = api_world
    workflow_id, case = await opened(world)
    stored = await started_payloads(world.client, workflow_id)
    assert all(p.metadata["encoding"] == ENCODING for p in stored.payloads)
    body = json_format.MessageToJson(stored)
    headers = {"Content-Type": "application/json", "X-Namespace": world.client.namespace}

    decoded = await world.call("POST", "/codec/decode", "operator", content=body, headers=headers)
    assert decoded.status_code == 200, decoded.text
    [plain] = json_format.ParseDict(decoded.json(), Payloads()).payloads
    assert plain.metadata["encoding"] == b"json/plain"
    assert PRODUCER_EMAIL in json.loads(plain.data)["dossier"]["applicant"]["email"]

    # A producer (even the case's own), a reviewer, no token: never the plain payloads.
    for who, status in (("producer", 403), ("reviewer-bl", 403), (None, 401)):
        refused = await world.call("POST", "/codec/decode", who, content=body, headers=headers)
        assert refused.status_code == status, refused.text
        assert PRODUCER_EMAIL not in refused.text
    assert (
        "may not decode Temporal payloads"
        in (
            await world.call("POST", "/codec/decode", "producer", content=body, headers=headers)
        ).json()["detail"]
    )

    # Encoding for a hand-sent signal: ciphertext that decodes back to what was sent.
    again = await world.call(
        "POST", "/codec/encode", "operator", content=json.dumps(decoded.json()), headers=headers
    )
    [sealed] = json_format.ParseDict(again.json(), Payloads()).payloads
    assert sealed.metadata["encoding"] == ENCODING and PRODUCER_EMAIL.encode() not in sealed.data
    assert case.dossier.product_code  # the case this was about


async def test_the_web_ui_origin_may_call_the_codec_from_the_browser(api_world: ApiWorld) -> None:
    preflight = await api_world.http.options(
        "/codec/decode",
        headers={
            "Origin": api_world.settings.ui_origins[0],
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == api_world.settings.ui_origins[0]
    elsewhere = await api_world.http.options(
        "/codec/decode",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in elsewhere.headers


async def temporal_show(world: ApiWorld, workflow_id: str, *codec: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(temporal_cli()),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--output",
        "json",
        "--address",
        world.client.service_client.config.target_host,
        "--namespace",
        world.client.namespace,
        *codec,
        env={**os.environ, "TEMPORAL_CODEC_ENDPOINT": "", "TEMPORAL_CODEC_AUTH": ""},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return out.decode() + err.decode()


async def test_the_temporal_cli_shows_a_history_decoded_with_an_operators_token(
    api_world: ApiWorld,
) -> None:
    world = api_world
    workflow_id, _ = await opened(world)
    endpoint = ("--codec-endpoint", f"{world.base_url}/codec")

    bare = await temporal_show(world, workflow_id)
    assert PRODUCER_EMAIL not in readable_without_key(bare)

    operator = f"Bearer {await world.token('operator')}"
    shown = await temporal_show(world, workflow_id, *endpoint, "--codec-auth", operator)
    # The history as the CLI prints it, each payload decoded by the codec server.
    [started] = json.loads(shown)["events"][0]["workflowExecutionStartedEventAttributes"]["input"][
        "payloads"
    ]
    assert base64.b64decode(started["metadata"]["encoding"]) == b"json/plain"
    assert PRODUCER_EMAIL in base64.b64decode(started["data"]).decode()

    producer = f"Bearer {await world.token('producer')}"
    denied = await temporal_show(world, workflow_id, *endpoint, "--codec-auth", producer)
    # The codec server refuses (403); the CLI gives up rather than show anything decoded.
    assert denied.startswith("Error:") and PRODUCER_EMAIL not in denied


async def test_an_operator_signed_in_at_the_codec_decodes_by_cookie_and_others_cannot(
    api_world: ApiWorld,
) -> None:
    """The embedded Web UI sends no bearer token: the operator signs in at /codec/sign-in
    and the UI's requests carry the cookie."""
    world = api_world
    workflow_id, _ = await opened(world)
    body = json_format.MessageToJson(await started_payloads(world.client, workflow_id))
    json_body = {"Content-Type": "application/json"}
    page = await world.http.get("/codec/sign-in")
    assert page.status_code == 200 and 'action="/codec/sign-in"' in page.text

    async with httpx.AsyncClient(base_url=world.base_url, timeout=60.0) as browser:
        refused = await browser.post(
            "/codec/sign-in", data={"username": "producer", "password": PASSWORD}
        )
        assert refused.status_code == 403 and "ocop_codec" not in browser.cookies
        wrong = await browser.post(
            "/codec/sign-in", data={"username": "operator", "password": "sai"}
        )
        assert wrong.status_code == 401
        assert (
            await browser.post("/codec/decode", content=body, headers=json_body)
        ).status_code == 401

        signed = await browser.post(
            "/codec/sign-in", data={"username": "operator", "password": PASSWORD}
        )
        assert signed.status_code == 200 and "Vận hành hệ thống" in signed.text
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Path=/codec" in cookie and "SameSite=lax" in cookie
        decoded = await browser.post("/codec/decode", content=body, headers=json_body)
        assert decoded.status_code == 200, decoded.text
        [plain] = json_format.ParseDict(decoded.json(), Payloads()).payloads
        assert PRODUCER_EMAIL in plain.data.decode()
        # The cookie is the codec's only: the rest of the API still wants a bearer token.
        assert (await browser.get("/api/v1/me")).status_code == 401
