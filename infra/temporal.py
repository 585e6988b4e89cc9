"""Connecting to Temporal the one way every process of ocop must: with the pydantic converter."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from contracts.case import SEARCH_ATTRIBUTES
from infra.settings import Settings

DATA_CONVERTER = pydantic_data_converter


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
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )


def with_ocop_converter(client: Client) -> Client:
    """The same connection, speaking pydantic (for clients made by test environments)."""
    config = client.config()
    config["data_converter"] = DATA_CONVERTER
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
