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
  lark    parser().parse(text): Lark's own LALR parse to a tree, the floor under `cold`.
  cold/lark  ratio of the p50s: how much our transform, analysis and generation add to the parse.
Each figure runs after a warm-up pass, with the garbage collector off during timed loops.

Process start: a fresh interpreter times `import adtquery.compiler`, building the Lark parser
(lark's cache=True: the parse table is loaded from a temp file after the very first build) and the
first compile_query. Run 5 times, medians reported; interpreter start-up itself is left out.

Run: .venv/bin/python benchmarks/compile_latency.py [--repeat N]   (N rounds for cold, default 200)
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
from adtquery.grammar import parser

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "adt-doc-queries.jsonl"
CLASSES = ("select-scan", "functions", "join", "match", "count")
FUNCTION_CALL = re.compile(r"\b(IS_\w+|STARTSWITH|ENDSWITH|CONTAINS|ARRAY_CONTAINS)\(")
BATCH = 100  # cached calls per timing
CHILD = """import time
t0 = time.perf_counter_ns()
from adtquery.compiler import compile_query
from adtquery.grammar import parser
t1 = time.perf_counter_ns()
parser()
t2 = time.perf_counter_ns()
compile_query("SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'a'")
print(t1 - t0, t2 - t1, time.perf_counter_ns() - t2)
"""


def classify(text: str) -> str:
    canonical = compile_query(text).canonical
    where = canonical.partition(" WHERE ")[2]
    if "COUNT()" in canonical:
        return "count"
    if " MATCH " in canonical:
        return "match"
    if " JOIN " in canonical:
        return "join"
    return "functions" if FUNCTION_CALL.search(where) else "select-scan"


def time_calls(texts: list[str], rounds: int, call, before=None, batch: int = 1) -> list[float]:
    """Microseconds per call of `call(text)`, every text `rounds` times; `before` runs untimed."""
    for text in texts:  # warm-up
        before and before()
        call(text)
    samples, clock = [], time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for text in texts:
                before and before()
                start = clock()
                for _ in range(batch):
                    call(text)
                samples.append((clock() - start) / batch / 1000)
    finally:
        gc.enable()
    return samples


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def process_start(runs: int = 5) -> list[float]:
    """Median ms of the import, the parser build and the first compile, in fresh interpreters."""
    times = [
        subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(runs)
    ]
    return [statistics.median(int(t[i]) / 1e6 for t in times) for i in range(3)]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--repeat", type=int, default=200, help="rounds over the corpus (cold)")
    args = cli.parse_args()
    lines = (json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line)
    texts = [row["query"] for row in lines if row.get("valid") is True]
    groups = {name: [] for name in CLASSES}
    for text in texts:
        groups[classify(text)].append(text)
    groups["all"] = texts
    lark = parser()

    print(
        f"{len(texts)} queries ({len(set(texts))} distinct) from {CORPUS.name}, "
        f"cold/lark {args.repeat} rounds, cached {args.repeat * 5} x {BATCH} calls\n"
    )
    print(
        "| class | queries | cold p50 | cold p99 | cached p50 | cached p99 "
        "| lark p50 | lark p99 | cold/lark p50 |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, group in groups.items():
        cold = time_calls(group, args.repeat, compile_query, before=compile_query.cache_clear)
        for text in group:
            compile_query(text)
        cached = time_calls(group, args.repeat * 5, compile_query, batch=BATCH)
        parse = time_calls(group, args.repeat, lark.parse)
        row = [pct(s, q) for s in (cold, cached, parse) for q in (50, 99)]
        cells = " | ".join(f"{v:.2f}" if v < 10 else f"{v:.0f}" for v in row)
        print(f"| {name} | {len(group)} | {cells} | {row[0] / row[4]:.1f}x |")
    print("\nmicroseconds per call")

    imported, built, first = process_start()
    print(
        f"\nprocess start (median of 5 fresh interpreters, ms): import adtquery.compiler "
        f"{imported:.0f} + build Lark parser {built:.0f} + first compile_query {first:.1f} "
        f"= {imported + built + first:.0f}"
    )


if __name__ == "__main__":
    main()
