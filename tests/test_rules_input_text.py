"""What text a person may send (`models.text`), and how a refusal is worded
(`models.refusal_wording`): named field, what was wrong, what is accepted, an excerpt."""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from contracts.wire import readable_failure
from infra.refusals import explain_refusal
from models.case import ReviewDecision
from models.council import Council, CouncilMember, CouncilRole
from models.dossier import Applicant
from models.errors import DomainError
from models.refusal_wording import (
    INVALID_INPUT,
    MAX_REFUSAL_CHARS,
    describe_invalid_request,
    describe_validation_error,
    excerpt,
)
from models.scorecard import Scorecard
from models.text import free_text, single_line, text_refusal

INVISIBLE = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202a",
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",
    "\u061c",  # ARABIC LETTER MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",
    "\u200d",  # ZERO WIDTH JOINER
    "\u2060",  # WORD JOINER
    "\ufeff",  # BOM
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",  # NEXT LINE, a C1 control
    "\t",
    "\u2028",
    "\u2029",
]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_names_and_free_text_refuse_invisible_characters(character: str) -> None:
    name = f"HTX Hợp{character} Tiến"
    refusal = text_refusal(name)
    assert refusal is not None and f"U+{ord(character):04X}" in refusal
    assert "position 8" in refusal
    with pytest.raises(ValueError, match=f"U\\+{ord(character):04X}"):
        single_line(name)
    with pytest.raises(ValueError, match=f"U\\+{ord(character):04X}"):
        free_text(name)


def test_free_text_keeps_its_line_breaks_and_reads_windows_line_ends_as_them() -> None:
    assert free_text("Thiếu hồ sơ.\r\nBổ sung trong 15 ngày.") == (
        "Thiếu hồ sơ.\nBổ sung trong 15 ngày."
    )
    with pytest.raises(ValueError, match="line break"):
        single_line("Mật ong\nBcc: everyone@example.com")
    with pytest.raises(ValueError, match="U\\+000D"):
        free_text("lone\rreturn")


def test_vietnamese_letters_pass_in_either_form_and_are_kept_composed() -> None:
    composed = "Mật ong rừng Bình Liêu"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert single_line(decomposed) == composed
    assert free_text(decomposed) == composed
    assert Applicant(name=decomposed, kind="cooperative", email="a@example.vn").name == composed


def test_excerpt_repeats_forty_characters_at_most() -> None:
    assert excerpt("ngắn") == "ngắn"
    long = "x" * 100_000
    assert excerpt(long) == "x" * 40 + "…"


def test_a_refusal_names_the_field_says_what_is_accepted_and_repeats_only_an_excerpt() -> None:
    with pytest.raises(ValidationError) as caught:
        ReviewDecision.model_validate(
            {"action": "accept" * 500_000, "reviewer": "Phòng Nông nghiệp", "reason": 12}
        )
    line = describe_validation_error(caught.value)
    assert line.startswith("action:")
    assert "accept', 'request_supplement' or 'reject'" in line
    assert "reason:" in line
    assert len(line) < 500


@pytest.mark.parametrize("points", [True, "12", 12.0, None])
def test_points_are_whole_numbers_only(points: object) -> None:
    card = {"member_id": "district-m1", "level": "district", "part_a": 20, "part_b": 15}
    with pytest.raises(ValidationError) as caught:
        Scorecard.model_validate({**card, "part_c": points, "mandatory_criteria_met": True})
    line = describe_invalid_request(caught.value)
    assert "part_c" in line and "Scorecard" in line
    assert (
        Scorecard.model_validate_json(
            '{"member_id": "district-m1", "level": "district", "part_a": 20, "part_b": 15,'
            ' "part_c": 12, "mandatory_criteria_met": true}'
        ).part_c
        == 12
    )


def test_a_member_id_that_is_not_on_the_council_is_echoed_only_as_an_excerpt() -> None:
    council = Council(
        level="district",
        members=(CouncilMember(member_id="chair", name="Chủ tịch", role=CouncilRole.CHAIR),),
    )
    with pytest.raises(DomainError) as caught:
        council.member("m" * 64)
    assert str(caught.value) == (
        f"'{'m' * 40}…' is not a member of the district council; members: chair"
    )


def test_the_converter_words_an_argument_it_could_not_decode() -> None:
    """The SDK's "Failed decoding arguments" becomes one InvalidInput line."""
    try:
        Scorecard.model_validate({"member_id": "x" * 100_000, "part_a": True})
    except ValidationError as invalid:
        try:
            raise RuntimeError("Failed decoding arguments") from invalid
        except RuntimeError as wrapped:
            failure = readable_failure(wrapped)
    assert isinstance(failure, ApplicationError) and failure.type == INVALID_INPUT
    message = failure.message
    assert "Failed decoding" not in message
    assert "member_id" in message and "at most 64 characters" in message
    assert len(message) <= MAX_REFUSAL_CHARS
    other = ValueError("not mine")
    assert readable_failure(other) is other


def test_a_refusal_from_a_worker_without_the_converter_drops_the_sdks_wrapper() -> None:
    """An older worker sends "Failed decoding arguments" with pydantic's text as its cause."""
    detail = ApplicationError("1 validation error for Scorecard\npart_c\n  " + "x" * 100_000)
    wrapper = ApplicationError("Failed decoding arguments", type="RuntimeError")
    wrapper.__cause__ = detail
    refused = ApplicationError("refused")
    refused.__cause__ = wrapper
    line = explain_refusal(refused)
    assert line.startswith("1 validation error for Scorecard part_c xxx")
    assert len(line) <= MAX_REFUSAL_CHARS
