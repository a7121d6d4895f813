"""Command line: `python -m mtm_pipeline.cli run` materialises every asset for every quarter in raw/, as one
single-run backfill over the quarters (the quarters' partition range)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from mtm_pipeline.assets.quarter_step import failed_quarters_of_run
from mtm_pipeline.ingest import discover_quarters
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.quarter_arguments import (
    QuarterArgumentError,
    delivered_quarter_keys,
    invalid_partition_keys,
)
from mtm_pipeline.settings import DataPaths, data_paths

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
        "SELECT message FROM quality.check_results WHERE stage = 'narrative' AND NOT passed "
        "ORDER BY quarter, subject"
    ).fetchall()
    if not rows:
        return []
    return [f"Analyst's numbers that match no figure: {len(rows)}", *(f"  {message}" for (message,) in rows)]


@dataclass
class RunOutcome:
    """What the runs of `cli run` did to each quarter."""

    published: set[str] = field(default_factory=set)
    why_not: dict[str, list[str]] = field(default_factory=dict)  # quarter -> what failed
    failed_checks: list[tuple[str, str, str]] = field(default_factory=list)  # (quarter, asset, check)


def quarters_to_run(requested: list[str] | None, paths: DataPaths) -> list[str]:
    """The quarters named on the command line, checked (QuarterArgumentError), or every quarter folder in
    raw/ when none is named (warning about folders that are not quarter keys)."""
    if requested:
        return delivered_quarter_keys(requested, paths)
    found, malformed = discover_quarters(paths)
    for name in malformed:
        print(f"warning: raw/{name}/ is not a quarter folder (expected YYYY-Qn); skipped")
    return found


def prepare_instance(instance: dg.DagsterInstance, quarters: list[str]) -> None:
    """Free the pool slots of killed runs, remove partition keys that are not quarter keys (left by an
    earlier version that did not check its arguments), and add the quarters' partitions."""
    from mtm_pipeline.stale_runs import release_stale_runs

    for run_id in release_stale_runs(instance):  # a killed run would otherwise hold the writer pool slot
        print(f"released run {run_id}: its process no longer exists")
    for key in invalid_partition_keys(instance.get_dynamic_partitions(QUARTERS_NAME)):
        instance.delete_dynamic_partition(QUARTERS_NAME, key)
        print(f"removed the partition {key!r}: it is not a quarter key")
    new = sorted(q for q in quarters if not instance.has_dynamic_partition(QUARTERS_NAME, q))
    instance.add_dynamic_partitions(QUARTERS_NAME, new)


