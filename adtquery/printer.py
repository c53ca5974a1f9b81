"""`ast.Query` -> canonical ADT text: keywords upper case, single spaces, minimal parentheses.

`parse(to_text(q)) == q` for every tree the parser can build; the REPL echoes queries this way.
"""

from __future__ import annotations

import json
import re
from functools import singledispatch

from adtquery import ast

# ADT's reserved words and this grammar's keywords: where a keyword may stand (an alias, the first
# part of a path), a name spelled like one is escaped so it stays a name, for ADT and for us.
_RESERVED = frozenset(
    [
        "all",
        "and",
        "as",
        "asc",
        "avg",
        "by",
        "count",
        "desc",
        "devices",
        "devices_jobs",
        "devices_modules",
        "ends_with",
        "false",
        "from",
        "group",
        "in",
        "is_bool",
        "is_defined",
        "is_null",
        "is_number",
        "is_object",
        "is_primitive",
        "is_string",
        "max",
        "min",
        "not",
        "not_in",
        "null",
        "or",
        "order",
        "select",
        "starts_with",
        "sum",
        "top",
        "true",
        "where",
        "is_of_model",
        "digitaltwins",
        "relationships",
        "join",
        "related",
        "match",
        "nin",
        "exact",
        "array_contains",
        "startswith",
        "endswith",
        "contains",
    ]
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYSTEM_NAME = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


def to_text(query: ast.Query) -> str:
    parts = [f"SELECT {_select(query.select)}", f"FROM {_source(query.source)}"]
    if query.where is not None:
        parts.append(f"WHERE {_expr(query.where)}")
    return " ".join(parts)


def name(text: str) -> str:
    """A name after `.`, `:` or `(`, where no keyword can stand: escaped only if it must be."""
    plain = _IDENTIFIER.fullmatch(text) or _SYSTEM_NAME.fullmatch(text)
    return text if plain else f"[[{text}]]"


def _alias(text: str) -> str:
    """An alias where a keyword could also stand."""
    plain = _IDENTIFIER.fullmatch(text) and text.lower() not in _RESERVED
    return text if plain else f"[[{text}]]"


def _declared(text: str) -> str:
    """An alias where no keyword can stand; `$` names only ever mean properties, so escape them."""
    return text if _IDENTIFIER.fullmatch(text) else f"[[{text}]]"


def _select(select: ast.Select) -> str:
    top = f"TOP({select.top}) " if select.top is not None else ""
    body = select.body
    if isinstance(body, ast.Star):
        return top + "*"
    if isinstance(body, ast.Count):
        return top + "COUNT()"
    return top + ", ".join(_projection(item) for item in body)


def _projection(item: ast.Projection) -> str:
    text = _path(item.path)
    return text if item.alias is None else f"{text} AS {_declared(item.alias)}"


def _source(source: ast.Source) -> str:
    if isinstance(source, ast.FromRelationships):
        return _with_alias("RELATIONSHIPS", source.alias)
    if isinstance(source, ast.FromMatch):
        pattern = _node(source.nodes[0])
        for hop, node in zip(source.hops, source.nodes[1:], strict=True):
            pattern += _hop(hop) + _node(node)
        return f"DIGITALTWINS MATCH {pattern}"
    return " ".join([_with_alias("DIGITALTWINS", source.alias), *map(_join, source.joins)])


def _with_alias(keyword: str, alias: str | None) -> str:
    return keyword if alias is None else f"{keyword} {_alias(alias)}"


def _join(join: ast.Join) -> str:
    related = f"{_declared(join.source)}.{name(join.relationship)}"
    return _with_alias(f"JOIN {_alias(join.target)} RELATED {related}", join.alias)


def _node(node: ast.NodePattern) -> str:
    return f"({'' if node.alias is None else _declared(node.alias)})"


def _hop(hop: ast.Hop) -> str:
    spec = "" if hop.alias is None else _declared(hop.alias)
    if hop.names:
        spec += ":" + "|".join(map(name, hop.names))
    if hop.count is not None:
        spec += "*" + hop_count_text(hop.count)
    left, right = hop.direction.arrows
    return f"{left}[{spec}]{right}"


def hop_count_text(count: ast.HopCount) -> str:
    if not count.is_range:
        return str(count.upper)
    return f"{'' if count.lower is None else count.lower}..{count.upper}"


def _path(path: ast.Path) -> str:
    first, *rest = path.parts
    lead = name(first) if _SYSTEM_NAME.fullmatch(first) else _alias(first)
    return ".".join([lead, *map(name, rest)])


_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3}


def _expr(expr: ast.Expr, parent: int = 0, right_side: bool = False) -> str:
    level = _PRECEDENCE.get(type(expr), 4)
    text = _expr_text(expr)
    # Left-associative operators: an equal-precedence child on the right needs parentheses too.
    needs_parens = level < parent or (right_side and level == parent and level < 3)
    return f"({text})" if needs_parens else text


def _expr_text(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Or | ast.And):
        level = _PRECEDENCE[type(expr)]
        keyword = "OR" if isinstance(expr, ast.Or) else "AND"
        return f"{_expr(expr.left, level)} {keyword} {_expr(expr.right, level, right_side=True)}"
    if isinstance(expr, ast.Not):
        return f"NOT {_expr(expr.operand, 3)}"
    return _predicate(expr)


@singledispatch
def _predicate(expr: ast.Expr) -> str:
    raise TypeError(f"no printer for {type(expr).__name__}")


@_predicate.register
def _(expr: ast.Comparison) -> str:
    return f"{_operand(expr.left)} {expr.op.value} {_operand(expr.right)}"


@_predicate.register
def _(expr: ast.InList) -> str:
    keyword = "NIN" if expr.negated else "IN"
    return f"{_path(expr.operand)} {keyword} [{', '.join(map(literal, expr.values))}]"


@_predicate.register
def _(expr: ast.TypeCheck) -> str:
    return f"{expr.function.value}({_path(expr.path)})"


@_predicate.register
def _(expr: ast.StringMatch) -> str:
    return f"{expr.function.value}({_path(expr.path)}, {_string(expr.value)})"


@_predicate.register
def _(expr: ast.ArrayContains) -> str:
    return f"ARRAY_CONTAINS({_path(expr.path)}, {literal(expr.value)})"


@_predicate.register
def _(expr: ast.IsOfModel) -> str:
    args = [_string(expr.model)]
    if expr.alias is not None:
        args.insert(0, _declared(expr.alias))
    if expr.exact:
        args.append("exact")
    return f"IS_OF_MODEL({', '.join(args)})"


def _operand(operand: ast.Operand) -> str:
    return _path(operand) if isinstance(operand, ast.Path) else literal(operand)


def literal(value: ast.Literal) -> str:
    if isinstance(value, ast.String):
        return _string(value.value)
    if isinstance(value, ast.Boolean):
        return "true" if value.value else "false"
    if isinstance(value, ast.Null):
        return "null"
    return repr(value.value)


def _string(value: str) -> str:
    # json.dumps escapes exactly what the lexer unescapes; only the quote character differs.
    body = json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"
