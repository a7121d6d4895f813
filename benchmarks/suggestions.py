"""Benchmark: suggested corrections for one stage of one quarter (the search, ranking and evidence).

    .venv/bin/python benchmarks/suggestions.py [--runs 7] [--quarter 2024-Q1] [--json FILE]
    .venv/bin/python benchmarks/suggestions.py --synthetic-history [--runs 7]
    .venv/bin/python benchmarks/suggestions.py --synthetic-history --interacting [--runs 7]

Default: reads the quarter's extracts from data/raw (read-only), conforms them as the delivered stage does,
evaluates the rules once, then times `suggest_corrections` on the delivered stage (with its findings given,
as the pipeline calls it) and, for comparison, one full evaluation of every rule. Prints the median, min
and max of --runs runs (after one warm-up run), the candidates tried and the machine's load average.

--synthetic-history: the same on 2024-Q4 of a synthetic history 2015-Q1..2024-Q4 (mtm_pipeline.synthetic,
seed 42, written to a temporary folder), with the other 39 quarters as history and three transcription
errors injected (a permit count with one digit wrong, a remittance change with its sign lost, the values of
the two largest emigration destinations swapped).

--interacting (with --synthetic-history): instead, three interacting errors in one table, which no single
edit explains (the set search runs): in the permits by country of the CIS group, the shares of the
largest and the third largest country swapped, the group's total with its first digit wrong, and the count
of the fourth largest country with two digits transposed.
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


def _synthetic(interacting: bool) -> tuple:
    """2024-Q4 of a 40-quarter synthetic history with three injected errors, and the other quarters."""
    import tempfile

    import pandas as pd

    from mtm_pipeline import synthetic
    from mtm_pipeline.checks.rules import prepare_history
    from mtm_pipeline.conform import conform
    from mtm_pipeline.countries import country_mapper
    from mtm_pipeline.ingest import read_validated_extract
    from mtm_pipeline.periods import quarter_range
    from mtm_pipeline.settings import DataPaths
    from mtm_pipeline.sources import SOURCES

    root = Path(tempfile.mkdtemp(prefix="mtm-bench-"))
    synthetic.generate(root, "2015-Q1", "2024-Q4", 42)
    mapper = country_mapper()

    def load(quarter: str) -> pd.DataFrame:
        extracts = [read_validated_extract(DataPaths(root), quarter, spec) for spec in SOURCES.values()]
        return conform(pd.concat([e.rows for e in extracts if e is not None]), mapper).reset_index(drop=True)

    quarters = quarter_range("2015-Q1", "2024-Q4")
    history = prepare_history(pd.concat([load(q).assign(stage="corrected") for q in quarters[:-1]]))
    frame = load(quarters[-1])
    (_interacting if interacting else _independent)(frame)
    return frame, history, quarters[-1]


def _first_digit_wrong(value: float) -> float:
    digits = str(int(value))
    return float(str(int(digits[0]) % 9 + 1) + digits[1:])


def _independent(frame) -> None:
    """A permit count with one digit wrong, a remittance change with its sign lost, the values of the two
    largest emigration destinations swapped (three findings' groups, one error each)."""
    permits = frame[
        (frame["source"] == "residence_permits") & frame["share"].notna() & frame["value"].notna()
    ]
    at = permits.index[0]
    frame.loc[at, "value"] = _first_digit_wrong(frame.loc[at, "value"])
    change = frame.index[(frame["source"] == "remittances") & frame["change"].notna()][0]
    frame.loc[change, "change"] = -frame.loc[change, "change"]
    ranked = frame[(frame["source"] == "emigration") & frame["rank"].notna()].sort_values("rank")
    a, b = ranked.index[0], ranked.index[1]
    frame.loc[a, "value"], frame.loc[b, "value"] = frame.loc[b, "value"], frame.loc[a, "value"]


def _interacting(frame) -> None:
    """Three interacting errors in one complete breakdown of permits by country (see the module's doc)."""
    parts = frame[
        (frame["source"] == "residence_permits")
        & frame["country_iso3"].notna()
        & frame["share"].notna()
        & frame["parts_complete"].fillna(False).astype(bool)
    ].sort_values("value", ascending=False)
    parts = parts[parts["part_of"] == parts.iloc[0]["part_of"]]
    a, _, c, d = parts.index[:4]
    total = frame.index[frame["obs_id"] == parts.iloc[0]["part_of"]][0]
    frame.loc[a, "share"], frame.loc[c, "share"] = frame.loc[c, "share"], frame.loc[a, "share"]
    frame.loc[total, "value"] = _first_digit_wrong(frame.loc[total, "value"])
    digits = str(int(frame.loc[d, "value"]))
    i = next(i for i in range(len(digits) - 1) if digits[i] != digits[i + 1])
    frame.loc[d, "value"] = float(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])


