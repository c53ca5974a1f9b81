"""adtquery: the Azure Digital Twins query language on PostgreSQL + Apache AGE."""

from adtquery.compiler import CompiledQuery, compile_query
from adtquery.errors import AdtError, BadRequest, QueryError, ValidationFailed
from adtquery.parser import parse
from adtquery.printer import to_text

__all__ = [
    "AdtError",
    "BadRequest",
    "CompiledQuery",
    "QueryError",
    "ValidationFailed",
    "compile_query",
    "parse",
    "to_text",
]
