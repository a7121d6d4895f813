"""Command line: `python -m mtm_pipeline.cli run` materialises every asset for every quarter in raw/, as one
single-run backfill over the quarters (the quarters' partition range)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dagster as dg

from mtm_pipeline.assets.quarter_step import failed_quarters_of_run
from mtm_pipeline.ingest import discover_quarters
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.settings import data_paths

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def consecutive_ranges(ordered_keys: list[str], wanted: list[str]) -> list[tuple[str, str]]:
    """The wanted quarters as ranges of consecutive partition keys (in the instance's order, which is the
    order the quarters were added): each range runs as one single-run backfill."""
    wanted_set = set(wanted)
    ranges: list[tuple[str, str]] = []
    current: list[str] = []
    for key in [*ordered_keys, None]:
        if key is not None and key in wanted_set:
            current.append(key)
            continue
        if current:
            ranges.append((current[0], current[-1]))
        current = []
    return ranges


def _partition_selection(first: str, last: str) -> dict:
    if first == last:
        return {"partition_key": first}
    return {"tags": {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}}


def narrative_finding_lines(con) -> list[str]:
    """The analyst's numbers that match no figure (quality.check_results of stage 'narrative'), each with its
    file and line, the sentence, what was typed and what the warehouse holds."""
    rows = con.execute(
        "SELECT message FROM quality.check_results WHERE stage = 'narrative' AND NOT passed ORDER BY quarter, subject"
    ).fetchall()
    if not rows:
        return []
    return [f"Analyst's numbers that match no figure: {len(rows)}", *(f"  {message}" for (message,) in rows)]


def run(quarters: list[str] | None = None, *, separate: bool = False, warehouse: Path | None = None) -> int:
    """Load the given quarters (default: every quarter folder in raw/) and print what happened: one run
    over the quarters (a single-run backfill), or with `separate` one run per quarter. `warehouse`: load
    into that DuckDB file instead of the warehouse (a rebuild builds its new file aside)."""
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
        QUARTERS_NAME, sorted(q for q in quarters if not instance.has_dynamic_partition(QUARTERS_NAME, q))
    )
    resources = defs.resources
    if warehouse is not None:
        from mtm_pipeline.resources import WarehouseResource

        resources = {**resources, "warehouse": WarehouseResource(path=str(warehouse))}
    warehouse_file = warehouse or paths.warehouse
    dg.materialize([country_reference], instance=instance, resources=resources, run_config=QUIET)
    failed_checks = []
    published: set[str] = set()
    why_not: dict[str, list[str]] = {}  # quarter -> what failed
    ordered = instance.get_dynamic_partitions(QUARTERS_NAME)
    ranges = [(q, q) for q in sorted(quarters)] if separate else consecutive_ranges(ordered, quarters)
    for first, last in ranges:
        result = dg.materialize(
            quarter_assets,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            run_config=QUIET,
            **_partition_selection(first, last),
        )
        in_range = ordered[ordered.index(first) : ordered.index(last) + 1]
        failed_steps = []
        for event in result.all_events:
            if event.is_step_failure:
                failed_steps.append(
                    f"step {event.step_key} failed: {event.step_failure_data.error.message.strip()}"
                )
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed:
                failed_checks.append(
                    (evaluation.partition, evaluation.asset_key.to_user_string(), evaluation.check_name)
                )
        failed_quarters = failed_quarters_of_run(instance, result.run_id)
        reported = {
            event.partition
            for event in result.get_asset_materialization_events()
            if event.asset_key == dg.AssetKey("quarterly_report")
        }
        for quarter in in_range:
            if quarter in failed_quarters:
                why_not[quarter] = [
                    f"{asset} failed: {why}" for asset, why in failed_quarters[quarter].items()
                ]
            elif quarter in reported:
                published.add(quarter)
            else:
                why_not[quarter] = failed_steps or ["the run ended before its report was built"]
    not_published = [q for q in quarters if q not in published]
    if published:
        dg.materialize(
            [trend_report], instance=instance, resources=resources, run_config=QUIET, raise_on_error=False
        )
    with connect(warehouse_file, read_only=True) as con:
        counts = table_row_counts(con)
        narrative = narrative_finding_lines(con)
        findings = con.execute(
            "SELECT quarter, stage, count(*) FROM quality.check_results WHERE NOT passed GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        suggested = {
            (quarter, stage): (count, best)
            for quarter, stage, count, best in con.execute(
                "SELECT quarter, stage, count(DISTINCT suggestion_id), count(DISTINCT suggestion_id) FILTER (rank = 1) "
                "FROM quality.suggested_corrections GROUP BY ALL"
            ).fetchall()
        }
    print(f"\nQuarters loaded: {', '.join(q for q in quarters if q in published) or 'none'}")
    for quarter in quarters:
        if quarter in published:
            print(
                f"Quarter {quarter}: published (extracts staged, delivered and corrected stages checked and published, report built)"
            )
    for quarter in not_published:
        reasons = "\n".join(
            "  " + line for reason in why_not.get(quarter, []) for line in reason.splitlines()
        )
        print(
            f"Quarter {quarter}: NOT published; its published stages and report are as they were before this "
            f"run. Why:\n{reasons}"
        )
    print("Rows per table:")
    for table, count in counts.items():
        print(f"  {table:32} {count:>8}")
    print(f"Asset checks failed: {len(failed_checks)}")
    for quarter, asset, check in failed_checks:
        print(f"  {quarter} {asset}: {check}")
    for quarter, stage, count in findings:
        print(
            f"Findings in {quarter} {stage}: {count} (SELECT * FROM quality.check_results WHERE NOT passed)"
        )
        if stage in ("delivered", "corrected"):  # a refused extract has findings but no figures to edit
            total, best = suggested.get((quarter, stage), (0, 0))
            print(
                f"  suggested corrections: {total} ({best} ranked first; "
                f"python -m mtm_pipeline.suggestions show {quarter} --stage {stage})"
            )
    for line in narrative:
        print(line)
    print(f"Warehouse: {warehouse_file}")
    print(
        f"Reports:   {paths.reports}/<quarter>/report.html|.pdf|.md, annex.xlsx; trends in {paths.reports}/trends/"
    )
    print(f"Alerts:    {paths.alerts}/alerts.jsonl   Data Docs: {paths.root}/gx/data_docs/index.html")
    if not_published:
        print(
            f"\nFAILED: {len(not_published)} of {len(quarters)} quarter(s) not published: {', '.join(not_published)}"
        )
    return 1 if not_published else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mtm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="materialise every asset for every quarter (or the ones named)")
    run_parser.add_argument("quarters", nargs="*", help="quarter keys like 2024-Q1 (default: all in raw/)")
    run_parser.add_argument(
        "--separate", action="store_true", help="one run per quarter instead of one run over all of them"
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.quarters, separate=args.separate)
    return 2


if __name__ == "__main__":
    sys.exit(main())
