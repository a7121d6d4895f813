"""Security: values are bound as SQL parameters, file paths stay under MTM_DATA_DIR, secrets stay out of
logs and metadata."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline_tests.robustness.helpers import materialise, step_failures, tables
from mtm_pipeline_tests.servers import http_receiver, smtp_receiver

Q1 = "2024-Q1"
DROP_NOTE = "'; DROP TABLE published.observations; --"
DROP_TEXT = 'Robert\'); DROP TABLE staging.extract_rows;-- "quoted" \\ back\\slash $$ $tag$ %s ? :name'
EMIGRATION = SOURCES["emigration"]


def _edit(path: Path, row_id: str, **changes: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["obs_id"] == row_id:
            row.update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_text_with_quotes_and_sql_loads_as_data(data_dir, tmp_path):
    emigration = data_dir / "raw" / Q1 / "emigration.csv"
    _edit(emigration, "emi_2023_rus", note=DROP_NOTE)
    _edit(
        emigration,
        "emi_2023_deu",
        published_text=DROP_TEXT,
        location="Section 6'; DELETE FROM reference.countries; --",
    )
    _edit(emigration, "emi_2023_isr", country="Côte d'Ivoire")
    path = tmp_path / "mtm.duckdb"
    result = materialise(WarehouseResource(path=str(path)), Q1, reference=True)
    assert result.success, step_failures(result)
    with duckdb.connect(str(path), read_only=True) as con:
        assert {"published.observations", "staging.extract_rows", "reference.countries"} <= set(tables(con))
        stored = dict(
            con.execute(
                "SELECT obs_id || '/' || stage, "
                "coalesce(note, '') || '|' || published_text || '|' || location "
                "FROM published.observations WHERE obs_id IN ('emi_2023_rus', 'emi_2023_deu')"
            ).fetchall()
        )
        assert stored["emi_2023_rus/corrected"].startswith(DROP_NOTE + "|")
        assert stored["emi_2023_deu/delivered"].split("|")[1] == DROP_TEXT
        assert stored["emi_2023_deu/delivered"].endswith("Section 6'; DELETE FROM reference.countries; --")
        assert con.execute(
            "SELECT country, country_iso3 FROM published.observations WHERE obs_id = 'emi_2023_isr' LIMIT 1"
        ).fetchone() == ("Côte d'Ivoire", "CIV")
        assert con.execute("SELECT count(*) FROM reference.countries").fetchone()[0] > 200
        counts = con.execute(
            "SELECT stage, count(*) FROM published.observations WHERE delivery_quarter = ? "
            "GROUP BY ALL ORDER BY 1",
            [Q1],
        ).fetchall()
        assert counts == [("corrected", 132), ("delivered", 132)]
        # lineage names files relative to MTM_DATA_DIR: no absolute path of the machine in the warehouse
        names = {
            r[0] for r in con.execute("SELECT DISTINCT file_name FROM published.observations").fetchall()
        }
        assert all(n.startswith("raw/2024-Q1/") for n in names), names


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("obs_id", {"obs_id": "emi'; DROP TABLE published.observations; --"}),
        ("header", None),
    ],
)
def test_sql_in_identifiers_is_refused(data_dir, where, change):
    emigration = data_dir / "raw" / Q1 / "emigration.csv"
    if change:
        _edit(emigration, "emi_2023_rus", **change)
    else:
        text = emigration.read_text(encoding="utf-8")
        emigration.write_text(text.replace("note", 'note"; DROP TABLE x; --', 1), encoding="utf-8")
    with pytest.raises(ExtractError) as caught:
        read_validated_extract(DataPaths(data_dir), Q1, EMIGRATION)
    message = str(caught.value)
    assert "emigration.csv" in message
    assert ("row 2, column 'obs_id'" in message) if change else ("unknown column(s)" in message)


@pytest.mark.parametrize("key", ["2024-Q1'; DROP TABLE published.observations; --", "../2024-Q1", "/etc"])
def test_quarter_keys_are_not_paths_or_sql(data_dir, key):
    with pytest.raises(ValueError):
        read_validated_extract(DataPaths(data_dir), key, EMIGRATION)


def test_files_outside_the_data_directory_are_refused(data_dir, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((data_dir / "raw" / Q1 / "emigration.csv").read_bytes())
    (data_dir / "raw" / Q1 / "emigration.csv").unlink()
    (data_dir / "raw" / Q1 / "emigration.csv").symlink_to(outside)
    with pytest.raises(ValueError, match="outside the data directory"):
        read_validated_extract(DataPaths(data_dir), Q1, EMIGRATION)
    with pytest.raises(ValueError, match="outside the data directory"):
        DataPaths(data_dir).confine(Path("/etc/passwd"))


def test_secrets_stay_out_of_alerts_logs_metadata_and_warehouse(
    data_dir, tmp_path, monkeypatch, capfd, caplog
):
    token, password = "xoxSECRETtoken42", "pa55-Very$ecret-word"
    with http_receiver(status=500) as hook, smtp_receiver(credentials=("mtm-bot", "another")) as smtp:
        url = f"{hook.url}/services/T0SECRETWS/B0SECRETCH/{token}?sig=QuerySecret99"
        monkeypatch.setenv("MTM_ALERT_WEBHOOK_URL", url)
        monkeypatch.setenv("MTM_SMTP_HOST", smtp.host)
        monkeypatch.setenv("MTM_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("MTM_SMTP_USER", "mtm-bot")
        monkeypatch.setenv("MTM_SMTP_PASSWORD", password)
        monkeypatch.setenv("MTM_ALERT_EMAIL_TO", "ops@example.org")
        path = tmp_path / "mtm.duckdb"
        instance = dg.DagsterInstance.ephemeral()
        loaded = materialise(
            WarehouseResource(path=str(path)), Q1, instance, reference=True
        )  # checks fail: alerts
        _edit(data_dir / "raw" / Q1 / "emigration.csv", "emi_2023_usa", country="Atlantis")  # a refused file
        refused = materialise(WarehouseResource(path=str(path)), Q1, instance)
        assert hook.requests, "the webhook was called (and failed with HTTP 500)"
        assert smtp.auth_attempts, "the SMTP login was attempted (and refused)"
    assert loaded.success and not refused.success
    secrets = (token, "T0SECRETWS", "B0SECRETCH", "QuerySecret99", password, url)
    places = {"alerts log": (data_dir / "alerts" / "alerts.jsonl").read_text(encoding="utf-8")}
    from dagster._serdes import serialize_value

    for run in instance.get_runs():
        places[f"run {run.run_id} config and tags"] = serialize_value(run)
        for entry in instance.all_logs(run.run_id):
            places.setdefault(f"run {run.run_id} events", "")
            places[f"run {run.run_id} events"] += serialize_value(entry) + "\n"
    captured = capfd.readouterr()
    places["stdout"], places["stderr"], places["log records"] = captured.out, captured.err, caplog.text
    with duckdb.connect(str(path), read_only=True) as con:
        places["warehouse"] = "\n".join(
            json.dumps(con.execute(f"SELECT * FROM {t}").fetchall(), default=str) for t in tables(con)
        )
    assert places["alerts log"].count("\n") >= 2, "alerts were logged"
    events = "".join(v for k, v in places.items() if k.endswith("events"))
    assert "dagster/row_count" in events and "ASSET_CHECK_EVALUATION" in events, "metadata was searched"
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} found in {where}"
