"""Benchmark: suggested corrections for one stage of one quarter (the search, ranking and evidence).

    .venv/bin/python benchmarks/suggestions.py [--runs 7] [--quarter 2024-Q1] [--json FILE]

Reads the quarter's extracts from data/raw (read-only), conforms them as the delivered stage does,
evaluates the rules once, then times `suggest_corrections` on the delivered stage (with its findings given,
as the pipeline calls it) and, for comparison, one full evaluation of every rule. Prints the median, min
and max of --runs runs (after one warm-up run), the candidates tried and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _delivered(quarter: str):
    import pandas as pd

    from mtm_pipeline.conform import conform
    from mtm_pipeline.countries import country_mapper
    from mtm_pipeline.ingest import read_validated_extract
    from mtm_pipeline.settings import DataPaths
    from mtm_pipeline.sources import SOURCES

    paths = DataPaths((REPO / "data").absolute())
    extracts = [read_validated_extract(paths, quarter, spec) for spec in SOURCES.values()]
    return conform(pd.concat([e.rows for e in extracts if e is not None]), country_mapper())


def _timed(call, runs: int) -> list[float]:
    call()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quarter", default="2024-Q1")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from mtm_pipeline.checks.rules import evaluate_rules
    from mtm_pipeline.checks.suggest import suggest_corrections

    frame = _delivered(args.quarter)
    findings = evaluate_rules(frame)
    result = suggest_corrections(frame, None, findings, quarter=args.quarter)
    load_before = os.getloadavg()
    suggest = _timed(lambda: suggest_corrections(frame, None, findings, quarter=args.quarter), args.runs)
    rules = _timed(lambda: evaluate_rules(frame), args.runs)
    load_after = os.getloadavg()
    report = {
        "quarter": args.quarter,
        "rows": len(frame),
        "findings_failed": sum(1 for f in findings if not f.passed),
        "suggestions": len(result.suggestions),
        "unexplained": len(result.unexplained),
        "candidates_tried": result.candidates_tried,
        "stopped_early": result.stopped_early,
        "runs": args.runs,
        "suggest_seconds": suggest,
        "evaluate_rules_seconds": rules,
        "load_average_before_after": [load_before[0], load_after[0]],
        "cpus": os.cpu_count(),
    }
    med = statistics.median
    print(
        f"{args.quarter}: {report['rows']} rows, {report['findings_failed']} failing findings -> "
        f"{report['suggestions']} suggestions, {report['unexplained']} unexplained, "
        f"{report['candidates_tried']} candidate edits tried"
    )
    print(f"suggest_corrections: median {med(suggest):.3f} s (min {min(suggest):.3f}, max {max(suggest):.3f}) over {args.runs} runs")
    print(f"evaluate_rules:      median {med(rules):.4f} s (min {min(rules):.4f}, max {max(rules):.4f})")
    print(f"load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
