"""Grammar terminals in plain words, for syntax errors that never show parser internals."""

from __future__ import annotations

from collections.abc import Iterable

from lark.lexer import PatternStr

from adtquery.grammar import lark_parser

_WORDS = {
    "NAME": "a name",
    "ESCAPED": "a name",
    "SYSTEM_NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "COMPARATOR": "a comparison operator",
    "$END": "end of query",
}
_VALUES = {"STRING", "NUMBER", "TRUE", "FALSE", "NULL"}
_FUNCTIONS = {"IS_DEFINED", "IS_OF_MODEL", "STARTSWITH"}


def describe_expected(terminals: Iterable[str]) -> str:
    """`expected` sets from lark become a short phrase: 'FROM', 'a condition', 'a name or ('."""
    names = {_keyword(name) for name in terminals}
    if names & _FUNCTIONS:
        return "a condition"
    if {"COMPARATOR", "IN"} <= names:
        return "a comparison operator, IN or NIN"
    words: list[str] = []
    if len(names & _VALUES) >= 3:
        words.append("a value")
        names -= _VALUES
    words.extend(sorted({_word(name) for name in names}, key=_order))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def describe_found(terminal: str, text: str) -> str:
    return _WORDS["$END"] if terminal == "$END" else f"'{text}'"


def _keyword(terminal: str) -> str:
    """Keywords are filtered from the tree by a leading underscore; users know them without it."""
    is_filtered_keyword = terminal.startswith("_") and not terminal.startswith("__")
    return terminal[1:] if is_filtered_keyword else terminal


def _word(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    terminals = lark_parser().terminals
    pattern = next(t.pattern for t in terminals if _keyword(t.name) == name)
    if isinstance(pattern, PatternStr) and not pattern.value.isalpha():
        return f"'{pattern.value}'"
    return name


def _order(word: str) -> tuple[bool, str]:
    # Keywords first (they are what a user most often forgot), then punctuation and categories.
    return (not word.isupper(), word)
