"""Golden files: `=== title`, the query, then `--- section` blocks with the expected output.

Comment lines (`#`) before a title stay with that case; `# key: value` lines right after the
title are options. Running pytest with --update-golden rewrites every section in place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from adtquery.compiler import compile_query
from adtquery.errors import QueryError

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
_OPTION = re.compile(r"# (\w[\w-]*): (.*)")


@dataclass
class Case:
    file: Path
    title: str
    query: str
    comments: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file.stem}/{self.title}"


def read_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    comments: list[str] = []
    section: str | None = None
    body: list[str] = []

    def close() -> None:
        if not cases:
            return
        text = "\n".join(body).strip("\n")
        if section is None:
            cases[-1].query = text
        else:
            cases[-1].sections[section] = text

    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("=== "):
            close()
            cases.append(Case(path, line[4:].strip(), "", comments))
            comments, section, body = [], None, []
        elif line.startswith("--- ") and cases:
            close()
            section, body = line[4:].strip(), []
        elif cases and section is None and not body and (option := _OPTION.fullmatch(line)):
            cases[-1].options[option.group(1)] = option.group(2)
        elif line.startswith("#"):  # no query or output line starts with '#'
            comments.append(line)
        else:
            body.append(line)
    close()
    return cases


def expected(case: Case) -> dict[str, str]:
    """The sections this case should have, computed by the compiler."""
    try:
        compiled = compile_query(case.query)
    except QueryError as error:
        return {"error": error.render()}
    sections = {
        "cypher": compiled.cypher,
        "params": json.dumps(compiled.params, ensure_ascii=False),
    }
    if compiled.model_sets:
        sections["model sets"] = json.dumps(compiled.model_sets, ensure_ascii=False)
    if case.options.get("sql") == "true":
        sections["sql"] = compiled.paged.first
    return sections


def write_cases(path: Path, cases: list[Case]) -> None:
    lines: list[str] = []
    for case in cases:
        lines += case.comments
        lines.append(f"=== {case.title}")
        lines += [f"# {key}: {value}" for key, value in case.options.items()]
        lines.append(case.query)
        for name, text in expected(case).items():
            lines += [f"--- {name}", text]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
