"""Benchmarks of the MTM pipeline at scale; prints a Markdown table of medians (see benchmarks/README.md).

    .venv/bin/python benchmarks/run.py [quarter] [backfill] [records] [--runs 5] [--rows 10000000]

quarter   One quarter end to end (every asset, check and report) through the Dagster command line with a
          persistent instance, against the floor of importing the libraries that run imports.
backfill  Forty quarters of the synthetic history: one single-run backfill through the Dagster command
          line (--partition-range), the same command for the first quarter alone (the cost of each added
          quarter is the difference over 39), and forty separate runs
          (python -m mtm_pipeline.cli run --separate).
records   Ten million record-level crossings (Parquet and CSV) validated and aggregated by
          mtm_pipeline.record_level, against a bare DuckDB GROUP BY and against pandas + pandera.

Every timed command runs in a fresh process on fresh copies of the data (nothing in data/ is touched);
wall time and peak RSS are taken per process (os.wait4). Before each timed run the runner waits until the
machine is idle (other processes below --idle-busy of the CPUs, sampled over one second; at most
--idle-wait seconds) and records how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON = str(Path(sys.executable))
# The third-party libraries a quarter's run imports (python -X importtime of the command below).
FLOOR_IMPORTS = (
    "dagster, pandas, pandera.pandas, duckdb, pycountry, great_expectations, matplotlib.figure, "
    "matplotlib.backends.backend_agg, fpdf, openpyxl"
)
QUARTER = "2024-Q1"
SEED = 42
FIRST, LAST = "2015-Q1", "2024-Q4"


# --- measuring -------------------------------------------------------------------------------------------


def cpu_busy(sample: float = 1.0) -> float:
    """Fraction of all CPUs busy over `sample` seconds (from /proc/stat)."""

    def read() -> tuple[int, int]:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    total1, idle1 = read()
    time.sleep(sample)
    total2, idle2 = read()
    return 1.0 - (idle2 - idle1) / max(1, total2 - total1)


def wait_for_idle(args) -> float:
    deadline = time.monotonic() + args.idle_wait
    busy = cpu_busy()
    while busy > args.idle_busy and time.monotonic() < deadline:
        time.sleep(4)
        busy = cpu_busy()
    return busy


def run_reaped(cmd: list[str], env: dict, args, *, cwd: Path = REPO, check: bool = True) -> dict:
    """Run cmd in a new process (output to temporary files) and reap it with os.wait4, so that its own
    rusage is known: wall seconds, peak RSS (MB) of that process and its output."""
    busy = wait_for_idle(args)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return {
        "wall_s": wall,
        "max_rss_mb": usage.ru_maxrss / 1024,
        "busy_before": busy,
        "returncode": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def base_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTM_", "DAGSTER_"))}
    env.update(GX_ANALYTICS_ENABLED="false", DAGSTER_DISABLE_TELEMETRY="1", PYTHONHASHSEED="0")
    env.update(extra)
    return env


def fresh_instance(root: Path) -> Path:
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def instance_runs(home: Path, args) -> list[dict]:
    result = run_reaped(
        [PYTHON, str(REPO / "benchmarks" / "instance_stats.py")], base_env(DAGSTER_HOME=str(home)), args
    )
    return json.loads(result["stdout"])


def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", handle.read()).group(1))
    versions = {name: metadata.version(name) for name in ("dagster", "duckdb", "pandas", "pandera")}
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


# --- a. one quarter end to end ------------------------------------------------------------------------------


def bench_quarter(args, work: Path) -> dict:
    cli = [
        str(BIN / "dagster"),
        "asset",
        "materialize",
        "-m",
        "mtm_pipeline.definitions",
        "--select",
        "*",
        "--partition",
        QUARTER,
    ]
    floor_cmd = [PYTHON, "-c", f"import {FLOOR_IMPORTS}"]
    runs, floors = [], []
    for i in range(args.runs + 1):  # the first of each is a warm-up (file cache, .pyc), not counted
        root = work / f"quarter-{i}"
        data = root / "data"
        shutil.copytree(REPO / "data" / "raw", data / "raw")
        if (REPO / "data" / "corrections").exists():
            shutil.copytree(REPO / "data" / "corrections", data / "corrections")
        home = fresh_instance(root)
        env = base_env(MTM_DATA_DIR=str(data), DAGSTER_HOME=str(home))
        add = (
            "import dagster as dg; from mtm_pipeline.partitions import QUARTERS_NAME; "
            f"dg.DagsterInstance.get().add_dynamic_partitions(QUARTERS_NAME, ['{QUARTER}'])"
        )
        subprocess.run([PYTHON, "-c", add], cwd=REPO, env=env, check=True)
        result = run_reaped(cli, env, args)
        stats = instance_runs(home, args)
        assert len(stats) == 1 and stats[0]["status"] == "SUCCESS", stats
        result["steps"] = stats[0]["steps"]
        result["run_s"] = stats[0]["end"] - stats[0]["start"]
        floor = run_reaped(floor_cmd, base_env(), args)
        if i:
            runs.append(result)
            floors.append(floor)
        shutil.rmtree(root, ignore_errors=True)
        print(f"  quarter run {i}: {result['wall_s']:.2f} s (floor {floor['wall_s']:.2f} s)", file=sys.stderr)
    steps = sorted({k for r in runs for k in r["steps"]})
    return {
        "command": " ".join(cli[1:]),
        "floor_command": f'python -c "import {FLOOR_IMPORTS}"',
        "wall_s": [r["wall_s"] for r in runs],
        "run_s": [r["run_s"] for r in runs],
        "floor_s": [f["wall_s"] for f in floors],
        "max_rss_mb": [r["max_rss_mb"] for r in runs],
        "busy_before": [r["busy_before"] for r in runs],
        "steps_median_s": {k: median(r["steps"].get(k) for r in runs) for k in steps},
    }


# --- b. forty quarters --------------------------------------------------------------------------------------


ADD_PARTITIONS = (
    "import dagster as dg; from mtm_pipeline.partitions import QUARTERS_NAME; "
    "from mtm_pipeline.periods import quarter_range; "
    f"dg.DagsterInstance.get().add_dynamic_partitions(QUARTERS_NAME, quarter_range('{FIRST}', '{LAST}'))"
)


def synthetic_history(work: Path) -> Path:
    """Generate the synthetic raw deliveries FIRST..LAST (fixed seed) under work/synthetic."""
    history = work / "synthetic"
    subprocess.run(
        [
            PYTHON,
            "-m",
            "mtm_pipeline.synthetic",
            "--out",
            str(history),
            "--first",
            FIRST,
            "--last",
            LAST,
            "--seed",
            str(SEED),
        ],
        cwd=REPO,
        env=base_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return history


def quarter_asset_keys() -> str:
    """The keys of the per-quarter assets, comma-separated (for `dagster asset materialize --select`)."""
    return subprocess.run(
        [
            PYTHON,
            "-c",
            (
                "from mtm_pipeline.definitions import quarter_assets; "
                "print(','.join(a.key.to_user_string() for a in quarter_assets))"
            ),
        ],
        cwd=REPO,
        env=base_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def backfill_variants(args, keys: str) -> dict[str, list[str]]:
    """The backfill commands selected by --backfill-variants: one run over the range, its first quarter
    alone, or one run per quarter."""
    materialize = [
        str(BIN / "dagster"),
        "asset",
        "materialize",
        "-m",
        "mtm_pipeline.definitions",
        "--select",
        keys,
    ]
    variants = {
        "single": [*materialize, "--partition-range", f"{FIRST}...{LAST}"],
        "single_first_quarter": [*materialize, "--partition", FIRST],
        "separate": [PYTHON, "-m", "mtm_pipeline.cli", "run", "--separate"],
    }
    return {name: cmd for name, cmd in variants.items() if name in args.backfill_variants.split(",")}


def backfill_once(args, work: Path, history: Path, name: str, cmd: list[str], i: int) -> dict:
    """Run one backfill variant on a fresh copy of the history and instance; its timings and runs."""
    root = work / f"backfill-{name}-{i}"
    data = root / "data"
    shutil.copytree(history / "raw", data / "raw")
    home = fresh_instance(root)
    env = base_env(MTM_DATA_DIR=str(data), DAGSTER_HOME=str(home))
    if name.startswith("single"):
        subprocess.run([PYTHON, "-c", ADD_PARTITIONS], cwd=REPO, env=env, check=True)
    result = run_reaped(cmd, env, args, check=False)
    runs = instance_runs(home, args)
    result["runs"] = len(runs)
    result["failed_runs"] = [r["partition"] or "range" for r in runs if r["status"] != "SUCCESS"]
    result["run_steps_s"] = [r["steps"] for r in runs]
    quarter_runs = [r for r in runs if r["partition"]]
    result["per_quarter_s"] = [r["end"] - r["start"] for r in quarter_runs if r["end"] and r["start"]]
    del result["stdout"], result["stderr"]
    shutil.rmtree(root, ignore_errors=True)
    print(
        f"  backfill {name} {i}: {result['wall_s']:.1f} s, {len(runs)} runs, failed {result['failed_runs']}",
        file=sys.stderr,
    )
    return result


def bench_backfill(args, work: Path) -> dict:
    """Each selected backfill variant over the synthetic history, --runs times."""
    history = synthetic_history(work)
    variants = backfill_variants(args, quarter_asset_keys())
    out: dict = {f"{name}_command": " ".join(cmd[1:]) for name, cmd in variants.items()}
    for name, cmd in variants.items():
        out[name] = [backfill_once(args, work, history, name, cmd, i) for i in range(args.runs)]
    return out


# --- c. ten million record-level crossings ----------------------------------------------------------------


def bench_records(args, work: Path) -> dict:
    parquet_root = work / "records"
    subprocess.run(
        [
            PYTHON,
            "-m",
            "mtm_pipeline.synthetic",
            "--out",
            str(parquet_root),
            "--first",
            "2024-Q4",
            "--last",
            "2024-Q4",
            "--seed",
            str(SEED),
            "--record-level-rows",
            str(args.rows),
        ],
        cwd=REPO,
        env=base_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    parquet = parquet_root / "raw" / "2024-Q4" / "border_crossing_records.parquet"
    csv = work / "records-csv" / "2024-Q4" / "border_crossing_records.csv"
    csv.parent.mkdir(parents=True)
    convert = (
        "import duckdb; con = duckdb.connect(); con.execute('SET enable_progress_bar = false'); "
        f"con.execute(\"COPY (SELECT * FROM read_parquet('{parquet}')) "
        f"TO '{csv}' (FORMAT csv, HEADER true)\")"
    )
    subprocess.run([PYTHON, "-c", convert], cwd=REPO, env=base_env(), check=True)
    out: dict = {"rows": args.rows, "files": {}}
    for fmt, path in (("parquet", parquet), ("csv", csv)):
        out["files"][fmt] = {"path_size_mb": path.stat().st_size / 1e6, "methods": {}}
        for method in ("bare", "record_level", "pandas"):
            runs = []
            for i in range(args.runs):
                cmd = [
                    PYTHON,
                    str(REPO / "benchmarks" / "records_worker.py"),
                    "--method",
                    method,
                    "--path",
                    str(path),
                ]
                result = run_reaped(cmd, base_env(), args)
                result.update(json.loads(result.pop("stdout").strip().splitlines()[-1]))
                del result["stderr"]
                runs.append(result)
                print(
                    f"  records {fmt} {method} {i}: first {result['first_s']:.2f} s, "
                    f"second {result['second_s']:.2f} s, "
                    f"rss {result['max_rss_mb']:.0f} MB",
                    file=sys.stderr,
                )
            out["files"][fmt]["methods"][method] = runs
        digests = {r["digest"] for m in out["files"][fmt]["methods"].values() for r in m}
        assert len(digests) == 1, f"the methods disagree on {fmt}: {digests}"
    return out


# --- the table ---------------------------------------------------------------------------------------------


def _s(x: float) -> str:
    return f"{x:.2f} s"


def table(results: dict) -> str:
    """The Markdown results table: the machine, then one row per benchmark run."""
    m = results["machine"]
    lines = [
        (
            f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}; "
            f"Python {m['python']}, dagster {m['dagster']}, duckdb {m['duckdb']}, pandas {m['pandas']}, "
            f"pandera {m['pandera']}. Medians of {results['runs']} runs."
        ),
        "",
        "| Benchmark | Measured (median) | Limit / comparison (median) | Target | Met? |",
        "|---|---|---|---|---|",
    ]
    if "quarter" in results:
        lines.append(_quarter_row(results["quarter"]))
    if "backfill" in results:
        lines.append(_backfill_row(results["backfill"]))
    if "records" in results:
        lines += _records_rows(results["records"])
    return "\n".join(lines)


def _quarter_row(q: dict) -> str:
    """Table row a: one quarter end to end against the import floor."""
    wall, floor = median(q["wall_s"]), median(q["floor_s"])
    ratio = wall / floor
    return (
        f"| a. One quarter end to end ({QUARTER}, all assets, checks, reports; "
        "Dagster CLI, persistent instance) "
        f"| {_s(wall)} (run itself {_s(median(q['run_s']))}; peak RSS {median(q['max_rss_mb']):.0f} MB) "
        f"| import floor {_s(floor)}; ratio {ratio:.1f}x | <= 10 s and <= 3x floor "
        f"| {'yes' if wall <= 10 else f'no: +{wall - 10:.1f} s'} / "
        f"{'yes' if ratio <= 3 else f'no: {ratio:.1f}x'} |"
    )


def _backfill_row(b: dict) -> str:
    """Table row b: the 40-quarter single-run backfill against its first quarter alone."""
    single = median(r["wall_s"] for r in b["single"])
    one = median(r["wall_s"] for r in b["single_first_quarter"])
    added = (single - one) / 39
    separate = median(r["wall_s"] for r in b["separate"]) if b.get("separate") else float("nan")
    return (
        f"| b. 40 quarters (synthetic {FIRST}..{LAST}) as one single-run backfill, "
        "Dagster CLI `--partition-range` "
        f"| {_s(single)} (peak RSS {median(r['max_rss_mb'] for r in b['single']):.0f} MB) "
        f"| the same command for {FIRST} alone {_s(one)} (ratio {single / one:.1f}x): each added quarter "
        f"{_s(added)}; "
        f"40 separate runs (`cli run --separate`) {_s(separate)} "
        f"| <= 60 s in all, <= 1 s per added quarter "
        f"| {'yes' if single <= 60 else f'no: +{single - 60:.1f} s'} / "
        f"{'yes' if added <= 1 else f'no: +{added - 1:.2f} s'} |"
    )


def _records_rows(r: dict) -> list[str]:
    """Table rows c: record-level validation and aggregation, one row per file format."""
    rows = []
    for fmt, f in r["files"].items():
        methods = f["methods"]
        bare = {k: median(x[k] for x in methods["bare"]) for k in ("first_s", "second_s")}
        mine = {k: median(x[k] for x in methods["record_level"]) for k in ("first_s", "second_s")}
        pandas = {k: median(x[k] for x in methods["pandas"]) for k in ("first_s", "second_s")}
        rss = {k: median(x["max_rss_mb"] for x in v) for k, v in methods.items()}
        vs_bare = mine["second_s"] / bare["second_s"]
        vs_bare_first = mine["first_s"] / bare["first_s"]
        speedup = pandas["second_s"] / mine["second_s"]
        rows.append(
            f"| c. {r['rows'] / 1e6:g} M crossings, {fmt} ({f['path_size_mb']:.0f} MB): "
            "record_level validate + aggregate "
            f"| {_s(mine['second_s'])} (first call in process {_s(mine['first_s'])}); "
            f"peak RSS {rss['record_level']:.0f} MB "
            f"| bare GROUP BY {_s(bare['second_s'])} "
            f"(first {_s(bare['first_s'])}, {rss['bare']:.0f} MB); "
            f"pandas + pandera {_s(pandas['second_s'])} ({rss['pandas']:.0f} MB) "
            f"| <= 2x bare; >= 5x faster than pandas; <= 1 GB "
            f"| {'yes' if vs_bare <= 2 else 'no'} ({vs_bare:.1f}x; first call {vs_bare_first:.1f}x) / "
            f"{'yes' if speedup >= 5 else 'no'} ({speedup:.0f}x) / "
            f"{'yes' if rss['record_level'] <= 1024 else 'no'} |"
        )
    return rows


def details(results: dict) -> str:
    """Where the time goes: step durations of the quarter run, and of the first and last backfill quarters."""
    lines = []
    if "quarter" in results:
        steps = results["quarter"]["steps_median_s"]
        lines.append(
            "Quarter run, median seconds per step: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
        )
        busy = results["quarter"]["busy_before"]
        lines.append(f"Quarter run: other load before the runs {min(busy):.0%}..{max(busy):.0%} of the CPUs")
    if "backfill" in results:
        for name in ("single", "single_first_quarter", "separate"):
            runs = results["backfill"].get(name) or []
            if name.startswith("single") and runs and all(len(r["run_steps_s"]) == 1 for r in runs):
                keys = sorted({k for r in runs for k in r["run_steps_s"][0]})
                shown = ", ".join(
                    f"{k} {median(r['run_steps_s'][0].get(k) or 0 for r in runs):.2f}" for k in keys
                )
                lines.append(f"Backfill ({name}), median seconds per step: {shown}")
            per = [r["per_quarter_s"] for r in runs if r.get("per_quarter_s")]
            if per:
                n = min(len(p) for p in per)
                per_q = [median(p[i] for p in per) for i in range(n)]
                lines.append(
                    f"Backfill ({name}): per quarter run median {median(per_q):.2f} s, "
                    f"first {per_q[0]:.2f} s, "
                    f"last {per_q[-1]:.2f} s, growth {_slope(per_q) * 1000:.0f} ms per earlier quarter"
                )
            if runs:
                busy = [r["busy_before"] for r in runs]
                lines.append(
                    f"Backfill ({name}): other load before the runs {min(busy):.0%}..{max(busy):.0%}"
                )
    if "records" in results:
        for fmt, f in results["records"]["files"].items():
            for method, runs in f["methods"].items():
                busy = [r["busy_before"] for r in runs]
                lines.append(
                    f"Records {fmt} {method}: process wall "
                    f"{median(r['wall_s'] for r in runs):.2f} s (imports "
                    f"{median(r['import_s'] for r in runs):.2f} s); other load before the runs "
                    f"{min(busy):.0%}..{max(busy):.0%}"
                )
    return "\n".join(lines)


def _slope(values: list[float]) -> float:
    """Least-squares slope of values against their index (seconds per quarter already loaded)."""
    n = len(values)
    if n < 2:
        return float("nan")
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="*", help="quarter, backfill, records (default: all three)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="scratch folder (default: a new temporary one)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement to this file")
    parser.add_argument(
        "--table-from", type=Path, default=None, help="print the table of a --json file and exit"
    )
    parser.add_argument(
        "--backfill-variants",
        default="single,single_first_quarter,separate",
        help="which of b's variants to run (comma-separated)",
    )
    parser.add_argument("--idle-busy", type=float, default=0.25, help="max fraction of CPU busy before a run")
    parser.add_argument("--idle-wait", type=float, default=300, help="max seconds to wait for that")
    args = parser.parse_args()
    if args.table_from:
        loaded = json.loads(args.table_from.read_text())
        print(table(loaded) + "\n\n" + details(loaded))
        return 0
    chosen = args.benchmarks or ["records", "backfill", "quarter"]
    unknown = sorted(set(chosen) - {"quarter", "backfill", "records"})
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="mtm-bench-", dir=args.workdir))
    results: dict = {"machine": machine(), "runs": args.runs, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        for name in chosen:
            print(f"{name} ...", file=sys.stderr)
            results[name] = {"quarter": bench_quarter, "backfill": bench_backfill, "records": bench_records}[
                name
            ](args, work)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(results) + "\n\n" + details(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
