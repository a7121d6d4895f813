"""Record-level crossings as the border_crossings delivery: fed when no published extract exists, reconciled
when one does, per quarter in single-run backfills; materialised in process against a temporary warehouse."""

from __future__ import annotations

import hashlib
import shutil
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.observations import delivered_observations
from mtm_pipeline.assets.record_level import (
    CONTRACT_CHECK,
    FED,
    RECONCILE_CHECK,
    RECONCILED,
    border_crossing_records,
)
from mtm_pipeline.checks.rules import RULES
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.synthetic import generate
from mtm_pipeline_tests.scale.conftest import SEED

FIRST, LAST = "2018-Q2", "2018-Q3"  # Ukraine leaves the CIS in May 2018: group membership by date matters
ROWS = 3_000
RECORDS = "border_crossing_records.parquet"
PUBLISHED = "border_crossings.csv"
ASSETS = [*extract_assets, border_crossing_records, delivered_observations]
BORDER_EXTRACT = next(a for a in extract_assets if a.key.to_user_string() == "border_crossings_extract")


@pytest.fixture(scope="module")
def small_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two quarters with every source and a few thousand records each."""
    out = tmp_path_factory.mktemp("synthetic-feed")
    generate(out, FIRST, LAST, SEED, record_rows=ROWS, record_quarters=[FIRST, LAST])
    return out


@pytest.fixture
def root(small_history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(small_history / "raw", root / "raw")
    monkeypatch.setenv("MTM_DATA_DIR", str(root))
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return root


class Pipeline:
    """One Dagster instance and warehouse file; runs over one quarter or a range of quarters."""

    def __init__(self, root: Path):
        self.root = root
        self.instance = dg.DagsterInstance.ephemeral()
        self.warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))

    def run(self, first: str, last: str | None = None, assets=ASSETS) -> dg.ExecuteInProcessResult:
        quarters = [q for q in (first, last) if q]
        new = [q for q in quarters if not self.instance.has_dynamic_partition(QUARTERS_NAME, q)]
        self.instance.add_dynamic_partitions(QUARTERS_NAME, new)  # chronological order
        where = (
            {
                "tags": {
                    "dagster/asset_partition_range_start": first,
                    "dagster/asset_partition_range_end": last,
                }
            }
            if last
            else {"partition_key": first}
        )
        return dg.materialize(
            assets,
            instance=self.instance,
            resources={"warehouse": self.warehouse},
            raise_on_error=False,
            **where,
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse.file), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def border_crossings(self, quarter: str, table: str = "published.observations") -> list[tuple]:
        """The quarter's border_crossings rows of a table (record aggregates: source
        border_crossing_records)."""
        stage = " AND stage = 'delivered'" if table == "published.observations" else ""
        source = "border_crossing_records" if table == "staging.record_aggregates" else "border_crossings"
        return self.query(
            f"SELECT obs_id, direction, country, country_group, purpose, value, share, file_name, "
            f"file_sha256 FROM {table} WHERE delivery_quarter = ? AND source = ?{stage} ORDER BY obs_id",
            [quarter, source],
        )


def _records_metadata(result, quarter: str) -> dict:
    (materialization,) = [
        m for m in result.asset_materializations_for_node("border_crossing_records") if m.partition == quarter
    ]
    return {k: v.value for k, v in materialization.metadata.items()}


def _evaluations(result, asset: str, check: str | None = None) -> list:
    return [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and (check is None or e.check_name == check)
    ]


def _share(part: int, whole: int) -> float:
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def expected_figures(path: Path, quarter: str) -> set[tuple]:
    """(direction, country, country_group, purpose, value, share) of every aggregate, computed from the
    records directly: one DuckDB GROUP BY and Python sums, groups by the reference data's CIS membership."""
    mapper = country_mapper()
    end = parse_quarter_key(quarter).end
    with duckdb.connect() as con:
        cells = con.execute(
            "SELECT direction, citizenship, purpose = 'labour', count(*) FROM read_parquet(?) GROUP BY ALL",
            [str(path)],
        ).fetchall()
    figures = set()
    for direction in ("in", "out"):
        mine = [c for c in cells if c[0] == direction]
        total = sum(n for *_, n in mine)
        figures.add((direction, None, None, None, total, None))
        figures.add((direction, None, None, "labour", sum(n for _, _, labour, n in mine if labour), None))
        by_country: dict[str, int] = {}
        for _, citizenship, _, n in mine:
            by_country[citizenship] = by_country.get(citizenship, 0) + n
        for group in ("CIS", "non-CIS"):
            members = {
                c: n
                for c, n in by_country.items()
                if mapper.is_cis(mapper.to_iso3(c), end) == (group == "CIS")
            }
            group_total = sum(members.values())
            figures.add((direction, None, group, None, group_total, _share(group_total, total)))
            figures |= {(direction, c, group, None, n, _share(n, group_total)) for c, n in members.items()}
    return figures


