"""Write the synthetic history to a folder: `python -m mtm_pipeline.synthetic` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mtm_pipeline.periods import parse_quarter_key, quarter_range
from mtm_pipeline.synthetic import counts_only, published
from mtm_pipeline.synthetic.history import History
from mtm_pipeline.synthetic.records import write_records


def _package_doc() -> str:
    import mtm_pipeline.synthetic as package

    return (package.__doc__ or "").split("\n\n")[0]


REPO_DATA = Path(__file__).resolve().parents[2] / "data"
RECORDS_STEM = "border_crossing_records"


def refuse_repository_data(out: Path) -> None:
    """Never write next to the real extracts (the repository's data/ folder)."""
    target, real = out.resolve(), REPO_DATA.resolve()
    if target == real or real in target.parents:
        raise SystemExit(
            f"refusing to write synthetic data to {out}: it overlaps the real data folder {real}"
        )


def generate(
    out: Path,
    first: str,
    last: str,
    seed: int,
    *,
    record_rows: int | None = None,
    record_quarters: list[str] | None = None,
    record_format: str = "parquet",
    counts_only_extracts: bool = False,
) -> dict:
    """Write the synthetic history to out/raw/; returns the manifest (also written to out/synthetic.json).
    counts_only_extracts: write each quarter as agencies deliver it, counts only
    (synthetic/counts_only.py)."""
    refuse_repository_data(out)
    quarters = quarter_range(first, last)
    if not quarters:
        raise SystemExit(f"--first {first} is after --last {last}")
    record_quarters = (record_quarters or [quarters[-1]]) if record_rows else []
    outside = [q for q in record_quarters if q not in quarters]
    if outside:
        raise SystemExit(f"record-level quarters outside {first}..{last}: {', '.join(outside)}")
    if record_rows is not None and record_rows < 2:
        raise SystemExit("--record-level-rows must be at least 2 (one arrival and one departure)")
    history = History(seed, {q: record_rows for q in record_quarters})
    files = 0
    for quarter in quarters:
        folder = out / "raw" / quarter
        folder.mkdir(parents=True, exist_ok=True)
        builders = counts_only.BUILDERS if counts_only_extracts else published.BUILDERS
        for source, build in builders.items():
            (folder / f"{source}.csv").write_bytes(build(history, quarter).csv_bytes())
            files += 1
        for stale in folder.glob(f"{RECORDS_STEM}.*"):
            stale.unlink()
        if quarter in record_quarters:
            write_records(history, quarter, folder / f"{RECORDS_STEM}.{record_format}", record_format)
            files += 1
    manifest = {
        "generator": "mtm_pipeline.synthetic",
        "seed": seed,
        "first": first,
        "last": last,
        "quarters": len(quarters),
        "record_level": {
            "rows_per_quarter": record_rows,
            "quarters": record_quarters,
            "format": record_format,
        }
        if record_rows
        else None,
        "files": files,
    }
    if counts_only_extracts:
        manifest["counts_only"] = True
    (out / "synthetic.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mtm_pipeline.synthetic", description=_package_doc())
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder (raw/<quarter>/ is written inside)"
    )
    parser.add_argument("--first", default="2015-Q1", help="first quarter (default 2015-Q1)")
    parser.add_argument("--last", default="2024-Q4", help="last quarter (default 2024-Q4)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--record-level-rows",
        type=int,
        default=None,
        metavar="N",
        help="also write border_crossing_records with N rows per chosen quarter",
    )
    parser.add_argument(
        "--record-level-quarters",
        default=None,
        help="comma-separated quarters that get records (default: the last quarter)",
    )
    parser.add_argument("--record-level-format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument(
        "--counts-only",
        action="store_true",
        help="write quarters as agencies deliver them: counts only, no shares, ranks or changes",
    )
    args = parser.parse_args(argv)
    for key in (args.first, args.last):
        parse_quarter_key(key)
    chosen = (
        [q.strip() for q in args.record_level_quarters.split(",")] if args.record_level_quarters else None
    )
    manifest = generate(
        args.out,
        args.first,
        args.last,
        args.seed,
        record_rows=args.record_level_rows,
        record_quarters=chosen,
        record_format=args.record_level_format,
        counts_only_extracts=args.counts_only,
    )
    print(f"wrote {manifest['files']} files for {manifest['quarters']} quarters to {args.out / 'raw'}")
    return 0
