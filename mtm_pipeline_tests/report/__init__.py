"""Shared helpers of the report tests: observations from the raw extracts, and small hand-made frames."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]


@cache
def _delivery(quarter: str, data_dir: Path = REPO / "data") -> pd.DataFrame:
    from mtm_pipeline.conform import conform
    from mtm_pipeline.countries import country_mapper
    from mtm_pipeline.ingest import read_validated_extract
    from mtm_pipeline.settings import DataPaths
    from mtm_pipeline.sources import SOURCES

    paths = DataPaths(data_dir)
    staged = pd.concat(
        [e.rows for s in SOURCES.values() if (e := read_validated_extract(paths, quarter, s)) is not None]
    )
    frame = conform(staged, country_mapper())
    frame.insert(1, "stage", "corrected")
    frame["corrected_fields"] = None
    return frame


def observations_for(*quarters: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Corrected-stage observations of the given delivery quarters, as the warehouse would hold them (from
    the repository's data/raw, or from data_dir/raw for the quarters found there)."""
    frames = []
    for q in quarters:
        own = data_dir is not None and (data_dir / "raw" / q).is_dir()
        frames.append(_delivery(q, data_dir) if own else _delivery(q))
    return pd.concat(frames, ignore_index=True)


DEFAULTS = {
    "delivery_quarter": "2024-Q1",
    "stage": "corrected",
    "source": "border_crossings",
    "measure": "border_crossings",
    "period": "2024-Q1",
    "direction": None,
    "country": None,
    "country_group": None,
    "purpose": None,
    "category": None,
    "sector": None,
    "education": None,
    "age_group": None,
    "unit": None,
    "part_of": None,
    "parts_complete": None,
    "change_unit": None,
    "change_base_period": None,
    "agency": "Test Agency",
    "publication": "Test publication",
    "publication_date": "2024",
    "location": "Table 9",
    "published_text": None,
    "note": None,
    "value": None,
    "value_precision": None,
    "share": None,
    "share_precision": None,
    "change": None,
    "change_precision": None,
    "rank": None,
    "file_name": "raw/x.csv",
    "file_sha256": "0",
    "row_number": 0,
    "country_iso3": None,
    "country_name": None,
    "cis_member": None,
    "corrected_fields": None,
}


def frame(*rows: dict) -> pd.DataFrame:
    """A small observations frame: each row is DEFAULTS updated with the given fields."""
    out = []
    for i, row in enumerate(rows, start=2):
        full = {**DEFAULTS, "row_number": i, "obs_id": f"obs_{i}", **row}
        out.append(full)
    return pd.DataFrame(out)


# The six findings the corrected stage of 2024-Q1 still fails (quality.check_results, copied from a pipeline
# run; the first obs_id is the figure the finding is about).
Q1_CORRECTED_FINDINGS = (
    (
        "remittances",
        "share_matches_ratio",
        "rem_in_2022_tur,rem_in_2022_total",
        "rem_in_2022_tur: 4% of rem_in_2022_total vs 16.6 million / 476.9 million",
        "[3.46, 3.50] per cent (16.6 million / 476.9 million)",
        "4 per cent (implies a value of [16.68, 21.47] million)",
        "share +/- 0.5; ratio +/- 0.011",
    ),
    (
        "residence_permits",
        "share_matches_ratio",
        "prp_2024q1_cis_uzb,prp_2024q1_cis",
        "prp_2024q1_cis_uzb: 45.2% of prp_2024q1_cis vs 2,602 / 5,745",
        "45.29 per cent (2,602 / 5,745)",
        "45.2 per cent (implies a value of [2,594, 2,599])",
        "share +/- 0.05; ratio exact",
    ),
    (
        "residence_permits",
        "share_matches_ratio",
        "prp_2024q1_cis_kgz,prp_2024q1_cis",
        "prp_2024q1_cis_kgz: 6.3% of prp_2024q1_cis vs 358 / 5,745",
        "6.23 per cent (358 / 5,745)",
        "6.3 per cent (implies a value of [360, 364])",
        "share +/- 0.05; ratio exact",
    ),
    (
        "residence_permits",
        "share_matches_ratio",
        "prp_2024q1_cis_tjk,prp_2024q1_cis",
        "prp_2024q1_cis_tjk: 5.3% of prp_2024q1_cis vs 308 / 5,745",
        "5.36 per cent (308 / 5,745)",
        "5.3 per cent (implies a value of [302, 307])",
        "share +/- 0.05; ratio exact",
    ),
    (
        "residence_permits",
        "share_matches_ratio",
        "prp_2024q1_noncis_chn,prp_2024q1_noncis",
        "prp_2024q1_noncis_chn: 33.4% of prp_2024q1_noncis vs 739 / 2,219",
        "33.30 per cent (739 / 2,219)",
        "33.4 per cent (implies a value of [741, 742])",
        "share +/- 0.05; ratio exact",
    ),
    (
        "remittances",
        "stated_change_matches",
        "rem_in_2023_total,rem_in_2022_total",
        "rem_in_2023_total: 2023 vs 2022 stated -51.8 per cent",
        "[-37.16, -37.11] per cent",
        "-51.8 per cent",
        "stated +/- 0.05; computed +/- 0.017",
    ),
)


