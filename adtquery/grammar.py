"""Locate the ADT grammar and build its LALR parser once per process."""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark

_HERE = Path(__file__).resolve().parent
# An installed wheel carries the grammar inside the package; a source checkout keeps it in grammar/.
_CANDIDATES = (_HERE / "adt.lark", _HERE.parent / "grammar" / "adt.lark")


def grammar_path() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"ADT grammar not found in {', '.join(map(str, _CANDIDATES))}")


@functools.cache
def lark_parser() -> Lark:
    # strict: a shift/reduce conflict or a terminal collision is a load error, not a silent choice.
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        start="query",
        parser="lalr",
        lexer="contextual",
        strict=True,
        propagate_positions=True,
        cache=True,
    )