def _figures(rows: list[tuple]) -> set[tuple]:
    return {(d, c, g, p, int(v), None if s is None else float(s)) for _, d, c, g, p, v, s, *_ in rows}


def test_records_without_a_published_extract_are_fed_checked_and_published(root):
    (root / "raw" / FIRST / PUBLISHED).unlink()
    records = root / "raw" / FIRST / RECORDS
    pipeline = Pipeline(root)
    result = pipeline.run(FIRST)
    assert result.success

    assert _records_metadata(result, FIRST)["role"] == FED
    published = pipeline.border_crossings(FIRST)
    assert _figures(published) == expected_figures(records, FIRST)
    assert sum(v for _, d, c, g, p, v, *_ in published if c is None and g is None and p is None) == ROWS
    sha256 = hashlib.sha256(records.read_bytes()).hexdigest()
    assert {(f, s) for *_, f, s in published} == {(f"raw/{FIRST}/{RECORDS}", sha256)}
    # staged like a published extract: same rows in staging.extract_rows, and kept as record aggregates
    assert _figures(pipeline.border_crossings(FIRST, "staging.extract_rows")) == _figures(published)
    assert _figures(pipeline.border_crossings(FIRST, "staging.record_aggregates")) == _figures(published)
    assert pipeline.query(
        "SELECT file_name FROM published.deliveries "
        "WHERE delivery_quarter = ? AND source = 'border_crossings'",
        [FIRST],
    ) == [(f"raw/{FIRST}/{RECORDS}",)]

    # every rule evaluated the quarter, and the findings name the fed rows
    rules = {e.check_name for e in _evaluations(result, "delivered_observations") if e.partition == FIRST}
    assert set(RULES) <= rules
    fed_ids = {obs_id for obs_id, *_ in published}
    evaluated = pipeline.query(
        "SELECT rule, obs_ids FROM quality.check_results WHERE quarter = ? AND stage = 'delivered' "
        "AND source = 'border_crossings'",
        [FIRST],
    )
    assert evaluated and all(set((ids or "").split(",")) & fed_ids for _, ids in evaluated)
    (reconcile,) = _evaluations(result, "border_crossing_records", RECONCILE_CHECK)
    assert reconcile.partition == FIRST and "skipped" in reconcile.metadata


def test_with_both_the_published_extract_is_the_delivery_and_is_reconciled(root):
    pipeline = Pipeline(root)
    result = pipeline.run(FIRST)
    assert result.success

    meta = _records_metadata(result, FIRST)
    assert meta["role"] == RECONCILED and meta["records"] == ROWS
    (reconcile,) = _evaluations(result, "border_crossing_records", RECONCILE_CHECK)
    assert reconcile.partition == FIRST and reconcile.passed
    assert reconcile.metadata["differences"].value == 0 and reconcile.metadata["published_rows"].value > 0
    published = pipeline.border_crossings(FIRST)
    assert published and {f for *_, f, _ in published} == {f"raw/{FIRST}/{PUBLISHED}"}
    assert _figures(pipeline.border_crossings(FIRST, "staging.record_aggregates")) == expected_figures(
        root / "raw" / FIRST / RECORDS, FIRST
    )


