"""The `adtquery` command line: `main.py` (subcommands), `repl.py` (interactive), `highlight.py`.

`describe` is the one place that lays out a translation, for `adtquery translate` and the REPL.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adtquery.compiler import CompiledQuery


_MODEL_SETS = "-- model sets (expanded through inheritance when run)"


def describe(compiled: CompiledQuery, *, sql: bool = False) -> str:
    """The Cypher, its parameters, the model sets if any and, with `sql`, the paged SQL."""
    parts = [compiled.cypher, "-- params", _json(compiled.params)]
    if compiled.model_sets:
        parts += [_MODEL_SETS, _json(compiled.model_sets)]
    if sql:
        parts += ["-- paged SQL (page 1)", compiled.paged.first]
    return "\n".join(parts)


def _json(values: dict[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False)
