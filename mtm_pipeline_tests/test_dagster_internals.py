"""Dagster internals are fenced: two small modules use them, and the behaviour taken from them is tested.

- mtm_pipeline/event_log.py: the event log storage (tested in test_event_log.py);
- mtm_pipeline/failed_partitions.py: a failed quarter of a range run shown as failed (tested here).
A failure of these tests names the installed and the tested Dagster version.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import dagster as dg

import mtm_pipeline
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline_tests.dagster_internals import relies_on_dagster_internals

PACKAGE = Path(mtm_pipeline.__file__).parent
FENCE = {"event_log.py", "failed_partitions.py"}


def internal_imports(source: str) -> list[str]:
    """The modules under `dagster._` a module's source imports (at any depth, lazily or not)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("dagster._")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("dagster._"):
                found.append(node.module)
            elif node.module == "dagster":
                found += [f"dagster.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_only_the_two_fenced_modules_import_dagster_internals():
    users = {
        path.relative_to(PACKAGE).as_posix(): imported
        for path in sorted(PACKAGE.rglob("*.py"))
        if (imported := internal_imports(path.read_text(encoding="utf-8")))
    }
    assert set(users) == FENCE, f"dagster._ imported outside {sorted(FENCE)}: {users}"


def test_the_scan_sees_every_form_of_internal_import():
    source = (
        "import dagster\nimport dagster._core.events as e\nfrom dagster import _check\n"
        "def f():\n    from dagster._core.storage import sql\n"
    )
    assert internal_imports(source) == ["dagster._core.events", "dagster._check", "dagster._core.storage"]
    assert internal_imports("import dagster as dg\nfrom dagster import asset\n") == []


@relies_on_dagster_internals("the internals both fenced modules import")
def test_the_internals_the_fenced_modules_use_exist():
    for module in ("mtm_pipeline.event_log", "mtm_pipeline.failed_partitions"):
        importlib.import_module(module)


QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3"]
BAD = "2024-Q2"
partitions = dg.DynamicPartitionsDefinition(name="internals_quarter")


@dg.asset(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
def staged(context):
    step = QuarterStep(context)
    for quarter in step.quarters:
        if quarter == BAD:
            step.fail(quarter, "refused: the extract is broken")
        else:
            step.publish(quarter, {"dagster/row_count": 1})
    yield from step.finish()


@dg.asset(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run(), deps=[staged])
def reported(context):
    step = QuarterStep(context)
    for quarter in step.quarters:
        step.publish(quarter, {"dagster/row_count": 1})
    yield from step.finish()


@relies_on_dagster_internals("the failed-partition marking, mtm_pipeline/failed_partitions.py")
def test_a_quarter_that_failed_in_a_range_run_shows_as_failed():
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(partitions.name, QUARTERS)
        result = dg.materialize(
            [staged, reported],
            instance=instance,
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": QUARTERS[0],
                "dagster/asset_partition_range_end": QUARTERS[-1],
            },
        )
        assert not result.success  # the run ends failed, naming the failed quarter
        status = {
            asset: instance.get_status_by_partition(dg.AssetKey(asset), QUARTERS, partitions)
            for asset in ("staged", "reported")
        }
    done, failed = dg.AssetPartitionStatus.MATERIALIZED, dg.AssetPartitionStatus.FAILED
    # The range step's output is recorded by Dagster for every quarter of the range; without the marking
    # the failed quarter would show as materialised.
    assert status["staged"] == {"2024-Q1": done, BAD: failed, "2024-Q3": done}
    assert status["reported"].get("2024-Q1") == done and status["reported"].get("2024-Q3") == done
    assert status["reported"].get(BAD) != done
