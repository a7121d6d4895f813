"""The synthetic history: deterministic, valid against the extract schemas, internally consistent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.synthetic import REPO_DATA, generate, main
from mtm_pipeline_tests.scale.conftest import RECORDS_QUARTER, SEED


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path):
    args = ["--first", "2023-Q4", "--last", "2024-Q1", "--seed", "7", "--record-level-rows", "5000"]
    assert main(["--out", str(tmp_path / "a"), *args]) == 0
    assert main(["--out", str(tmp_path / "b"), *args]) == 0
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(first) == 2 * 5 + 1 + 1  # five extracts a quarter, the records, the manifest
    assert "raw/2024-Q1/border_crossing_records.parquet" in first
    assert first == second
    main(["--out", str(tmp_path / "c"), *args[:-3], "8"])
    other = _digests(tmp_path / "c")
    assert other["raw/2024-Q1/border_crossings.csv"] != first["raw/2024-Q1/border_crossings.csv"]


def test_a_quarter_does_not_depend_on_the_range(tmp_path):
    generate(tmp_path / "long", "2019-Q1", "2019-Q4", 3)
    generate(tmp_path / "short", "2019-Q3", "2019-Q3", 3)
    for source in SOURCES:
        name = f"raw/2019-Q3/{source}.csv"
        assert (tmp_path / "long" / name).read_bytes() == (tmp_path / "short" / name).read_bytes(), source


@pytest.mark.parametrize("target", [REPO_DATA, REPO_DATA / "raw", REPO_DATA / "raw" / "synthetic"])
def test_never_writes_into_the_repository_data(target):
    with pytest.raises(SystemExit, match="refusing"):
        generate(target, "2024-Q1", "2024-Q1", 1)


@pytest.fixture(scope="module")
def published(history_dir: Path) -> dict[str, pd.DataFrame]:
    """Every quarter read and pandera-validated like the extract assets do, then conformed."""
    paths = DataPaths(history_dir)
    quarters = sorted(p.name for p in paths.raw.iterdir() if p.is_dir())
    out = {}
    for quarter in quarters:
        staged = [read_validated_extract(paths, quarter, spec) for spec in SOURCES.values()]
        assert all(s is not None for s in staged), quarter
        frame = conform(pd.concat([s.rows for s in staged], ignore_index=True), country_mapper())
        frame["stage"] = "corrected"
        out[quarter] = frame
    return out


def test_every_quarter_is_schema_valid_and_consistent(published):
    assert list(published) == ["2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4", "2018-Q1", "2018-Q2"]
    history: list[pd.DataFrame] = []
    evaluated: dict[str, int] = {}
    for quarter, frame in published.items():
        findings = evaluate_rules(frame, pd.concat(history, ignore_index=True) if history else None)
        # The records quarter has its crossings scaled to RECORD_ROWS: its totals jump (plausible_change is
        # WARN-only and exists for such jumps); everything else must hold.
        failed = [
            f"{quarter} {f.rule}: {f.message}"
            for f in findings
            if not f.passed and not (quarter == RECORDS_QUARTER and f.rule == "plausible_change")
        ]
        assert not failed, "\n".join(failed)
        for f in findings:
            evaluated[f.rule] = evaluated.get(f.rule, 0) + 1
        history.append(frame)
    # the consistency rules really ran on the synthetic figures
    for rule in (
        "parts_sum_to_total",
        "shares_sum_to_100",
        "share_matches_ratio",
        "stated_change_matches",
        "group_totals_add_up",
        "subset_within_total",
        "quarters_agree_with_year",
        "country_group_matches_reference",
        "rank_matches_values",
    ):
        assert evaluated.get(rule, 0) > 0, rule


def test_magnitudes_follow_the_published_quarters(published):

    def total(frame, measure, direction=None, period=None):
        rows = frame[
            (frame["measure"] == measure)
            & frame["country"].isna()
            & frame["country_group"].isna()
            & frame["purpose"].isna()
            & frame["age_group"].isna()
            & frame["category"].isna()
            & frame["sector"].isna()
            & frame["value"].notna()
            & (frame["period_kind"] == ("date" if measure == "foreign_workers" else "quarter"))
        ]
        if direction:
            rows = rows[rows["direction"] == direction]
        if period:
            rows = rows[rows["period"] == period]
        assert len(rows) == 1, (measure, direction, period)
        return float(rows["value"].iloc[0])

    arrivals = {q: total(f, "border_crossings", "in", q) for q, f in published.items() if q != "2018-Q2"}
    assert all(2.4e6 <= v <= 4.5e6 for v in arrivals.values()), arrivals
    assert arrivals["2017-Q3"] > arrivals["2017-Q1"] and arrivals["2017-Q2"] > arrivals["2017-Q4"]
    for quarter, frame in published.items():
        assert 80_000 <= total(frame, "trp_holders") <= 130_000
        assert 11_000 <= total(frame, "foreign_workers") <= 17_000
        assert 110e6 <= total(frame, "personal_remittances", "out", quarter) <= 230e6
        cis = frame[(frame["obs_id"].str.endswith("_cis")) & (frame["measure"] == "border_crossings")]
        assert all(55 <= s <= 75 for s in cis["share"]), quarter
    # Ukraine is CIS in the reference data until May 2018: CIS in 2018-Q1, non-CIS in 2018-Q2
    prp = {q: f[(f["measure"] == "prp_issued") & (f["country_iso3"] == "UKR")] for q, f in published.items()}
    assert set(prp["2018-Q1"]["country_group"]) == {"CIS"}
    assert set(prp["2018-Q2"]["country_group"]) == {"non-CIS"}


def test_seed_is_recorded(history_dir):
    manifest = (history_dir / "synthetic.json").read_text()
    assert f'"seed": {SEED}' in manifest
