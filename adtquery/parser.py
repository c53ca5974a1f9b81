"""Text -> `ast.Query`: the Lark parse, a transformer that builds typed nodes, plain-word errors."""

from __future__ import annotations

import math
import re

from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.parsers.lalr_parser_state import ParserState
from lark.tree import Meta

from adtquery import ast
from adtquery.errors import QueryError, Span, span_at
from adtquery.grammar import lark_parser
from adtquery.syntax_messages import describe_expected, describe_found

MAX_QUERY_LENGTH = 8000


def parse(text: str) -> ast.Query:
    """Parse ADT query text into its syntax tree, or raise `QueryError` saying where and why."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is {len(text)} characters long; ADT accepts at most {MAX_QUERY_LENGTH}",
            reason="query-too-long",
            text=text,
            span=span_at(text, MAX_QUERY_LENGTH, len(text)),
        )
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    try:
        return _Builder(text).transform(tree)
    except VisitError as error:
        raise error.orig_exc from None
    except RecursionError:
        raise too_complex(text) from None


def too_complex(text: str) -> QueryError:
    return QueryError(
        "the query nests conditions too deeply; ADT allows at most 50 AND/OR",
        reason="too-complex",
        text=text,
        span=span_at(text, 0, len(text.split(None, 1)[0]) if text.strip() else 0),
    )


def _syntax_error(text: str, error: UnexpectedInput) -> QueryError:
    if isinstance(error, UnexpectedToken):
        token = error.token
        at_end = token.type == "$END"
        # The end of the last token, not of trailing blank lines, is where something is missing.
        start = len(text.rstrip()) if at_end else token.start_pos
        end = start if at_end else token.end_pos
        found = describe_found(token.type, str(token))
        expected = describe_expected(_acceptable(error.state) or error.expected)
        incomplete = at_end
    else:
        assert isinstance(error, UnexpectedCharacters)
        start = end = error.pos_in_stream
        allowed = _acceptable(error.state) or error.allowed
        found, expected = _unexpected_character(text, start, allowed)
        incomplete = text[start] == "'"  # the lexer found no closing quote
    return QueryError(
        f"expected {expected}, found {found}",
        reason="incomplete" if incomplete else "syntax",
        text=text,
        span=span_at(text, start, max(end, start + 1)),
    )


def _acceptable(state: ParserState | None) -> set[str]:
    """The terminals the parser could really take next.

    LALR merges states, so lark's `expected` lists every terminal that any merged context allows;
    feeding each candidate to a copy of the state keeps only the true ones, for a short message.
    """
    if not isinstance(state, ParserState):
        return set()
    accepted = set()
    for terminal in state.parse_conf.parse_table.states[state.position]:
        if not terminal.isupper():
            continue
        probe = state.copy()
        try:
            probe.feed_token(Token(terminal, ""), terminal == "$END")
        except UnexpectedInput:
            continue
        accepted.add(terminal)
    return accepted


def _unexpected_character(text: str, pos: int, allowed: set[str]) -> tuple[str, str]:
    char = text[pos]
    if char == '"':
        return "a double-quoted string", "a string in single quotes ('...')"
    if char in "\u2018\u2019\u201c\u201d":
        return f"the typographic quote {char!r}", "a straight single quote (')"
    if char == "'":
        return "a string that is never closed", describe_expected(allowed)
    return f"the character {char!r}", describe_expected(allowed)


def _span(meta: Meta) -> Span | None:
    if meta.empty:
        return None
    return Span(meta.start_pos, meta.end_pos, meta.line, meta.column)


def _token_span(token: Token) -> Span:
    assert token.start_pos is not None and token.end_pos is not None
    assert token.line is not None and token.column is not None
    return Span(token.start_pos, token.end_pos, token.line, token.column)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)


@v_args(meta=True)
class _Builder(Transformer[Token, ast.Query]):
    """Builds one AST node per grammar rule; rule names match node names (ast.py)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _error(self, message: str, reason: str, span: Span | None) -> QueryError:
        return QueryError(message, reason=reason, text=self.text, span=span)

    # Terminals ----------------------------------------------------------------------------------

    def _string(self, token: Token) -> str:
        body = str(token)[1:-1]

        def unescape(match: re.Match[str]) -> str:
            code = match.group(1)
            if code[0] == "u" and len(code) == 5:
                return chr(int(code[1:], 16))
            if code in _ESCAPES:
                return _ESCAPES[code]
            offset = token.start_pos + 1 + match.start()
            raise self._error(
                f"unknown escape '\\{code}' in a string; use \\' \\\" \\\\ \\n \\t or \\uXXXX",
                "bad-escape",
                span_at(self.text, offset, offset + 2),
            )

        decoded = _ESCAPE.sub(unescape, body)
        try:  # \ud83d\ude00 is one character written as a surrogate pair
            return decoded.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise self._error(
                "a \\u escape in this string is half of a surrogate pair",
                "bad-escape",
                _token_span(token),
            ) from None

    def _number(self, token: Token) -> int | float:
        raw = str(token)
        # AGE stores integers in 64 bits; longer digit strings are refused, not wrapped.
        if re.fullmatch(r"-?[0-9]{1,19}", raw) and _INT64_MIN <= int(raw) <= _INT64_MAX:
            return int(raw)
        value = float(raw) if not re.fullmatch(r"-?[0-9]+", raw) else math.inf
        if math.isinf(value):
            raise self._error(f"the number {raw} is out of range", "bad-number", _token_span(token))
        return value

    def _count(self, token: Token, what: str, minimum: int) -> int:
        value = self._number(token)
        if not isinstance(value, int) or value < minimum:
            raise self._error(
                f"{what} must be a whole number of at least {minimum}, not {token}",
                "bad-count",
                _token_span(token),
            )
        return value

    def alias(self, meta: Meta, children: list[Token]) -> str:
        return _name(children[0])

    def name(self, meta: Meta, children: list[Token]) -> str:
        return _name(children[0])

    # Literals -----------------------------------------------------------------------------------

    def string(self, meta: Meta, children: list[Token]) -> ast.String:
        return ast.String(self._string(children[0]), span=_span(meta))

    def number(self, meta: Meta, children: list[Token]) -> ast.Number:
        return ast.Number(self._number(children[0]), span=_span(meta))

    def true(self, meta: Meta, children: list[Token]) -> ast.Boolean:
        return ast.Boolean(True, span=_span(meta))

    def false(self, meta: Meta, children: list[Token]) -> ast.Boolean:
        return ast.Boolean(False, span=_span(meta))

    def null(self, meta: Meta, children: list[Token]) -> ast.Null:
        return ast.Null(span=_span(meta))

    def path(self, meta: Meta, children: list[str]) -> ast.Path:
        return ast.Path(tuple(children), span=_span(meta))

    def list(self, meta: Meta, children: list[ast.Literal | None]) -> tuple[ast.Literal, ...]:
        return tuple(child for child in children if child is not None)

    # SELECT -------------------------------------------------------------------------------------

    def query(self, meta: Meta, children: list) -> ast.Query:
        select, source, where = children
        return ast.Query(select, source, where, span=_span(meta))

    def select(self, meta: Meta, children: list) -> ast.Select:
        top, body = children if len(children) == 2 else (None, children[0])
        return ast.Select(top, ast.Star() if body is None else body, span=_span(meta))

    def top(self, meta: Meta, children: list[Token]) -> int:
        return self._count(children[0], "TOP", 1)

    def star(self, meta: Meta, children: list) -> ast.Star:
        return ast.Star(span=_span(meta))

    def count(self, meta: Meta, children: list) -> ast.Count:
        return ast.Count(span=_span(meta))

    def projections(self, meta: Meta, children: list[ast.Projection]) -> tuple[ast.Projection, ...]:
        return tuple(children)

    def projection(self, meta: Meta, children: list) -> ast.Projection:
        path, alias = children
        return ast.Projection(path, alias, span=_span(meta))

    # FROM ---------------------------------------------------------------------------------------

    def from_twins(self, meta: Meta, children: list) -> ast.FromTwins:
        alias, *joins = children
        return ast.FromTwins(alias, tuple(joins), span=_span(meta))

    def from_relationships(self, meta: Meta, children: list) -> ast.FromRelationships:
        return ast.FromRelationships(children[0], span=_span(meta))

    def join(self, meta: Meta, children: list) -> ast.Join:
        target, related, alias = children
        return ast.Join(target, related, alias, span=_span(meta))

    def related(self, meta: Meta, children: list[str]) -> ast.Path:
        return ast.Path(tuple(children), span=_span(meta))

    def from_match(self, meta: Meta, children: list) -> ast.FromMatch:
        return ast.FromMatch(tuple(children[0::2]), tuple(children[1::2]), span=_span(meta))

    def node(self, meta: Meta, children: list[str | None]) -> ast.NodePattern:
        return ast.NodePattern(children[0], span=_span(meta))

    def hop_spec(self, meta: Meta, children: list) -> tuple:
        alias, names, count = children
        return alias, names or (), count

    def _hop(self, meta: Meta, direction: ast.Direction, spec: tuple) -> ast.Hop:
        return ast.Hop(direction, *spec, span=_span(meta))

    def hop_right(self, meta: Meta, children: list) -> ast.Hop:
        return self._hop(meta, ast.Direction.RIGHT, children[0])

    def hop_left(self, meta: Meta, children: list) -> ast.Hop:
        return self._hop(meta, ast.Direction.LEFT, children[0])

    def hop_any(self, meta: Meta, children: list) -> ast.Hop:
        return self._hop(meta, ast.Direction.ANY, children[0])

    def hop_names(self, meta: Meta, children: list[str]) -> tuple[str, ...]:
        return tuple(children)

    def hops_exact(self, meta: Meta, children: list[Token]) -> ast.HopCount:
        upper = self._count(children[0], "a hop count", 0)
        return ast.HopCount(None, upper, False, span=_span(meta))

    def hops_range(self, meta: Meta, children: list[Token]) -> ast.HopCount:
        lower = self._count(children[0], "a hop count", 0)
        upper = self._count(children[1], "a hop count", 0)
        return ast.HopCount(lower, upper, True, span=_span(meta))

    def hops_upto(self, meta: Meta, children: list[Token]) -> ast.HopCount:
        upper = self._count(children[0], "a hop count", 0)
        return ast.HopCount(None, upper, True, span=_span(meta))

    # WHERE --------------------------------------------------------------------------------------

    def or_(self, meta: Meta, children: list) -> ast.Or:
        return ast.Or(*children, span=_span(meta))

    def and_(self, meta: Meta, children: list) -> ast.And:
        return ast.And(*children, span=_span(meta))

    def not_(self, meta: Meta, children: list) -> ast.Not:
        return ast.Not(children[0], span=_span(meta))

    def comparison(self, meta: Meta, children: list) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(left, ast.Comparator(str(op)), right, span=_span(meta))

    def in_list(self, meta: Meta, children: list) -> ast.InList:
        return ast.InList(children[0], children[1], False, span=_span(meta))

    def nin_list(self, meta: Meta, children: list) -> ast.InList:
        return ast.InList(children[0], children[1], True, span=_span(meta))

    def type_function(self, meta: Meta, children: list[Token]) -> ast.TypeFunction:
        return ast.TypeFunction(children[0].type)

    def string_function(self, meta: Meta, children: list[Token]) -> ast.StringFunction:
        return ast.StringFunction(children[0].type.replace("S_W", "SW"))

    def type_check(self, meta: Meta, children: list) -> ast.TypeCheck:
        return ast.TypeCheck(children[0], children[1], span=_span(meta))

    def string_match(self, meta: Meta, children: list) -> ast.StringMatch:
        function, path, value = children
        return ast.StringMatch(function, path, self._string(value), span=_span(meta))

    def array_contains(self, meta: Meta, children: list) -> ast.ArrayContains:
        return ast.ArrayContains(children[0], children[1], span=_span(meta))

    def is_of_model(self, meta: Meta, children: list) -> ast.IsOfModel:
        alias, model, exact = children
        return ast.IsOfModel(alias, self._string(model), exact is not None, span=_span(meta))


def _name(token: Token) -> str:
    text = str(token)
    return text[2:-2] if token.type == "ESCAPED" else text
