"""Command line: `python -m mtm_pipeline.cli run` materialises every asset for every quarter in raw/."""

from __future__ import annotations

import argparse
import sys

import dagster as dg

from mtm_pipeline.ingest import discover_quarters
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.settings import data_paths

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run(quarters: list[str] | None = None) -> int:
    """Load the given quarters (default: every quarter folder in raw/) and print what happened."""
    from mtm_pipeline.assets.reference import country_reference
    from mtm_pipeline.assets.report import trend_report
    from mtm_pipeline.definitions import defs, quarter_assets
    from mtm_pipeline.warehouse import connect
    from mtm_pipeline.warehouse.quarters import table_row_counts

    paths = data_paths()
    found, malformed = discover_quarters(paths)
    for name in malformed:
        print(f"warning: raw/{name}/ is not a quarter folder (expected YYYY-Qn); skipped")
    quarters = quarters or found
    if not quarters:
        print(f"no quarter folders in {paths.raw}; nothing to do")
        return 1
    instance = _instance()
    from mtm_pipeline.maintenance import release_stale_runs

    for run_id in release_stale_runs(instance):  # a killed run would otherwise hold the writer pool slot
        print(f"released run {run_id}: its process no longer exists")
    instance.add_dynamic_partitions(
        QUARTERS_NAME, [q for q in quarters if not instance.has_dynamic_partition(QUARTERS_NAME, q)]
    )
    resources = defs.resources
    dg.materialize([country_reference], instance=instance, resources=resources, run_config=QUIET)
    failed_steps: dict[str, list[str]] = {}
    failed_checks = []
    for quarter in quarters:
        result = dg.materialize(
            quarter_assets, partition_key=quarter, instance=instance, resources=resources,
            raise_on_error=False, run_config=QUIET,
        )  # fmt: skip
        for event in result.all_events:
            if event.is_step_failure:
                failed_steps.setdefault(quarter, []).append(event.step_key)
                print(f"\n{quarter}: step {event.step_key} failed:\n{event.step_failure_data.error.message}")
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed:
                failed_checks.append((quarter, evaluation.asset_key.to_user_string(), evaluation.check_name))
    if any(q not in failed_steps for q in quarters):
        dg.materialize([trend_report], instance=instance, resources=resources, run_config=QUIET, raise_on_error=False)
    with connect(paths.warehouse, read_only=True) as con:
        counts = table_row_counts(con)
        findings = con.execute(
            "SELECT quarter, stage, count(*) FROM quality.check_results WHERE NOT passed GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    print(f"\nQuarters loaded: {', '.join(q for q in quarters if q not in failed_steps) or 'none'}")
    for quarter, steps in failed_steps.items():
        print(f"Quarter {quarter}: failed steps {', '.join(steps)} (what they would have written is unchanged)")
    print("Rows per table:")
    for table, count in counts.items():
        print(f"  {table:32} {count:>8}")
    print(f"Asset checks failed: {len(failed_checks)}")
    for quarter, asset, check in failed_checks:
        print(f"  {quarter} {asset}: {check}")
    for quarter, stage, count in findings:
        print(f"Findings in {quarter} {stage}: {count} (SELECT * FROM quality.check_results WHERE NOT passed)")
    print(f"Warehouse: {paths.warehouse}")
    print(f"Reports:   {paths.reports}/<quarter>/report.html|.pdf|.md, annex.xlsx; trends in {paths.reports}/trends/")
    print(f"Alerts:    {paths.alerts}/alerts.jsonl   Data Docs: {paths.root}/gx/data_docs/index.html")
    return 1 if failed_steps else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mtm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="materialise every asset for every quarter (or the ones named)")
    run_parser.add_argument("quarters", nargs="*", help="quarter keys like 2024-Q1 (default: all in raw/)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.quarters)
    return 2


if __name__ == "__main__":
    sys.exit(main())
