"""A pygments lexer for the ADT query language, for highlighting in the REPL.

Lenient where the grammar is strict: a string or an escaped name still being typed is coloured as
one to the end of the input, and anything else unknown is plain text, never an error.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pygments.lexer import RegexLexer, words
from pygments.token import Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

KEYWORDS = (
    "SELECT", "FROM", "WHERE", "JOIN", "RELATED", "MATCH", "AND", "OR", "NOT", "IN", "NIN", "TOP",
    "COUNT", "AS", "DIGITALTWINS", "RELATIONSHIPS",
)  # fmt: skip
CONSTANTS = ("TRUE", "FALSE", "NULL", "EXACT")
FUNCTIONS = (
    "IS_OF_MODEL", "ARRAY_CONTAINS", "IS_DEFINED", "IS_NULL", "IS_BOOL", "IS_NUMBER", "IS_STRING",
    "IS_PRIMITIVE", "IS_OBJECT", "STARTSWITH", "ENDSWITH", "STARTS_WITH", "ENDS_WITH", "CONTAINS",
)  # fmt: skip


class AdtLexer(RegexLexer):
    name = "Azure Digital Twins query"
    aliases: ClassVar[list[str]] = ["adt"]
    flags = re.IGNORECASE | re.MULTILINE

    tokens: ClassVar[dict[str, list]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"'(?:[^'\\]|\\.)*'?", String.Single),
            (r"\[\[(?:[^\]]|\](?!\]))*(?:\]\])?", Name.Variable),
            (r"\$[a-z_]\w*", Name.Variable.Magic),
            (words(KEYWORDS, prefix=r"\b", suffix=r"\b"), Keyword),
            (words(CONSTANTS, prefix=r"\b", suffix=r"\b"), Keyword.Constant),
            (words(FUNCTIONS, prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", Number),
            (r"[a-z_]\w*", Name),
            (r"!=|<=|>=|<-|->|[=<>|*:-]|\.\.", Operator),
            (r"[(),.\[\]]", Punctuation),
            (r".", Text),
        ]
    }
