"""The sensor sees the analyst's text: a change of it launches the quarter's report alone."""

from __future__ import annotations

import dagster as dg
import pytest

from mtm_pipeline.deliveries import narrative_fingerprints
from mtm_pipeline.narrative_text import NarrativeError, read_narrative
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.sensors import raw_extracts_sensor
from mtm_pipeline.settings import DataPaths


def _tick(instance, cursor=None):
    return raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_a_changed_text_runs_the_report_of_its_quarter_alone(data_dir):
    instance = dg.DagsterInstance.ephemeral()
    folder = data_dir / "narrative" / "2024-Q1"
    folder.mkdir(parents=True)
    (folder / "developments.md").write_text("The decree.\n", encoding="utf-8")
    first = _tick(instance)
    assert sorted(r.partition_key for r in first.run_requests) == ["2024-Q1", "2024-Q2"]  # whole quarters
    assert all(r.asset_selection is None for r in first.run_requests)
    instance.add_dynamic_partitions(QUARTERS_NAME, ["2024-Q1", "2024-Q2"])
    assert _tick(instance, first.cursor).run_requests == []

    (folder / "developments.md").write_text("The decree, amended.\n", encoding="utf-8")
    edited = _tick(instance, first.cursor)
    assert [(r.partition_key, r.asset_selection) for r in edited.run_requests] == [
        ("2024-Q1", [dg.AssetKey("quarterly_report")])
    ]
    assert _tick(instance, edited.cursor).run_requests == []

    (folder / "developments.md").unlink()
    removed = _tick(instance, edited.cursor)
    assert [r.partition_key for r in removed.run_requests] == ["2024-Q1"]
    assert removed.run_requests[0].tags["mtm/narrative"] == "removed"

    (folder / "developments.md").write_text("The decree, amended.\n", encoding="utf-8")
    back = _tick(instance, removed.cursor)  # the same text as before still runs again
    assert [r.partition_key for r in back.run_requests] == ["2024-Q1"]


def test_a_text_of_a_quarter_with_new_extracts_runs_with_the_whole_quarter(data_dir):
    instance = dg.DagsterInstance.ephemeral()
    first = _tick(instance)
    instance.add_dynamic_partitions(QUARTERS_NAME, ["2024-Q1", "2024-Q2"])
    (data_dir / "narrative" / "2024-Q2").mkdir(parents=True)
    (data_dir / "narrative" / "2024-Q2" / "flows.md").write_text("A note.\n", encoding="utf-8")
    changed = data_dir / "raw" / "2024-Q2" / "emigration.csv"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = _tick(instance, first.cursor)
    assert [(r.partition_key, r.asset_selection) for r in result.run_requests] == [("2024-Q2", None)]
    # a text for a quarter that has no extracts yet waits for them
    (data_dir / "narrative" / "2031-Q1").mkdir(parents=True)
    (data_dir / "narrative" / "2031-Q1" / "developments.md").write_text("Early.\n", encoding="utf-8")
    assert _tick(instance, result.cursor).run_requests == []


def test_a_link_out_of_the_folder_is_refused_and_the_sensor_keeps_watching(data_dir, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text("Text from outside the data directory.\n", encoding="utf-8")
    folder = data_dir / "narrative" / "2024-Q1"
    folder.mkdir(parents=True)
    (folder / "developments.md").symlink_to(outside)
    (folder / "README.md").write_text("Notes on the folder, not report text.\n", encoding="utf-8")

    with pytest.raises(NarrativeError, match=r"narrative/2024-Q1/developments.md: a link to a file outside"):
        read_narrative(folder, "narrative/2024-Q1")
    # the sensor still ticks: the refused folder launches its quarter (whose report then says why)
    fingerprints = narrative_fingerprints(DataPaths(data_dir))
    assert set(fingerprints) == {"2024-Q1"}
    (folder / "developments.md").unlink()
    assert narrative_fingerprints(DataPaths(data_dir)) == {}  # a README alone is no text of the report
