"""A person's visibility query, parsed so that it can only narrow ours.

`ocop list --query RAW` ANDs RAW with the filters that select product cases
(`WorkflowType = 'ProductLifecycleWorkflow' AND …`). Pasting RAW inside brackets is not
enough: `WorkflowId != '') OR (WorkflowType = 'AnnualCycleWorkflow'` closes our bracket
and opens its own, and the query lists every workflow of the namespace. So RAW is read
as Temporal's list-filter syntax and must be one whole boolean expression:

    expression := term (OR term)*
    term       := factor (AND factor)*
    factor     := NOT factor | '(' expression ')' | condition
    condition  := name ( ('=' | '!=' | '>' | '>=' | '<' | '<=') value
                       | [NOT] IN '(' value (',' value)* ')'
                       | [NOT] BETWEEN value AND value
                       | [NOT] STARTS_WITH string
                       | IS [NOT] NULL )

String literals take single or double quotes, with backslash escapes or a doubled quote
(as Temporal's SQL parser reads them); names may be written in backquotes; keywords are
case-insensitive. Every name must be one the caller allows (`allowed`), so a query
cannot reach an attribute that our own filters own (`WorkflowType`). What is returned is
the expression rebuilt from its tokens, strings re-quoted one way, ready to be placed in
brackets after `AND`.

Pure: no I/O. `narrowing_query` raises `QueryRefused`, whose message is one line that
names `--query`, what is wrong and where.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import Final

STANDARD_ATTRIBUTES: Final = (
    "WorkflowId",
    "RunId",
    "ExecutionStatus",
    "StartTime",
    "CloseTime",
    "ExecutionTime",
    "ExecutionDuration",
    "HistoryLength",
)
"""Temporal's own attributes a person may narrow by (not WorkflowType: callers own it)."""

MAX_QUERY_LENGTH: Final = 2000
MAX_DEPTH: Final = 16
_EXCERPT: Final = 24

