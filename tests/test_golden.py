"""Every golden case compiles to exactly its recorded Cypher, parameters and errors."""

from __future__ import annotations

import pytest

from tests.golden import GOLDEN_DIR, Case, expected, read_cases, write_cases

FILES = sorted(GOLDEN_DIR.glob("*.golden"))
CASES = [case for path in FILES for case in read_cases(path)]


def test_golden_files_exist() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    if update_golden:
        pytest.skip("golden files are being rewritten")
    assert case.sections == expected(case)


def test_titles_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.fixture(scope="session", autouse=True)
def _rewrite(update_golden: bool) -> None:
    if update_golden:
        for path in FILES:
            write_cases(path, read_cases(path))
