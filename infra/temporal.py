"""Connecting to Temporal the one way every process of ocop must: with the pydantic converter."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.settings import Settings
from workflows.search_attributes import ALL_KEYS

DATA_CONVERTER = pydantic_data_converter


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
                for key in ALL_KEYS
            },
        )
    )
