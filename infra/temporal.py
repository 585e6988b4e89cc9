"""Connecting to Temporal the one way every process of ocop must.

With the pydantic converter (`contracts.wire.DATA_CONVERTER`), and with `RequestSizeGuard`:
a request too large for Temporal (`models.bounds.MAX_REQUEST_BYTES`) is refused here,
before it is sent, with `RequestTooLarge`. A larger Update would be refused by the
case too, but the worker's answer echoes the request, and an answer over Temporal's
limit cannot be uploaded: the case would stop answering (see `models.bounds`).
And with the connection's protection from settings (`infra.temporal_tls`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)
from temporalio.converter import DataConverter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from contracts.case import SEARCH_ATTRIBUTES
from contracts.wire import DATA_CONVERTER, EncodedFailureConverter
from infra.payload_codec import EncryptionCodec, PayloadKeyError, PayloadKeys
from infra.settings import ConfigurationError, Settings
from infra.temporal_tls import connection_security
from models.bounds import request_size_refusal

__all__ = [
    "DATA_CONVERTER",
    "RequestSizeGuard",
    "RequestTooLarge",
    "connect",
    "data_converter",
    "encrypted_converter",
]


def payload_keys(settings: Settings) -> PayloadKeys:
    """The payload key set the settings name: OCOP_PAYLOAD_KEYS, or the key file (made
    in the data folder on first start)."""
    try:
        if settings.payload_keys is not None:
            return PayloadKeys.from_json(
                settings.payload_keys.get_secret_value(), "OCOP_PAYLOAD_KEYS"
            )
        return PayloadKeys.load_or_create(settings.payload_keys_path)
    except PayloadKeyError as error:
        raise ConfigurationError(f"{error} (OCOP_PAYLOAD_KEYS_FILE, OCOP_PAYLOAD_KEYS)") from None


def encrypted_converter(keys: PayloadKeys) -> DataConverter:
    """The pydantic converter with every payload, and every failure's message and stack
    trace, encrypted under `keys` (`infra/payload_codec.py`)."""
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=EncodedFailureConverter,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every process of ocop: encrypted unless the settings say not."""
    if not settings.payload_encryption:
        return DATA_CONVERTER
    return encrypted_converter(payload_keys(settings))


class RequestTooLarge(ValueError):
    """A request refused before it was sent: its encoded size is over the cap."""


def check_request_size(args: Sequence[Any], what: str) -> None:
    """Raise `RequestTooLarge` when `args` encode to more than a request may hold."""
    if not args:
        return
    size = sum(p.ByteSize() for p in DATA_CONVERTER.payload_converter.to_payloads(args))
    refusal = request_size_refusal(size, what)
    if refusal is not None:
        raise RequestTooLarge(refusal)


class _SizeCheckingOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        check_request_size(input.args, f"the input of {input.id}")
        return await super().start_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        check_request_size(input.args, f"the {input.update} request")
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        start = input.start_workflow_input
        check_request_size(start.args, f"the input of {start.id}")
        update = input.update_workflow_input
        check_request_size(update.args, f"the {update.update} request")
        return await super().start_update_with_start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        check_request_size(input.args, f"the {input.signal} signal")
        await super().signal_workflow(input)


class RequestSizeGuard(Interceptor):
    """Refuses, before sending, a start, Update or signal too large for Temporal."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _SizeCheckingOutbound(next)


def quiet_core_runtime(level: str = "ERROR") -> None:
    """Let the SDK's Rust core write only `level` and worse to stderr.

    Its default (WARN) prints lines with escape codes of their own into commands'
    output, e.g. each time a poll is cut short. Call before the first client connects;
    later it changes nothing for runtimes already made.
    """
    telemetry = TelemetryConfig(
        logging=LoggingConfig(filter=TelemetryFilter(core_level=level, other_level=level))
    )
    Runtime.set_default(Runtime(telemetry=telemetry), error_if_already_set=False)


async def connect(settings: Settings) -> Client:
    """The client every process uses, with the TLS / mTLS / API key the settings name.

    Raises `ConfigurationError` (before any network use) when those settings are wrong.
    """
    security = connection_security(settings)
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=security.api_key,
        tls=security.tls,
        data_converter=data_converter(settings),
        interceptors=[RequestSizeGuard()],
    )


def with_ocop_converter(client: Client, converter: DataConverter | None = None) -> Client:
    """The same connection checking sizes, speaking `converter` (default: its own) — for
    test environments."""
    config = client.config()
    if converter is not None:
        config["data_converter"] = converter
    if not any(isinstance(i, RequestSizeGuard) for i in config["interceptors"]):
        config["interceptors"] = [*config["interceptors"], RequestSizeGuard()]
    return Client(**config)


async def add_search_attributes_blindly(client: Client) -> None:
    """Register the search attributes on a server that cannot list them (the test server)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
                for key in SEARCH_ATTRIBUTES
            },
        )
    )