def check_row(
    source: str,
    rule: str,
    obs_ids: str,
    subject: str,
    expected: str | None,
    observed: str | None,
    tolerance: str | None = None,
    **fields,
) -> dict:
    """One quality.check_results row (a failed WARN of the corrected stage of 2024-Q1 unless fields say
    otherwise)."""
    return {
        "quarter": "2024-Q1",
        "stage": "corrected",
        "source": source,
        "rule": rule,
        "severity": "WARN",
        "passed": False,
        "subject": subject,
        "expected": expected,
        "observed": observed,
        "tolerance": tolerance,
        "message": f"{subject}: expected {expected}, observed {observed}",
        "evaluated_at": pd.Timestamp("2024-05-01 10:00"),
        "obs_ids": obs_ids,
        **fields,
    }


def q1_corrected_findings(**fields) -> pd.DataFrame:
    return pd.DataFrame([check_row(*f, **fields) for f in Q1_CORRECTED_FINDINGS])


COUNTS_ONLY_QUARTER = "2024-Q3"


@cache
def counts_only_data_dir(quarter: str = COUNTS_ONLY_QUARTER, seed: int = 42) -> Path:
    """A data folder with one synthetic quarter delivered as agencies deliver it (`--counts-only`: totals and
    counts by country, sector, category and education; no shares, ranks or stated changes), to be loaded after
    the two real quarters, as the next delivery would be."""
    import tempfile

    from mtm_pipeline.synthetic import generate

    out = Path(tempfile.mkdtemp(prefix="mtm-counts-only-"))
    generate(out, quarter, quarter, seed, counts_only_extracts=True)
    return out


# Columns of published.derived_figures that the report reads (the table has these and more).
DERIVED_DEFAULTS = {
    "delivery_quarter": "2024-Q1",
    "stage": "derived",
    "source": "border_crossings",
    "derivation": "share_of_total",
    "measure": "border_crossings",
    "period": "2024-Q1",
    "direction": None,
    "country": None,
    "country_group": None,
    "purpose": None,
    "category": None,
    "sector": None,
    "education": None,
    "age_group": None,
    "unit": None,
    "part_of": None,
    "parts_complete": None,
    "change_unit": None,
    "change_base_period": None,
    "value": None,
    "value_precision": None,
    "value_low": None,
    "value_high": None,
    "share": None,
    "share_precision": None,
    "share_low": None,
    "share_high": None,
    "change": None,
    "change_precision": None,
    "change_low": None,
    "change_high": None,
    "rank": None,
    "qualifier": None,
    "input_obs_ids": None,
    "country_iso3": None,
    "country_name": None,
    "cis_member": None,
}


def derived_frame(*rows: dict) -> pd.DataFrame:
    """A small published.derived_figures frame: each row is DERIVED_DEFAULTS updated with the given fields."""
    return pd.DataFrame(
        [{**DERIVED_DEFAULTS, "obs_id": f"der_{i}", **row} for i, row in enumerate(rows, start=1)]
    )


def derived_for(observations: pd.DataFrame) -> pd.DataFrame:
    """published.derived_figures as the derived stage writes it for these observations: each delivery quarter
    in order, from its corrected rows and the deliveries before it."""
    from mtm_pipeline.derive import derive_quarter, empty_derived

    frames = [empty_derived()]
    for quarter in sorted(observations["delivery_quarter"].unique()):
        own = observations[observations["delivery_quarter"] == quarter]
        earlier = observations[observations["delivery_quarter"] < quarter]
        frames.append(derive_quarter(own, earlier, pd.concat(frames, ignore_index=True), quarter=quarter))
    return pd.concat(frames, ignore_index=True)
