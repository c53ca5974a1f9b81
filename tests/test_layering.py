"""The compiler is an I/O-free core: importing it loads no database driver and no web framework.

Checked in a fresh interpreter, since this one has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("psycopg", "psycopg_pool", "starlette", "uvicorn")


def _loaded_after(statement: str) -> list[str]:
    script = (
        f"import json, sys\n{statement}\n"
        "print(json.dumps(sorted(name.split('.')[0] for name in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "statement",
    [
        "import adtquery.compiler",
        "from adtquery.compiler import compile_query; compile_query('SELECT * FROM DIGITALTWINS')",
    ],
    ids=["import", "compile"],
)
def test_compiler_imports_no_driver_and_no_web_framework(statement: str) -> None:
    loaded = set(_loaded_after(statement))
    assert "adtquery" in loaded
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))
