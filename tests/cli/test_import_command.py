"""`adtquery import FILE`: skipped entities on stderr, a summary on stdout, ADT's output log with
--log, and the exit status (0 all imported, 1 something skipped or a refused file, 2 no file)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adtquery.cli.main import main
from tests.db.conftest import server_url, throwaway_database

__all__ = ["server_url"]  # the session fixture, shared with tests/db
pytestmark = pytest.mark.db
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z")
SUMMARY = r"Imported {} in \d+\.\d s \([\d,]+ entities per second\)\.{}\n"


def space(model_id: str) -> dict[str, Any]:
    return {
        "@id": model_id,
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;2",
        "contents": [{"@type": "Relationship", "name": "near"}],
    }


def write(path: Path, *lines: dict[str, Any] | bytes) -> Path:
    raw = [line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines]
    path.write_bytes(b"".join(line + b"\n" for line in raw))
    return path


@pytest.fixture(scope="module")
def url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url) as database:
        yield database


def test_skipped_entities_are_reported_and_logged(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = "dtmi:cli:Skips;1"
    source = write(
        tmp_path / "in.ndjson",
        {"Section": "Header"},
        {"fileVersion": "1.0.0"},
        {"Section": "Models"},
        space(model),
        {"Section": "Twins"},  # 5
        {"$dtId": "a", "$metadata": {"$model": model}},
        {"$dtId": "b", "$metadata": {"$model": model}, "height": 3},
        b'{"a" 1}',
        {"Section": "Relationships"},
        {"$dtId": "a", "$relationshipId": "r", "$targetId": "ghost", "$relationshipName": "near"},
    )
    log = tmp_path / "logs" / "out.ndjson"
    assert main(["import", str(source), "--log", str(log), "--database-url", url]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "line 7: twin b: height does not appear on the DTDL for Twin.",
        "line 8: not valid JSON (unexpected character, expected ':' after key at column 6)",
        "line 10: relationship r of a: the target twin ghost does not exist",
    ]
    assert re.fullmatch(
        SUMMARY.format("1 models, 1 twins and 0 relationships", r" Skipped 3 \(see above\)\."), out
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    for entry in entries:
        assert TIMESTAMP.fullmatch(entry.pop("timestamp"))
        assert entry.pop("jobId") == "cli"
        assert entry.pop("jobType") == "Import"
    info = [
        (e["details"]["section"], e["details"]["status"]) for e in entries if e["logType"] == "Info"
    ]
    assert info == [
        (section, status)
        for section in ("Models", "Twins", "Relationships")
        for status in ("Started", "Succeeded")
    ]
    errors = [entry["details"] for entry in entries if entry["logType"] == "Error"]
    assert errors[0] == {
        "section": "Twins",
        "line": 7,
        "id": "b",
        "error": {
            "code": "ValidationFailed",
            "message": "height does not appear on the DTDL for Twin.",
        },
    }
    assert errors[2] == {
        "section": "Relationships",
        "line": 10,
        "twinId": "a",
        "relationshipId": "r",
        "error": {"code": "DigitalTwinNotFound", "message": "the target twin ghost does not exist"},
    }
    assert [error["line"] for error in errors] == [7, 8, 10]


def test_a_clean_import_exits_0(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(
        tmp_path / "in.ndjson",
        {"Section": "Header"},
        {"fileVersion": "1.0.0"},
        {"Section": "Models"},
        space("dtmi:cli:Clean;1"),
    )
    assert main(["import", str(source), "--database-url", url]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(SUMMARY.format("1 models, 0 twins and 0 relationships", ""), out)
    assert err == ""  # no progress line: stderr is not a terminal


def test_a_refused_file_exits_1_with_its_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.ndjson", {"Section": "Header"}, {"fileVersion": "9"})
    assert main(["import", str(source), "--database-url", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == 'ValidationFailed: Line 2: fileVersion "9" is not supported (only 1.0.0)\n'


def test_a_file_that_cannot_be_opened_exits_2(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "missing.ndjson"), "--database-url", url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("adtquery import: ")
    assert "No such file or directory" in err
