"""`ocop list --query`: a person's visibility condition can only narrow the product filter.

Pure code (`infra/visibility_query.py`), no server.
"""

from __future__ import annotations

import pytest

from infra.visibility_query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    QueryRefused,
    narrowing_query,
    tokenize,
)

ALLOWED = frozenset({"OcopStage", "OcopStars", "OcopProvince", "WorkflowId", "StartTime"})


def refusal(query: str) -> str:
    with pytest.raises(QueryRefused) as refused:
        narrowing_query(query, ALLOWED)
    message = str(refused.value)
    assert message.startswith("--query") and "\n" not in message, message
    return message


@pytest.mark.parametrize(
    ("query", "rebuilt"),
    [
        ("OcopStage = 'certified'", "OcopStage = 'certified'"),
        ("ocopStage='x'", None),  # names are case-sensitive: refused below, not here
        (
            "(OcopStage = 'a' OR OcopStage = 'b') AND OcopStars >= 4",
            "( OcopStage = 'a' OR OcopStage = 'b' ) AND OcopStars >= 4",
        ),
        ("OcopProvince IN ('a', 'b')", "OcopProvince IN ( 'a' , 'b' )"),
        ("OcopStars not between 3 and 4", "OcopStars NOT BETWEEN 3 AND 4"),
        ("OcopStars IS NOT NULL", "OcopStars IS NOT NULL"),
        ("WorkflowId STARTS_WITH 'ocop-product-'", "WorkflowId STARTS_WITH 'ocop-product-'"),
        ("NOT (OcopStars = -1)", "NOT ( OcopStars = -1 )"),
        ("`OcopStage` != 'x'", "OcopStage != 'x'"),
        ("StartTime > '2026-01-01T00:00:00Z'", "StartTime > '2026-01-01T00:00:00Z'"),
        # Brackets and quotes inside a string are the string's, not the query's.
        ("OcopStage = ')'", "OcopStage = ')'"),
        ("OcopStage = ') OR (WorkflowType = 1'", "OcopStage = ') OR (WorkflowType = 1'"),
        # Escaped and doubled quotes stay inside their string; rebuilt one way.
        (r"OcopStage = 'it\'s'", r"OcopStage = 'it\'s'"),
        ("OcopStage = 'it''s'", r"OcopStage = 'it\'s'"),
        ('OcopStage = "a\\"b\'c"', r"""OcopStage = 'a"b\'c'"""),
        (r"OcopStage = 'back\\'", r"OcopStage = 'back\\'"),
    ],
)
def test_a_whole_condition_is_rebuilt_from_its_tokens(query: str, rebuilt: str | None) -> None:
    if rebuilt is None:
        assert "ocopStage" in refusal(query)
    else:
        assert narrowing_query(query, ALLOWED) == rebuilt


def test_the_break_out_is_refused_where_it_leaves_the_bracket() -> None:
    message = refusal("WorkflowId != '') OR (WorkflowType = 'AnnualCycleWorkflow'")
    assert "a ')' closes a bracket the query did not open at character 17" in message


@pytest.mark.parametrize(
    ("query", "what"),
    [
        ("OcopStage = 'x') OR (OcopStage = 'y'", "closes a bracket the query did not open"),
        ("OcopStage = 'x'))", "closes a bracket the query did not open"),
        ("(OcopStage = 'x'", "expected ')' to close the bracket, but the query ends"),
        ("OcopStage = 'x", "the string opened with ' is never closed"),
        ("OcopStage = 'x' OR OcopStage = \"y", 'the string opened with " is never closed'),
        ("`OcopStage = 'x'", "the name opened with ` is never closed"),
        ("WorkflowType = 'AnnualCycleWorkflow'", "attribute 'WorkflowType' cannot be used"),
        ("`WorkflowType` = 'x'", "attribute 'WorkflowType' cannot be used"),
        ("OcopStage = 'x' OR TaskQueue = 'q'", "attribute 'TaskQueue' cannot be used"),
        ("OcopStage = 'x'; DROP", "unexpected character ';'"),
        ("OcopStage = 'x' ORDER BY StartTime", "unexpected 'ORDER' after a whole condition"),
        ("OcopStage = 'x' OcopStars = 3", "unexpected 'OcopStars' after a whole condition"),
        ("OcopStage = OcopStars", "expected a value"),
        ("OcopStage", "expected a comparison"),
        ("OcopStage IS 'x'", "expected NULL after IS"),
        ("OcopStars IN 3", "expected '(' after IN"),
        ("OcopStars BETWEEN 3 OR 4", "expected AND between the two bounds"),
        ("OcopStars ! 3", "'!' must be followed by '='"),
        ("OcopStars = 1.2.3", "is not a number"),
        ("AND OcopStars = 3", "expected an attribute name or '('"),
        ("()", "expected an attribute name or '('"),
        ("OcopStage = 'a\nb'", "a control character inside a string"),
        ("   ", "--query is empty"),
    ],
)
def test_anything_but_one_whole_condition_is_refused_saying_what_and_where(
    query: str, what: str
) -> None:
    assert what in refusal(query)


def test_accepted_names_are_listed_and_the_input_is_echoed_only_in_part() -> None:
    long_name = "X" * 5000
    message = refusal(f"{long_name[:1500]} = 1")
    assert "accepted: OcopProvince, OcopStage, OcopStars, StartTime, WorkflowId" in message
    assert len(message) < 300
    assert f"at most {MAX_QUERY_LENGTH}" in refusal(f"OcopStage = '{long_name}'")


def test_nesting_is_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 1) + "OcopStars = 3" + ")" * (MAX_DEPTH + 1)
    assert "nest deeper than" in refusal(deep)
    assert "nest deeper than" in refusal("NOT " * (MAX_DEPTH + 1) + "OcopStars = 3")
    fine = "(" * MAX_DEPTH + "OcopStars = 3" + ")" * MAX_DEPTH
    assert narrowing_query(fine, ALLOWED).count("(") == MAX_DEPTH


def test_keywords_are_case_insensitive_and_strings_keep_their_text() -> None:
    [name, op, value] = tokenize("OcopStage = 'Đã công nhận'")
    assert (name.text, op.text, value.text) == ("OcopStage", "=", "Đã công nhận")
    assert narrowing_query("OcopStars = 3 or OcopStars = 4", ALLOWED).count(" OR ") == 1
