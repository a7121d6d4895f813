"""One asset step over the quarters of its run: one quarter (a quarter run, the sensor, the schedule) or
many (a single-run backfill over a partition range, e.g. `--partition-range 2015-Q1...2024-Q4`).

Each quarter is handled on its own and in chronological order, so a backfill computes what separate runs
would. Dagster attaches an AssetCheckResult to the step's single partition, which a range run does not
have; in a range run check results are therefore emitted as AssetCheckEvaluation events carrying their
quarter, and each check's output is yielded once when the step finishes.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg

RANGE_SUMMARY_ROWS = 60


@dataclass
class QuarterStep:
    context: dg.AssetExecutionContext
    quarters: list[str] = field(init=False)
    published: dict[str, dict] = field(init=False, default_factory=dict)  # quarter -> its metadata
    failed: dict[str, str] = field(init=False, default_factory=dict)  # quarter -> why

    def __post_init__(self) -> None:
        context = self.context
        keys = [context.partition_key] if context.has_partition_key else context.partition_keys
        # Dynamic partitions are ordered by when they were added; quarter keys sort chronologically.
        self.quarters = sorted(keys)

    @property
    def is_range(self) -> bool:
        return len(self.quarters) > 1

    @property
    def asset_key(self) -> dg.AssetKey:
        return self.context.asset_key

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
        """Close the step: the checks' outputs, then the materialisation, or a Failure naming each failed
        quarter (the quarters that did publish are still recorded as materialised)."""
        if self.is_range:
            assets_def = self.context.assets_def
            for check_key in sorted(assets_def.check_keys, key=lambda key: key.name):
                yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(check_key))
        if self.failed:
            for quarter, metadata in self.published.items():
                yield dg.AssetMaterialization(asset_key=self.asset_key, partition=quarter, metadata=metadata)
            lines = [f"{quarter}: {why}" for quarter, why in self.failed.items()]
            published = ", ".join(self.published) or "none"
            raise dg.Failure(
                description=f"{len(self.failed)} of {len(self.quarters)} quarter(s) failed "
                f"(published: {published}):\n" + "\n\n".join(lines)
            )
        if len(self.quarters) == 1:
            yield dg.MaterializeResult(metadata=self.published.get(self.quarters[0], {}))
            return
        yield dg.MaterializeResult(
            metadata={
                "quarters": len(self.quarters),
                "first_quarter": self.quarters[0],
                "last_quarter": self.quarters[-1],
                "by_quarter": dg.MetadataValue.md(quarters_table(self.published, summary_columns)),
            }
        )


def quarters_table(published: dict[str, dict], columns: tuple[str, ...]) -> str:
    """A Markdown table of some figures of each quarter of a range run (its metadata in the UI)."""
    lines = ["| quarter | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for quarter, metadata in list(published.items())[:RANGE_SUMMARY_ROWS]:
        lines.append(f"| {quarter} | " + " | ".join(str(metadata.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)
