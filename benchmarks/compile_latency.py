"""Compile latency of adtquery on the ADT documentation queries.

Corpus: every `"valid": true` line of /work/shared/adt-doc-queries.jsonl (duplicates kept, so the
mix weighs queries as the docs do), grouped by the canonical text of the compiled query into
count (COUNT()), match (MATCH), join (JOIN), functions (IS_* / STARTSWITH / ENDSWITH / CONTAINS /
ARRAY_CONTAINS in WHERE) and select-scan (the rest: one collection, plain or no WHERE); the first
of these that applies wins.

Per class, p50 and p99 in microseconds of one call:
  cold    compile_query(text) right after compile_query.cache_clear(): the full parse -> transform
          -> analyze -> Cypher + paged SQL generation. The Lark parser object stays built (built
          once per process by adtquery.grammar.parser), so this is not process start-up.
  cached  compile_query(text) with the LRU cache warm: hashing the text and a dict hit. The text
          object is reused, so its hash is already cached; timed in batches of 100 calls because
          one call is shorter than the timer's resolution.
  lark    lark_parser().parse(text): Lark's own LALR parse to a tree, the floor under `cold`. Timed
          right before each cold call of the same text, so both see the same machine load.
  cold/lark  ratio of the p50s: how much our transform, analysis and generation add to the parse.
Timing starts after a warm-up pass; the garbage collector is off during timed loops (collected
between rounds).

Process start: a fresh interpreter times `import adtquery.compiler`, building the Lark parser
(lark's cache=True: the parse table is loaded from a temp file after the very first build) and the
first compile_query. Run 5 times, medians reported; interpreter start-up itself is left out.

Run: .venv/bin/python benchmarks/compile_latency.py [--repeat N]
(N rounds over the corpus for cold and lark, default 200; 5 N rounds of batches for cached.)
Absolute figures move between runs and machines; compare ratios taken from one run.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from adtquery.compiler import compile_query
from adtquery.grammar import lark_parser

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "adt-doc-queries.jsonl"
CLASSES = ("select-scan", "functions", "join", "match", "count")
FUNCTION_CALL = re.compile(r"\b(IS_\w+|STARTSWITH|ENDSWITH|CONTAINS|ARRAY_CONTAINS)\(")
BATCH = 100  # cached calls per timing
CHILD = """import time
t0 = time.perf_counter_ns()
from adtquery.compiler import compile_query
from adtquery.grammar import lark_parser
t1 = time.perf_counter_ns()
lark_parser()
t2 = time.perf_counter_ns()
compile_query("SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'a'")
print(t1 - t0, t2 - t1, time.perf_counter_ns() - t2)
"""


def classify(text: str) -> str:
    canonical = compile_query(text).canonical
    if "COUNT()" in canonical:
        return "count"
    if " MATCH " in canonical:
        return "match"
    if " JOIN " in canonical:
        return "join"
    where = canonical.partition(" WHERE ")[2]
    return "functions" if FUNCTION_CALL.search(where) else "select-scan"


def measure(texts: list[str], rounds: int) -> tuple[list[list[float]], ...]:
    """Per text, the cold, cached and lark samples in microseconds."""
    lark, clock = lark_parser(), time.perf_counter_ns
    cold, cached, parse = ([[] for _ in texts] for _ in range(3))
    for text in texts:  # warm-up
        lark.parse(text)
        compile_query(text)
    gc.disable()
    try:
        for _ in range(rounds):
            gc.collect()
            for i, text in enumerate(texts):
                compile_query.cache_clear()
                t0 = clock()
                lark.parse(text)
                t1 = clock()
                compile_query(text)
                parse[i].append((t1 - t0) / 1000)
                cold[i].append((clock() - t1) / 1000)
        for text in texts:
            compile_query(text)
        for _ in range(rounds * 5):
            for i, text in enumerate(texts):
                t0 = clock()
                for _ in range(BATCH):
                    compile_query(text)
                cached[i].append((clock() - t0) / BATCH / 1000)
    finally:
        gc.enable()
    return cold, cached, parse


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def process_start(runs: int = 5) -> list[float]:
    """Median ms of the import, the parser build and the first compile, in fresh interpreters."""
    command = [sys.executable, "-c", CHILD]
    times = [
        subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
        for _ in range(runs)
    ]
    return [statistics.median(int(t[i]) / 1e6 for t in times) for i in range(3)]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--repeat", type=int, default=200, help="rounds over the corpus (cold, lark)")
    args = cli.parse_args()
    rows = (json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line)
    texts = [row["query"] for row in rows if row.get("valid") is True]
    samples = measure(texts, args.repeat)
    classes = [classify(text) for text in texts]
    print(
        f"{len(texts)} queries ({len(set(texts))} distinct) from {CORPUS.name}; cold and lark "
        f"{args.repeat} rounds, cached {args.repeat * 5} rounds x {BATCH} calls\n"
    )
    print(
        "| class | queries | cold p50 | cold p99 | cached p50 | cached p99 | lark p50 | lark p99 "
        "| cold/lark p50 |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    )
    for name in (*CLASSES, "all"):
        members = [i for i, c in enumerate(classes) if name in (c, "all")]
        row = [pct([x for i in members for x in kind[i]], q) for kind in samples for q in (50, 99)]
        cells = " | ".join(f"{v:.2f}" if v < 10 else f"{v:.0f}" for v in row)
        print(f"| {name} | {len(members)} | {cells} | {row[0] / row[4]:.1f}x |")
    print("\n(microseconds per call)")
    imported, built, first = process_start()
    print(
        f"\nprocess start, median of 5 fresh interpreters: import adtquery.compiler {imported:.0f}"
        f" ms + build Lark parser {built:.0f} ms + first compile_query {first:.1f} ms"
        f" = {imported + built + first:.0f} ms"
    )


if __name__ == "__main__":
    main()