def _record_range(result, instance: dg.DagsterInstance, in_range: list[str], outcome: RunOutcome) -> None:
    """Add one range run's result to `outcome`: each quarter published, or why not."""
    failed_steps = [
        f"step {event.step_key} failed: {event.step_failure_data.error.message.strip()}"
        for event in result.all_events
        if event.is_step_failure
    ]
    outcome.failed_checks += [
        (evaluation.partition, evaluation.asset_key.to_user_string(), evaluation.check_name)
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    failed_quarters = failed_quarters_of_run(instance, result.run_id)
    reported = {
        event.partition
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("quarterly_report")
    }
    for quarter in in_range:
        if quarter in failed_quarters:
            outcome.why_not[quarter] = [f"{a} failed: {why}" for a, why in failed_quarters[quarter].items()]
        elif quarter in reported:
            outcome.published.add(quarter)
        else:
            outcome.why_not[quarter] = failed_steps or ["the run ended before its report was built"]


def run_quarters(instance, resources: dict, quarters: list[str], *, separate: bool) -> RunOutcome:
    """Materialise the quarter assets: one single-run backfill per range of consecutive quarters, or with
    `separate` one run per quarter."""
    from mtm_pipeline.definitions import quarter_assets

    outcome = RunOutcome()
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
        _record_range(result, instance, ordered[ordered.index(first) : ordered.index(last) + 1], outcome)
    return outcome


def _warehouse_summary(warehouse_file: Path) -> tuple[dict, list, dict, list[str]]:
    """Rows per table, failed findings per quarter and stage, suggestions per quarter and stage, and the
    analyst's numbers that match no figure."""
    from mtm_pipeline.warehouse import connect
    from mtm_pipeline.warehouse.quarters import table_row_counts

    with connect(warehouse_file, read_only=True) as con:
        counts = table_row_counts(con)
        narrative = narrative_finding_lines(con)
        findings = con.execute(
            "SELECT quarter, stage, count(*) FROM quality.check_results WHERE NOT passed "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        suggested = {
            (quarter, stage): (count, best)
            for quarter, stage, count, best in con.execute(
                "SELECT quarter, stage, count(DISTINCT suggestion_id), "
                "count(DISTINCT suggestion_id) FILTER (rank = 1) "
                "FROM quality.suggested_corrections GROUP BY ALL"
            ).fetchall()
        }
    return counts, findings, suggested, narrative


def _print_quarters(quarters: list[str], outcome: RunOutcome) -> None:
    print(f"\nQuarters loaded: {', '.join(q for q in quarters if q in outcome.published) or 'none'}")
    for quarter in quarters:
        if quarter in outcome.published:
            print(
                f"Quarter {quarter}: published (extracts staged, delivered and corrected stages checked "
                "and published, report built)"
            )
    for quarter in (q for q in quarters if q not in outcome.published):
        reasons = "\n".join(
            "  " + line for reason in outcome.why_not.get(quarter, []) for line in reason.splitlines()
        )
        print(
            f"Quarter {quarter}: NOT published; its published stages and report are as they were before "
            f"this run. Why:\n{reasons}"
        )


def _print_findings(warehouse_file: Path, outcome: RunOutcome) -> None:
    counts, findings, suggested, narrative = _warehouse_summary(warehouse_file)
    print("Rows per table:")
    for table, count in counts.items():
        print(f"  {table:32} {count:>8}")
    print(f"Asset checks failed: {len(outcome.failed_checks)}")
    for quarter, asset, check in outcome.failed_checks:
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


def print_summary(quarters: list[str], outcome: RunOutcome, warehouse_file: Path, paths: DataPaths) -> None:
    """What happened to each quarter, the warehouse's tables and findings, and where the outputs are."""
    _print_quarters(quarters, outcome)
    _print_findings(warehouse_file, outcome)
    print(f"Warehouse: {warehouse_file}")
    print(
        f"Reports:   {paths.reports}/<quarter>/report.html|.pdf|.md, annex.xlsx; "
        f"trends in {paths.reports}/trends/"
    )
    print(f"Alerts:    {paths.alerts}/alerts.jsonl   Data Docs: {paths.root}/gx/data_docs/index.html")
    not_published = [q for q in quarters if q not in outcome.published]
    if not_published:
        print(
            f"\nFAILED: {len(not_published)} of {len(quarters)} quarter(s) not published: "
            f"{', '.join(not_published)}"
        )


def run(quarters: list[str] | None = None, *, separate: bool = False, warehouse: Path | None = None) -> int:
    """Load the given quarters (default: every quarter folder in raw/) and print what happened: one run
    over the quarters (a single-run backfill), or with `separate` one run per quarter. `warehouse`: load
    into that DuckDB file instead of the warehouse (a rebuild builds its new file aside). Quarter keys are
    checked before anything is staged: a malformed or undelivered one exits with 2 and says why."""
    paths = data_paths()
    try:
        quarters = quarters_to_run(quarters, paths)
    except QuarterArgumentError as error:
        print("\n".join(f"error: {line}" for line in str(error).splitlines()), file=sys.stderr)
        return 2
    if not quarters:
        print(f"no quarter folders in {paths.raw}; nothing to do")
        return 1
    from mtm_pipeline.assets.reference import country_reference
    from mtm_pipeline.assets.report import trend_report
    from mtm_pipeline.definitions import defs

    instance = _instance()
    prepare_instance(instance, quarters)
    resources = defs.resources
    if warehouse is not None:
        from mtm_pipeline.resources import WarehouseResource

        resources = {**resources, "warehouse": WarehouseResource(path=str(warehouse))}
    dg.materialize([country_reference], instance=instance, resources=resources, run_config=QUIET)
    outcome = run_quarters(instance, resources, quarters, separate=separate)
    if outcome.published:
        dg.materialize(
            [trend_report], instance=instance, resources=resources, run_config=QUIET, raise_on_error=False
        )
    print_summary(quarters, outcome, warehouse or paths.warehouse, paths)
    return 0 if len(outcome.published) == len(quarters) else 1


def main(argv: list[str] | None = None) -> int:
    """`run [quarters...] [--separate]`; the exit code of the command (0: every quarter published)."""
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
