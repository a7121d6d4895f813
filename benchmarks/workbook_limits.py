"""Time and peak memory of reading tiny workbooks with an enormous extent, as a delivery is read.

    python benchmarks/workbook_limits.py [--runs 5] [--json FILE]

Each case is the 2024-Q3 sample border-crossings workbook (mtm_pipeline/sample_workbooks.py) edited as
mtm_pipeline_tests/robustness/extreme_workbooks.py describes. Every run reads the file in a fresh process
(`sources.workbook.read_delivery`, what ingest calls); wall time is measured inside that process around
the read, peak RSS is the process's high-water mark (VmHWM). The figures printed are medians over
the runs; "baseline" is a process that only imports the reader. Target: under 500 MB and 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PEAK = 'print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))'
READ = (
    """
import sys, time
from pathlib import Path
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.sources.workbook import read_delivery
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    outcome = f"read {len(read_delivery(path, SOURCES['border_crossings'], '2024-Q3', path.name).frame)} rows"
except ExtractError as error:
    outcome = "refused: " + str(error).splitlines()[1].strip()[:110]
print(time.perf_counter() - started)
print(outcome)
"""
    + PEAK
)
BASELINE = f"import mtm_pipeline.sources.workbook\nprint(0)\nprint('imported')\n{PEAK}"


def _run(code: str, *args: str) -> tuple[float, float, str]:
    """(seconds as the child measured them, peak RSS in MB, outcome line) of one child process. The peak
    is the process's own high-water mark (VmHWM): the rusage of a forked child would start from the
    parent's."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    output = child.stdout.read().splitlines()
    status = child.wait()
    child.stdout.close()
    if status != 0 or len(output) != 3:
        raise SystemExit(f"the reading process failed (status {status}): {output}")
    return float(output[0]), int(output[2]) / 1024, output[1]


def _cases(folder: Path) -> dict[str, Path]:
    # Imported here: the package is importable only once REPO is on sys.path (above).
    from mtm_pipeline import sample_workbooks
    from mtm_pipeline.sources.xlsx_cells import MAX_ROWS
    from mtm_pipeline_tests.robustness import extreme_workbooks

    sample = sample_workbooks.border_crossings(folder / "sample.xlsx", "2024-Q3")
    cases = {"sample (as delivered)": sample}
    for name, change in extreme_workbooks.CASES.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(sample.read_bytes())
        change(path)
        cases[name] = path
    for name, change in (
        (f"{MAX_ROWS:,} formatted empty rows (the most taken)", extreme_workbooks.million_empty_rows),
        (f"{MAX_ROWS:,} rows of 26 numbers (the most rows taken, dense)", extreme_workbooks.dense_rows),
    ):
        path = folder / f"{len(cases)}.xlsx"
        path.write_bytes(sample.read_bytes())
        change(path, rows=MAX_ROWS)
        cases[name] = path
    return cases


def main(argv: list[str] | None = None) -> None:
    """Measure every case `--runs` times and print a Markdown table of the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    baseline = statistics.median(_run(BASELINE)[1] for _ in range(options.runs))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name, path in _cases(Path(folder)).items():
            runs = [_run(READ, str(path)) for _ in range(options.runs)]
            results.append(
                {
                    "case": name,
                    "file_bytes": path.stat().st_size,
                    "seconds_median": round(statistics.median(r[0] for r in runs), 3),
                    "peak_rss_mb_median": round(statistics.median(r[1] for r in runs), 1),
                    "outcome": runs[0][2],
                }
            )
    print(f"baseline (import only): peak RSS {baseline:.1f} MB; medians of {options.runs} runs\n")
    print("| case | file | time (s) | peak RSS (MB) | outcome |\n|---|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['case']} | {r['file_bytes']:,} B | {r['seconds_median']} | {r['peak_rss_mb_median']} | "
            f"{r['outcome']} |"
        )
    if options.json:
        options.json.write_text(json.dumps({"baseline_mb": baseline, "results": results}, indent=2))


if __name__ == "__main__":
    main()