COMPARISONS: Final = frozenset({"=", "!=", ">", ">=", "<", "<="})
_KEYWORDS: Final = frozenset(
    {"AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "STARTS_WITH", "ORDER", "BY"}
)
_QUOTES: Final = "'\""
_SINGLE: Final = frozenset("(),=<>!")


class QueryRefused(ValueError):
    """The query cannot be used; the message says what is wrong, for the person."""


class Kind(Enum):
    NAME = "name"
    KEYWORD = "keyword"
    STRING = "string"
    NUMBER = "number"
    SYMBOL = "symbol"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # a name or a string's value; keywords upper-cased; the symbol itself
    at: int  # where it starts in the query (0-based)

    def rendered(self) -> str:
        if self.kind is Kind.STRING:
            return "'" + self.text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return self.text


def _refused(what: str, query: str = "", at: int | None = None) -> QueryRefused:
    if at is None:
        return QueryRefused(f"--query: {what}")
    excerpt = query[at : at + _EXCERPT]
    return QueryRefused(f"--query: {what} at character {at + 1} ({excerpt!r})")


# ------------------------------------------------------------------- tokens


def tokenize(query: str) -> list[Token]:
    """The query's tokens; refuses an unclosed quote or a character the syntax lacks."""
    tokens: list[Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char in " \t\r\n":
            i += 1
        elif char in _QUOTES:
            value, i_next = _string(query, i)
            tokens.append(Token(Kind.STRING, value, i))
            i = i_next
        elif char == "`":
            name, i_next = _backquoted(query, i)
            tokens.append(Token(Kind.NAME, name, i))
            i = i_next
        elif char.isascii() and (char.isalpha() or char == "_"):
            i = _word(query, i, tokens)
        elif char.isdigit() or (char == "-" and query[i + 1 : i + 2].isdigit()):
            i = _number(query, i, tokens)
        elif char in _SINGLE:
            i = _symbol(query, i, tokens)
        else:
            raise _refused(f"unexpected character {char!r}", query, i)
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    quote, value, i = query[start], [], start + 1
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query):
            value.append(query[i + 1])
            i += 2
        elif char == quote and query[i + 1 : i + 2] == quote:
            value.append(quote)
            i += 2
        elif char == quote:
            return "".join(value), i + 1
        elif ord(char) < 32 or ord(char) == 127:
            raise _refused("a control character inside a string", query, i)
        else:
            value.append(char)
            i += 1
    raise _refused(f"the string opened with {quote} is never closed", query, start)


def _backquoted(query: str, start: int) -> tuple[str, int]:
    end = query.find("`", start + 1)
    if end < 0:
        raise _refused("the name opened with ` is never closed", query, start)
    return query[start + 1 : end], end + 1


def _word(query: str, start: int, tokens: list[Token]) -> int:
    i = start
    while i < len(query) and query[i].isascii() and (query[i].isalnum() or query[i] == "_"):
        i += 1
    word = query[start:i]
    if word.upper() in _KEYWORDS:
        tokens.append(Token(Kind.KEYWORD, word.upper(), start))
    else:
        tokens.append(Token(Kind.NAME, word, start))
    return i


def _number(query: str, start: int, tokens: list[Token]) -> int:
    i = start + 1
    while i < len(query) and (query[i].isdigit() or query[i] == "."):
        i += 1
    text = query[start:i]
    if text.count(".") > 1 or text.endswith("."):
        raise _refused(f"{text!r} is not a number", query, start)
    tokens.append(Token(Kind.NUMBER, text, start))
    return i


def _symbol(query: str, start: int, tokens: list[Token]) -> int:
    two = query[start : start + 2]
    if two in COMPARISONS:
        tokens.append(Token(Kind.SYMBOL, two, start))
        return start + 2
    one = query[start]
    if one == "!":
        raise _refused("'!' must be followed by '='", query, start)
    tokens.append(Token(Kind.SYMBOL, one, start))
    return start + 1


# ------------------------------------------------------------------- grammar


class _Parser:
    def __init__(self, query: str, tokens: list[Token], allowed: Collection[str]) -> None:
        self.query = query
        self.tokens = tokens
        self.allowed = allowed
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def is_(self, kind: Kind, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.kind is kind and (not texts or token.text in texts)

    def take(self, kind: Kind, *texts: str, wanted: str) -> Token:
        token = self.peek()
        if token is None or token.kind is not kind or (texts and token.text not in texts):
            raise self.refusal(f"expected {wanted}")
        self.position += 1
        return token

    def refusal(self, what: str) -> QueryRefused:
        token = self.peek()
        if token is None:
            return _refused(f"{what}, but the query ends")
        return _refused(f"{what}", self.query, token.at)

    def expression(self, depth: int) -> None:
        self.term(depth)
        while self.is_(Kind.KEYWORD, "OR"):
            self.position += 1
            self.term(depth)

    def term(self, depth: int) -> None:
        self.factor(depth)
        while self.is_(Kind.KEYWORD, "AND"):
            self.position += 1
            self.factor(depth)

    def factor(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.refusal(f"brackets and NOTs nest deeper than {MAX_DEPTH}")
        if self.is_(Kind.KEYWORD, "NOT"):
            self.position += 1
            self.factor(depth + 1)
        elif self.is_(Kind.SYMBOL, "("):
            self.position += 1
            self.expression(depth + 1)
            self.take(Kind.SYMBOL, ")", wanted="')' to close the bracket")
        else:
            self.condition()

    def condition(self) -> None:
        token = self.peek()
        if token is None or token.kind is not Kind.NAME:
            raise self.refusal("expected an attribute name or '('")
        if token.text not in self.allowed:
            raise _refused(
                f"attribute {token.text[:40]!r} cannot be used here; accepted: "
                f"{', '.join(sorted(self.allowed))}",
                self.query,
                token.at,
            )
        self.position += 1
        if self.is_(Kind.SYMBOL, *COMPARISONS):
            self.position += 1
            self.value()
        elif self.is_(Kind.KEYWORD, "IS"):
            self.position += 1
            if self.is_(Kind.KEYWORD, "NOT"):
                self.position += 1
            self.take(Kind.KEYWORD, "NULL", wanted="NULL after IS")
        else:
            if self.is_(Kind.KEYWORD, "NOT"):
                self.position += 1
            self.membership()

    def membership(self) -> None:
        if self.is_(Kind.KEYWORD, "IN"):
            self.position += 1
            self.take(Kind.SYMBOL, "(", wanted="'(' after IN")
            self.value()
            while self.is_(Kind.SYMBOL, ","):
                self.position += 1
                self.value()
            self.take(Kind.SYMBOL, ")", wanted="')' to close the IN list")
        elif self.is_(Kind.KEYWORD, "BETWEEN"):
            self.position += 1
            self.value()
            self.take(Kind.KEYWORD, "AND", wanted="AND between the two bounds")
            self.value()
        elif self.is_(Kind.KEYWORD, "STARTS_WITH"):
            self.position += 1
            self.take(Kind.STRING, wanted="a string after STARTS_WITH")
        else:
            raise self.refusal(
                "expected a comparison (=, !=, >, >=, <, <=, IN, BETWEEN, STARTS_WITH, IS NULL)"
            )

    def value(self) -> None:
        if not (self.is_(Kind.STRING) or self.is_(Kind.NUMBER)):
            raise self.refusal("expected a value (a quoted string or a number)")
        self.position += 1


def narrowing_query(query: str, allowed: Collection[str]) -> str:
    """`query` as one whole expression over the `allowed` attributes, rebuilt from its
    tokens, to be placed in brackets after AND; refused (`QueryRefused`) otherwise."""
    if not query.strip():
        raise QueryRefused("--query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise _refused(f"the query is {len(query)} characters long; at most {MAX_QUERY_LENGTH}")
    tokens = tokenize(query)
    parser = _Parser(query, tokens, allowed)
    parser.expression(0)
    extra = parser.peek()
    if extra is not None:
        if extra.kind is Kind.SYMBOL and extra.text == ")":
            raise _refused("a ')' closes a bracket the query did not open", query, extra.at)
        raise _refused(f"unexpected {extra.text[:40]!r} after a whole condition", query, extra.at)
    return " ".join(token.rendered() for token in tokens)
