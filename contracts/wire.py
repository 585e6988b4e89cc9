"""How every process of ocop encodes what it sends: pydantic JSON, and short refusals.

`DATA_CONVERTER` is temporalio's pydantic converter with one change, in how failures
are *worded*, never in how payloads are encoded (recorded histories replay as they
were written):

- An Update whose argument does not fit its model is refused by the SDK as
  `RuntimeError("Failed decoding arguments")`, pydantic's account one cause further
  down, each link with its stack trace. `ReadableFailureConverter` sends instead one
  `ApplicationError` of type `InvalidInput` whose message names each field, what was
  wrong and what is accepted (`models.refusal_wording.describe_invalid_request`), with
  at most an excerpt of the input.
- Any other failure message longer than `MAX_FAILURE_MESSAGE_CHARS` is cut, so no
  failure a workflow uploads can grow with what a caller sent.

The converter runs in the worker (workflow rejections, activity failures) and in every
client (reading them back); `infra.temporal` connects with it.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from pydantic import ValidationError
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError, FailureError

from models.refusal_wording import INVALID_INPUT, bounded, describe_invalid_request

MAX_FAILURE_MESSAGE_CHARS: Final = 2000
"""The longest failure message a workflow or activity uploads."""


def readable_failure(exception: BaseException) -> BaseException:
    """The exception a failure is made of: a refused argument worded for its sender."""
    invalid = exception if isinstance(exception, ValidationError) else exception.__cause__
    if isinstance(invalid, ValidationError) and (
        invalid is exception or isinstance(exception, RuntimeError)
    ):
        return ApplicationError(
            describe_invalid_request(invalid), type=INVALID_INPUT, non_retryable=True
        )
    if isinstance(exception, ApplicationError):
        if len(exception.message) <= MAX_FAILURE_MESSAGE_CHARS:
            return exception
        shorter = ApplicationError(
            bounded(exception.message, MAX_FAILURE_MESSAGE_CHARS),
            type=exception.type,
            non_retryable=exception.non_retryable,
            next_retry_delay=exception.next_retry_delay,
            category=exception.category,
        )
    elif isinstance(exception, FailureError) or len(str(exception)) <= MAX_FAILURE_MESSAGE_CHARS:
        return exception
    else:
        shorter = ApplicationError(
            bounded(str(exception), MAX_FAILURE_MESSAGE_CHARS), type=type(exception).__name__
        )
    shorter.__cause__ = exception.__cause__
    shorter.__traceback__ = exception.__traceback__
    return shorter


class ReadableFailureConverter(DefaultFailureConverter):
    """temporalio's failure converter, wording refused arguments (module docstring)."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        super().to_failure(readable_failure(exception), payload_converter, failure)


class EncodedFailureConverter(ReadableFailureConverter):
    """The same wording, with each failure's message and stack trace moved into an
    encoded attribute: with the payload codec they are encrypted like any payload."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


DATA_CONVERTER: Final = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=ReadableFailureConverter
)
"""The converter without encryption: payloads as pydantic JSON (what recorded histories
hold). Processes connect with `infra.temporal.data_converter`, which adds the codec."""
