"""GX 1.x suite "mtm_observations" on frames read back from DuckDB, with Data Docs on disk.

`import great_expectations` costs about 3 s: every GX test is marked `gx` (deselect with -m "not gx"),
and the validations run once per module (module-scoped fixtures) into one shared Data Docs site.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from mtm_pipeline.gx_suite import GxOutcome, validate_quarter, validate_quarters

gx = pytest.mark.gx

QUARTER = "2024-Q1"
SHA = "0123456789abcdef" * 4


def _observation(obs_id: str, **overrides) -> dict:
    row = {
        "delivery_quarter": QUARTER,
        "stage": "delivered",
        "source": "border_crossings",
        "obs_id": obs_id,
        "measure": "border_crossings",
        "period": "2024-Q1",
        "direction": "arrival",
        "country": "Россия",
        "unit": "crossings",
        "agency": "KNB",
        "publication": "Border statistics",
        "publication_date": "2024-04-20",
        "location": "table 1",
        "value": 1250.5,
        "share": 41.2,
        "file_name": "border_crossings.csv",
        "file_sha256": SHA,
        "row_number": 2,
        "period_kind": "quarter",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
        "country_iso3": "RUS",
        "country_name": "Russia",
        "cis_member": True,
        "loaded_at": "2024-04-21 10:00:00",
    }
    row.update(overrides)
    return row


ROWS = [
    _observation("BC-1"),
    _observation("BC-2", country="Прочие", country_iso3="ZZZ", value=100, share=None, row_number=3),
    _observation("BC-1", stage="corrected", row_number=2),
    _observation(
        "EM-1",
        source="emigration",
        measure="emigrants",
        unit="persons",
        period="2023",
        period_kind="year",
        period_start="2023-01-01",
        period_end="2023-12-31",
        country=None,
        country_iso3=None,
        row_number=2,
    ),
    _observation("RM-1", source="remittances", unit="USD", value=0, share=100, row_number=5),
]


@pytest.fixture(scope="module")
def warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the real schema, holding ROWS and two check results."""
    con = duckdb.connect()
    con.execute(resources.files("mtm_pipeline").joinpath("warehouse/schema.sql").read_text(encoding="utf-8"))
    rows = pd.DataFrame(ROWS)  # noqa: F841 - read by DuckDB's replacement scan
    con.execute("INSERT INTO published.observations BY NAME SELECT * FROM rows")
    con.execute(
        """INSERT INTO quality.check_results BY NAME
           SELECT ? AS quarter, 'delivered' AS stage, 'border_crossings' AS source, """
        """'total_equals_parts' AS rule,
                  'ERROR' AS severity, true AS passed, 'arrivals' AS subject, '10' AS expected, """
        """'10' AS observed,
                  '0' AS tolerance, 'ok' AS message, now() AS evaluated_at
           UNION ALL
           SELECT ?, 'corrected', 'labour_migration', 'shares_sum_to_100', 'WARN', false, 'sectors', '100',
                  '97.4', '0.5', 'shares sum to 97.4', now()""",
        [QUARTER, QUARTER],
    )
    yield con
    con.close()


