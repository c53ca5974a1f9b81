"""The error family: every refusal carries an ADT error code, a stable reason and a position.

The first line of `str(error)` is what the REST API puts in ADT's error body; `render()` adds the
query line with a caret under the offending token, for the CLI, the REPL and golden files.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """Where a token or node sits in the query text: 0-based offsets, 1-based line and column."""

    start: int
    end: int
    line: int
    column: int


def span_at(text: str, offset: int, end: int | None = None) -> Span:
    """The span of text[offset:end], with its line and column computed from the text."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(offset, offset if end is None else end, line, column)


class AdtError(Exception):
    """Base of every error adtquery reports to a user; `code` is ADT's error code."""

    code = "BadRequest"
    status = 400

    def __init__(self, message: str, *, reason: str = "bad-request") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class QueryError(AdtError):
    """A query that adtquery refuses to compile: ADT answers these with 400 SqlQueryError."""

    code = "SqlQueryError"

    def __init__(self, message: str, *, reason: str, text: str, span: Span | None) -> None:
        where = f" (line {span.line}, column {span.column})" if span else ""
        super().__init__(message + where, reason=reason)
        self.description = message
        self.text = text
        self.span = span

    def render(self) -> str:
        """The message, then the query line with the fault underlined."""
        header = f"{self.code}: {self.message}"
        if self.span is None:
            return header
        return header + "\n" + _snippet(self.text, self.span)


class BadRequest(AdtError):
    """A request ADT refuses with 400 BadRequest, such as a bad continuation token."""

    code = "BadRequest"


class ValidationFailed(AdtError):
    """A document that does not satisfy its model."""

    code = "ValidationFailed"


def _snippet(text: str, span: Span) -> str:
    lines = text.split("\n")
    line = lines[span.line - 1] if span.line - 1 < len(lines) else ""
    before = line[: span.column - 1]
    width = max(1, min(span.end, span.start + len(line) - len(before)) - span.start)
    caret = _padding(before) + "^" * _display_width(line[len(before) : len(before) + width])
    if len(lines) == 1:
        return f"  {line}\n  {caret}"
    gutter = str(span.line)
    blank = " " * len(gutter)
    return f"  {gutter} | {line}\n  {blank} | {caret}"


def _padding(before: str) -> str:
    """Spaces that line up with `before` in a terminal: tabs stay, zero-width characters vanish."""
    return "".join("\t" if ch == "\t" else " " * _char_width(ch) for ch in before)


def _display_width(segment: str) -> int:
    return max(1, sum(_char_width(ch) for ch in segment))


def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
