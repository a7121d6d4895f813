"""One asset step over the quarters of its run: one quarter (a quarter run, the sensor, the schedule) or
many (a single-run backfill over a partition range, e.g. `--partition-range 2015-Q1...2024-Q4`).

Each quarter is handled on its own and in chronological order, so a backfill computes what separate runs
would. Dagster attaches an AssetCheckResult to the step's single partition, which a range run does not
have; in a range run check results are therefore emitted as AssetCheckEvaluation events carrying their
quarter, and each check's output is yielded once when the step finishes.

Quarters are independent in a range run: a quarter that fails in a step (a refused file, an ERROR
finding) never stops the other quarters, in that step or after it.
- The step records the failed quarter in the run's `mtm/failed_quarters` tag. Every later step whose
  asset is downstream of the failed one leaves that quarter alone (`step.quarters` leaves it out;
  `step.all_quarters` is every quarter of the run), so a bad quarter's published stages and report
  stay as they were while the good quarters go all the way.
- A step where at least one quarter went through succeeds, so the steps after it run. Dagster records a
  range step's output as a materialisation of every quarter of the range, and has no public way to
  leave one partition out (dagster issue 17836); the step therefore records each failed quarter as
  planned again after its output, without a materialisation (`mtm_pipeline/failed_partitions.py`):
  Dagster shows such a partition as failed once the run has failed.
- The run fails at its end: the last step of the run (an asset none of whose downstream assets is in the
  run) materialises only the quarters that went through, one event each, and raises a Failure naming
  every failed quarter of the run, with the step and the reason.
- A step where no quarter went through raises its Failure at once (the steps after it have nothing to do).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg

from mtm_pipeline.failed_partitions import mark_partitions_failed

RANGE_SUMMARY_ROWS = 60
FAILED_QUARTERS_TAG = "mtm/failed_quarters"


def failed_quarters_of_run(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, str]]:
    """The quarters that failed so far in a run: {quarter: {asset: why}} (from the run's tag)."""
    run = instance.get_run_by_id(run_id)
    text = run.tags.get(FAILED_QUARTERS_TAG) if run is not None else None
    if not text:
        return {}
    recorded = json.loads(text)
    # A re-execution copies its parent run's tags: only failures recorded by this run count.
    return recorded.get("quarters", {}) if recorded.get("run_id") == run_id else {}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _brief(text: str, lines: int = 8) -> str:
    """The start of a failure message (an extract error's first problems, with rows and columns)."""
    kept = text.strip().splitlines()
    return "\n".join(kept[:lines] + (["  ..."] if len(kept) > lines else []))[:2000]


@dataclass
class QuarterStep:
    context: dg.AssetExecutionContext
    all_quarters: list[str] = field(init=False)  # the quarters of the run
    quarters: list[str] = field(init=False)  # the ones this step works on: those that did not fail upstream
    published: dict[str, dict] = field(init=False, default_factory=dict)  # quarter -> its metadata
    failed: dict[str, str] = field(init=False, default_factory=dict)  # quarter -> why
    failed_upstream: dict[str, str] = field(init=False, default_factory=dict)  # quarter -> where and why

    def __post_init__(self) -> None:
        context = self.context
        keys = [context.partition_key] if context.has_partition_key else context.partition_keys
        # Dynamic partitions are ordered by when they were added; quarter keys sort chronologically.
        self.all_quarters = sorted(keys)
        failures = failed_quarters_of_run(context.instance, context.run_id) if self.is_range else {}
        if failures:
            ancestors = self._asset_graph().get_ancestor_asset_keys(self.asset_key)
            for quarter, by_asset in failures.items():
                upstream = {
                    asset: why
                    for asset, why in by_asset.items()
                    if dg.AssetKey.from_user_string(asset) in ancestors
                }
                if quarter in self.all_quarters and upstream:
                    self.failed_upstream[quarter] = "; ".join(
                        f"{a} failed: {_first_line(w)}" for a, w in upstream.items()
                    )
        self.quarters = [quarter for quarter in self.all_quarters if quarter not in self.failed_upstream]

    @property
    def is_range(self) -> bool:
        return len(self.all_quarters) > 1

    @property
    def asset_key(self) -> dg.AssetKey:
        return self.context.asset_key

    def _asset_graph(self):
        return self.context.job_def.asset_layer.asset_graph

    def check(
        self,
        quarter: str,
        check_name: str,
        *,
        passed: bool,
        severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
        metadata: dict | None = None,
    ) -> dg.AssetCheckResult | dg.AssetCheckEvaluation:
        """The result of one check of this asset for one quarter (yield it)."""
        if not self.is_range:
            return dg.AssetCheckResult(
                check_name=check_name, passed=passed, severity=severity, metadata=metadata or {}
            )
        return dg.AssetCheckEvaluation(
            asset_key=self.asset_key,
            check_name=check_name,
            passed=passed,
            severity=severity,
            metadata=metadata or {},
            partition=quarter,
        )

    def publish(self, quarter: str, metadata: dict) -> None:
        self.published[quarter] = metadata

    def fail(self, quarter: str, why: str) -> None:
        self.failed[quarter] = why

    def finish(self, summary_columns: tuple[str, ...] = ("dagster/row_count",)) -> Iterator:
        """Close the step: the checks' outputs, then the materialisation of the quarters that went through,
        or a Failure naming each failed quarter (see the module docstring)."""
        if self.failed:
            self._record_failures()
        if not self.published:
            raise dg.Failure(description=self._failure_text(self._failures_of_step()))
        if not self.is_range:
            yield dg.MaterializeResult(metadata=self.published[self.all_quarters[0]])
            return
        assets_def = self.context.assets_def
        for check_key in sorted(assets_def.check_keys, key=lambda key: key.name):
            yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(check_key))
        run_failures = failed_quarters_of_run(self.context.instance, self.context.run_id)
        if run_failures and self._is_last_step_of_run():
            # Nothing after this step needs its output: materialise the quarters that went through, one by
            # one, and end the run failed naming every quarter that failed in it.
            for quarter, metadata in self.published.items():
                yield dg.AssetMaterialization(asset_key=self.asset_key, partition=quarter, metadata=metadata)
            raise dg.Failure(description=self._failure_text(run_failures))
        for quarter, metadata in self.published.items():
            self.context.add_asset_metadata(metadata, partition_key=quarter)
        not_materialised = sorted({**self.failed_upstream, **self.failed})
        yield dg.MaterializeResult(
            metadata={
                "quarters": len(self.published),
                "first_quarter": self.all_quarters[0],
                "last_quarter": self.all_quarters[-1],
                "by_quarter": dg.MetadataValue.md(quarters_table(self.published, summary_columns)),
                **({"failed_quarters": ", ".join(not_materialised)} if not_materialised else {}),
            }
        )
        if not_materialised:
            mark_partitions_failed(self.context, not_materialised)

    def _failures_of_step(self) -> dict[str, dict[str, str]]:
        asset = self.asset_key.to_user_string()
        failures = {quarter: {asset: why} for quarter, why in self.failed.items()}
        for quarter, why in self.failed_upstream.items():
            failures.setdefault(quarter, {})["upstream"] = why
        return failures

    def _failure_text(self, failures: dict[str, dict[str, str]]) -> str:
        published = ", ".join(self.published) or "none"
        lines = [
            f"{quarter}: {asset}: {why}"
            for quarter, by_asset in sorted(failures.items())
            for asset, why in by_asset.items()
        ]
        return (
            f"{len(failures)} of {len(self.all_quarters)} quarter(s) failed (published: {published}):\n"
            + "\n\n".join(lines)
        )

    def _record_failures(self) -> None:
        """Add this step's failed quarters to the run's tag, for the steps after it, the run's end and the
        summary of `cli run` (a one-quarter run records its failure too)."""
        instance, run_id = self.context.instance, self.context.run_id
        if instance.get_run_by_id(run_id) is None:
            return  # a step called directly (build_asset_context) belongs to no run
        recorded = failed_quarters_of_run(instance, run_id)
        asset = self.asset_key.to_user_string()
        for quarter, why in self.failed.items():
            recorded.setdefault(quarter, {})[asset] = _brief(why)
        instance.add_run_tags(
            run_id, {FAILED_QUARTERS_TAG: json.dumps({"run_id": run_id, "quarters": recorded})}
        )

    def _is_last_step_of_run(self) -> bool:
        in_run = self.context.run.asset_selection or self._asset_graph().executable_asset_keys
        return not (self._asset_graph().get(self.asset_key).child_keys & set(in_run))


def quarters_table(published: dict[str, dict], columns: tuple[str, ...]) -> str:
    """A Markdown table of some figures of each quarter of a range run (its metadata in the UI)."""
    lines = ["| quarter | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for quarter, metadata in list(published.items())[:RANGE_SUMMARY_ROWS]:
        lines.append(f"| {quarter} | " + " | ".join(str(metadata.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)