def _read(con, table: str, column: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY ALL", [QUARTER]).df()


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gx") / "data_docs"


@pytest.fixture(scope="module")
def valid_outcome(warehouse, docs_dir) -> GxOutcome:
    observations = _read(warehouse, "published.observations", "delivery_quarter")
    checks = _read(warehouse, "quality.check_results", "quarter")
    return validate_quarter(observations, checks, quarter=QUARTER, docs_dir=docs_dir)


@pytest.fixture(scope="module")
def invalid_outcome(warehouse, docs_dir, valid_outcome) -> GxOutcome:
    observations = _read(warehouse, "published.observations", "delivery_quarter")
    observations.loc[observations["obs_id"] == "BC-2", "value"] = -3
    duplicate = observations[observations["obs_id"] == "RM-1"]
    observations = pd.concat([observations, duplicate], ignore_index=True)
    return validate_quarter(observations, None, quarter=QUARTER, docs_dir=docs_dir)


def test_importing_the_modules_does_not_import_great_expectations():
    code = (
        "import sys, mtm_pipeline.gx_suite, mtm_pipeline.alerts; "
        "sys.exit('great_expectations' in sys.modules or 'dagster' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@gx
def test_valid_quarter_passes_and_writes_data_docs(valid_outcome: GxOutcome, docs_dir: Path):
    assert valid_outcome.failed == []
    assert valid_outcome.success
    assert valid_outcome.evaluated >= 19 + 11  # observations suite + check_results suite
    assert valid_outcome.docs_index == docs_dir.absolute() / "index.html"
    index = valid_outcome.docs_index.read_text(encoding="utf-8")
    assert "mtm_observations" in index and "mtm_check_results" in index
    assert len(valid_outcome.validation_pages) == 2
    for page in valid_outcome.validation_pages:
        assert page.is_file() and docs_dir.absolute() in page.parents
        assert f"/{QUARTER}/" in page.as_posix()
    assert (docs_dir / "expectations" / "mtm_observations.html").is_file()


@gx
def test_negative_value_and_duplicate_key_fail_by_name(invalid_outcome: GxOutcome):
    assert not invalid_outcome.success
    assert len(invalid_outcome.failed) == 2, invalid_outcome.failed
    value, unique = invalid_outcome.failed
    assert "value >= 0" in value and "expect_column_values_to_be_between" in value and "-3" in value
    assert "(delivery_quarter, stage, source, obs_id) is unique" in unique
    assert "expect_compound_columns_to_be_unique" in unique and "RM-1" in unique
    assert all(f.startswith("mtm_observations: ") for f in invalid_outcome.failed)


@gx
def test_data_docs_site_accumulates_runs(invalid_outcome: GxOutcome, valid_outcome: GxOutcome):
    index = invalid_outcome.docs_index.read_text(encoding="utf-8")
    for page in [*valid_outcome.validation_pages, *invalid_outcome.validation_pages]:
        assert page.relative_to(invalid_outcome.docs_index.parent).as_posix() in index


@gx
def test_bad_codes_and_missing_column_are_named(tmp_path: Path, warehouse, valid_outcome: GxOutcome):
    observations = _read(warehouse, "published.observations", "delivery_quarter")
    observations.loc[0, "country_iso3"] = "rus"
    observations.loc[1, "unit"] = "people"
    observations.loc[2, "file_sha256"] = "abc"
    observations.loc[3, "share"] = 100.5
    observations.loc[4, "stage"] = "draft"
    observations = observations.drop(columns=["period_kind"])
    outcome = validate_quarter(observations, None, quarter="2024-Q2", docs_dir=tmp_path / "docs")
    text = "\n".join(outcome.failed)
    for label in (
        "delivery_quarter is 2024-Q2",
        "stage in {delivered, corrected}",
        "share between 0 and 100",
        "country_iso3 matches",
        "period_kind in",
        "unit in",
        "file_sha256 has 64 characters",
    ):
        assert label in text, (label, text)
    assert "could not be evaluated" in next(f for f in outcome.failed if "period_kind" in f)
    assert outcome.docs_index.is_file()


@gx
def test_several_quarters_are_validated_together_and_failures_attributed(tmp_path: Path, warehouse):
    first = _read(warehouse, "published.observations", "delivery_quarter")
    checks = _read(warehouse, "quality.check_results", "quarter")
    second = first.assign(delivery_quarter="2024-Q2")
    second.loc[second["obs_id"] == "BC-2", "value"] = -7
    third = first.assign(delivery_quarter="2024-Q3")
    outcomes = validate_quarters(
        {"2024-Q1": (first, checks), "2024-Q2": (second, None), "2024-Q3": (third, None)},
        docs_dir=tmp_path / "docs",
    )
    assert list(outcomes) == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert outcomes["2024-Q1"].success and outcomes["2024-Q3"].success
    assert not outcomes["2024-Q2"].success
    assert len(outcomes["2024-Q2"].failed) == 1 and "value >= 0" in outcomes["2024-Q2"].failed[0]
    assert "-7" in outcomes["2024-Q2"].failed[0]
    pages = outcomes["2024-Q2"].validation_pages
    assert len(pages) == 2 and all("/2024-Q1..2024-Q3/" in p.as_posix() for p in pages)


@gx
def test_a_failure_gx_cannot_attribute_to_rows_fails_every_quarter(tmp_path: Path, warehouse):
    first = _read(warehouse, "published.observations", "delivery_quarter")
    second = first.assign(
        delivery_quarter="2024-Q2", value="n/a"
    )  # the value column cannot be compared at all
    outcomes = validate_quarters(
        {"2024-Q1": (first, None), "2024-Q2": (second, None)}, docs_dir=tmp_path / "docs"
    )
    for outcome in outcomes.values():
        assert not outcome.success
        assert any("value >= 0" in f and "could not be evaluated" in f for f in outcome.failed), (
            outcome.failed
        )
