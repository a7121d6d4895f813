"""Schedule and sensor evaluated with build_schedule_context / build_sensor_context."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg

from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.schedules import quarterly_schedule
from mtm_pipeline.sensors import raw_extracts_sensor


def _alerts(data_dir):
    log = data_dir / "alerts" / "alerts.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def test_schedule_runs_the_quarter_that_just_ended_and_alerts_missing_sources(data_dir):
    (data_dir / "raw" / "2024-Q2" / "remittances.csv").unlink()
    (data_dir / "raw" / "2024-Q2" / "emigration.csv").unlink()
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2024, 7, 15, 6, tzinfo=UTC)
        )
        request = quarterly_schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == "2024-Q2"
        assert instance.has_dynamic_partition(QUARTERS_NAME, "2024-Q2")
    alerts = _alerts(data_dir)
    assert len(alerts) == 1
    assert alerts[0]["quarter"] == "2024-Q2"
    assert "emigration" in alerts[0]["subject"] and "remittances" in alerts[0]["subject"]


def test_schedule_skips_and_alerts_when_nothing_was_delivered(data_dir):
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2024, 10, 15, 6, tzinfo=UTC)
        )
        result = quarterly_schedule(context)
    assert isinstance(result, dg.SkipReason)
    assert _alerts(data_dir)[0]["quarter"] == "2024-Q3"


def test_sensor_adds_new_quarters_and_runs_each_delivery_once(data_dir):
    instance = dg.DagsterInstance.ephemeral()
    first = raw_extracts_sensor(dg.build_sensor_context(instance=instance))
    assert sorted(r.partition_key for r in first.run_requests) == ["2024-Q1", "2024-Q2"]
    assert sorted(first.dynamic_partitions_requests[0].partition_keys) == ["2024-Q1", "2024-Q2"]
    instance.add_dynamic_partitions(QUARTERS_NAME, ["2024-Q1", "2024-Q2"])

    # same files: nothing to do, even though every file's modification time changes
    for path in (data_dir / "raw").rglob("*.csv"):
        path.touch()
    again = raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert again.run_requests == [] and again.dynamic_partitions_requests == []

    # a changed file launches a run for exactly its quarter
    changed = data_dir / "raw" / "2024-Q1" / "emigration.csv"
    changed.write_text(changed.read_text(encoding="utf-8").replace("11720", "11721"), encoding="utf-8")
    after_change = raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor))
    assert [r.partition_key for r in after_change.run_requests] == ["2024-Q1"]
    assert after_change.run_requests[0].run_key != first.run_requests[0].run_key

    # the same content again (e.g. cursor lost) keeps the same run key, so Dagster launches no duplicate
    replay = raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor))
    assert replay.run_requests[0].run_key == after_change.run_requests[0].run_key


def test_sensor_picks_up_a_new_quarter_folder(data_dir):
    instance = dg.DagsterInstance.ephemeral()
    first = raw_extracts_sensor(dg.build_sensor_context(instance=instance))
    instance.add_dynamic_partitions(QUARTERS_NAME, ["2024-Q1", "2024-Q2"])
    new_quarter = data_dir / "raw" / "2024-Q3"
    new_quarter.mkdir()
    (new_quarter / "border_crossings.csv").write_bytes(
        (data_dir / "raw" / "2024-Q2" / "border_crossings.csv").read_bytes()
    )
    result = raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert result.dynamic_partitions_requests[0].partition_keys == ["2024-Q3"]
    assert [r.partition_key for r in result.run_requests] == ["2024-Q3"]