def _timed(call, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run (the CPU time of this process is less sensitive to other
    jobs on a shared machine than the wall clock)."""
    call()  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def _print(report: dict, result) -> None:
    """The suggestions ranked first, then the timings, as read in benchmarks/README.md."""
    med = statistics.median
    suggest, cpu, rules = (
        report["suggest_seconds"],
        report["suggest_cpu_seconds"],
        report["evaluate_rules_seconds"],
    )
    for s in result.suggestions:
        if s.rank == 1:
            print(f"  {s.suggestion_id} {s.kind}: {s.description} (clears {len(s.cleared)})")
    print(
        f"{report['quarter']}: {report['rows']} rows, {report['history_rows']} history rows, "
        f"{report['findings_failed']} failing findings -> {report['suggestions']} suggestions "
        f"({report['sets']} sets), {report['unexplained']} unexplained, "
        f"{report['candidates_tried']} candidate edits tried"
    )
    print(
        f"suggest_corrections: median {med(suggest):.3f} s (min {min(suggest):.3f}, max {max(suggest):.3f}) "
        f"over {report['runs']} runs"
    )
    print(f"  CPU time:          median {med(cpu):.3f} s (min {min(cpu):.3f}, max {max(cpu):.3f})")
    off = (
        "off (--max-set-size 1)"
        if report["max_set_size"] == 1
        else "not run (single edits explain every group)"
    )
    print(f"set search (last run): {result.set_search or off}")
    print(f"evaluate_rules:      median {med(rules):.4f} s (min {min(rules):.4f}, max {max(rules):.4f})")
    load = report["load_average_before_after"]
    print(f"load average (1 min) before/after: {load[0]:.2f} / {load[1]:.2f} on {report['cpus']} CPUs")


def main(argv: list[str] | None = None) -> int:
    """Time the suggestion search on the chosen stage (see the module's doc); print, and write --json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quarter", default="2024-Q1")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--synthetic-history", action="store_true")
    parser.add_argument("--interacting", action="store_true", help="three interacting errors in one table")
    parser.add_argument("--max-set-size", type=int, default=3, help="1: single edits only (no set search)")
    args = parser.parse_args(argv)

    from mtm_pipeline.checks.rules import evaluate_rules
    from mtm_pipeline.checks.suggest import suggest_corrections

    if args.synthetic_history:
        frame, history, args.quarter = _synthetic(args.interacting)
    else:
        frame, history = _delivered(args.quarter), None
    findings = evaluate_rules(frame, history)
    bounds = {"quarter": args.quarter, "max_set_size": args.max_set_size}
    result = suggest_corrections(frame, history, findings, **bounds)
    load_before = os.getloadavg()
    suggest, suggest_cpu = _timed(lambda: suggest_corrections(frame, history, findings, **bounds), args.runs)
    rules, _ = _timed(lambda: evaluate_rules(frame, history), args.runs)
    load_after = os.getloadavg()
    report = {
        "quarter": args.quarter,
        "rows": len(frame),
        "history_rows": len(history or []),
        "findings_failed": sum(1 for f in findings if not f.passed),
        "suggestions": len(result.suggestions),
        "unexplained": len(result.unexplained),
        "candidates_tried": result.candidates_tried,
        "stopped_early": result.stopped_early,
        "set_search": result.set_search,
        "sets": sum(1 for s in result.suggestions if s.kind == "set"),
        "max_set_size": args.max_set_size,
        "runs": args.runs,
        "suggest_seconds": suggest,
        "suggest_cpu_seconds": suggest_cpu,
        "evaluate_rules_seconds": rules,
        "load_average_before_after": [load_before[0], load_after[0]],
        "cpus": os.cpu_count(),
    }
    _print(report, result)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