def test_re_runs_follow_the_files(root):
    """Fed, then a published extract arrives, then it goes again, then the records go."""
    folder = root / "raw" / FIRST
    published_copy = root / PUBLISHED
    shutil.move(folder / PUBLISHED, published_copy)
    pipeline = Pipeline(root)

    def files(table: str) -> set[str]:
        return {f for *_, f, _ in pipeline.border_crossings(FIRST, table)}

    assert pipeline.run(FIRST).success
    assert files("staging.extract_rows") == files("published.observations") == {f"raw/{FIRST}/{RECORDS}"}

    shutil.copy(published_copy, folder / PUBLISHED)
    result = pipeline.run(FIRST)
    assert result.success and _records_metadata(result, FIRST)["role"] == RECONCILED
    assert files("staging.extract_rows") == files("published.observations") == {f"raw/{FIRST}/{PUBLISHED}"}

    (folder / PUBLISHED).unlink()
    result = pipeline.run(FIRST)
    assert result.success and _records_metadata(result, FIRST)["role"] == FED
    assert files("published.observations") == {f"raw/{FIRST}/{RECORDS}"}

    (folder / RECORDS).unlink()
    # the records step alone (no border_crossings_extract step to clear the staged rows first)
    result = pipeline.run(FIRST, assets=[border_crossing_records])
    assert result.success and _records_metadata(result, FIRST)["delivered"] is False
    assert files("staging.extract_rows") == files("staging.record_aggregates") == set()
    assert pipeline.run(FIRST).success
    assert files("published.observations") == set()
    assert (
        pipeline.query(
            "SELECT count(*) FROM published.observations WHERE delivery_quarter = ? AND stage = 'delivered'",
            [FIRST],
        )[0][0]
        > 0
    )  # the other sources are still published


def test_a_range_run_checks_each_quarter(root):
    (root / "raw" / FIRST / PUBLISHED).unlink()  # FIRST fed from records, LAST reconciled
    pipeline = Pipeline(root)
    result = pipeline.run(FIRST, LAST)
    assert result.success

    reconciles = {e.partition: e for e in _evaluations(result, "border_crossing_records", RECONCILE_CHECK)}
    assert set(reconciles) == {FIRST, LAST}
    assert "skipped" in reconciles[FIRST].metadata
    assert reconciles[LAST].passed and reconciles[LAST].metadata["differences"].value == 0
    contract = [e.partition for e in _evaluations(result, "border_crossing_records", CONTRACT_CHECK)]
    assert sorted(contract) == [FIRST, LAST]
    by_quarter: dict[str, set[str]] = {}
    for e in _evaluations(result, "delivered_observations"):
        by_quarter.setdefault(e.partition, set()).add(e.check_name)
    assert set(by_quarter) == {FIRST, LAST} and all(set(RULES) <= names for names in by_quarter.values())

    assert _figures(pipeline.border_crossings(FIRST)) == expected_figures(
        root / "raw" / FIRST / RECORDS, FIRST
    )
    assert {f for *_, f, _ in pipeline.border_crossings(LAST)} == {f"raw/{LAST}/{PUBLISHED}"}


def test_bad_records_fail_their_quarter_only(root):
    path = root / "raw" / FIRST / RECORDS
    bad = path.with_name("bad.parquet")
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT * REPLACE (CASE WHEN n = 4 THEN 'Atlantis' ELSE citizenship END AS citizenship) "
            "FROM (SELECT *, row_number() OVER () AS n FROM read_parquet(?)) ORDER BY n) TO '"
            + str(bad)
            + "' (FORMAT parquet)",
            [str(path)],
        )
        con.execute(f"COPY (SELECT * EXCLUDE (n) FROM read_parquet('{bad}')) TO '{path}' (FORMAT parquet)")
    bad.unlink()
    pipeline = Pipeline(root)
    result = pipeline.run(FIRST, LAST, assets=[BORDER_EXTRACT, border_crossing_records])
    assert not result.success

    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"raw/{FIRST}/{RECORDS}" in message and "column 'citizenship'" in message and "record 4" in message
    assert f"raw/{LAST}/" not in message
    assert [m.partition for m in result.asset_materializations_for_node("border_crossing_records")] == [LAST]
    contract = {
        e.partition: e.passed for e in _evaluations(result, "border_crossing_records", CONTRACT_CHECK)
    }
    assert contract == {FIRST: False, LAST: True}
    assert (
        pipeline.query(
            "SELECT count(*) FROM quality.check_results WHERE quarter = ? AND rule = ? AND NOT passed",
            [FIRST, CONTRACT_CHECK],
        )[0][0]
        == 1
    )
    assert pipeline.border_crossings(FIRST, "staging.record_aggregates") == []
    assert pipeline.border_crossings(LAST, "staging.record_aggregates")


def test_an_unreadable_records_file_is_refused_naming_it(root):
    (root / "raw" / FIRST / RECORDS).write_bytes(b"PAR1 this is not a parquet file")
    pipeline = Pipeline(root)
    result = pipeline.run(FIRST, assets=[BORDER_EXTRACT, border_crossing_records])
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"raw/{FIRST}/{RECORDS}: cannot be read as a records file" in message
    (contract,) = _evaluations(result, "border_crossing_records", CONTRACT_CHECK)
    assert contract.partition == FIRST and not contract.passed
