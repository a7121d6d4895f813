"""Corrections: the reviewed 2024-Q1 file, applying it, and failing loudly when it no longer fits."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from mtm_pipeline.checks.corrections import (
    CORRECTION_COLUMNS,
    CorrectionError,
    apply_corrections,
    load_corrections,
)
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES

DATA = Path(__file__).resolve().parents[2] / "data"
CORRECTIONS = DATA / "corrections"

# Findings of the delivered stage that the 2024-Q1 corrections resolve.
ADDRESSED = [
    ("group_totals_add_up", ("prp_2024q1_total", "prp_2024q1_cis", "prp_2024q1_noncis")),
    (
        "parts_sum_to_total",
        (
            "prp_2024q1_cis",
            *[f"prp_2024q1_cis_{c}" for c in ("uzb", "rus", "kgz", "tjk", "aze", "blr", "arm")],
        ),
    ),
    ("share_matches_ratio", ("prp_2024q1_cis_rus", "prp_2024q1_cis")),
    *[
        ("share_matches_ratio", (f"prp_2024q1_noncis_{c}", "prp_2024q1_noncis"))
        for c in ("mng", "tur", "geo", "ukr", "tkm", "deu", "irn")
    ],
    ("stated_change_matches", ("rem_out_2023_geo", "rem_out_2022_geo")),
    ("stated_change_matches", ("rem_in_2023_kgz", "rem_in_2022_kgz")),
    ("share_matches_ratio", ("rem_in_2022_kgz", "rem_in_2022_total")),
    ("share_matches_ratio", ("rem_in_2023_kgz", "rem_in_2023_total")),
]
# Left uncorrected on purpose (see docs/q1-2024-findings.md).
UNCORRECTED = [
    ("share_matches_ratio", ("prp_2024q1_cis_uzb", "prp_2024q1_cis")),
    ("share_matches_ratio", ("prp_2024q1_cis_kgz", "prp_2024q1_cis")),
    ("share_matches_ratio", ("prp_2024q1_cis_tjk", "prp_2024q1_cis")),
    ("share_matches_ratio", ("prp_2024q1_noncis_chn", "prp_2024q1_noncis")),
    ("share_matches_ratio", ("rem_in_2022_tur", "rem_in_2022_total")),
    ("stated_change_matches", ("rem_in_2023_total", "rem_in_2022_total")),
]


def keyed(pairs) -> set[tuple[str, frozenset[str]]]:
    return {(rule, frozenset(ids)) for rule, ids in pairs}


@pytest.fixture(scope="module")
def delivered() -> pd.DataFrame:
    paths = DataPaths(DATA.absolute())
    extracts = [read_validated_extract(paths, "2024-Q1", spec) for spec in SOURCES.values()]
    return conform(pd.concat([e.rows for e in extracts if e is not None]), country_mapper())


@pytest.fixture(scope="module")
def corrections() -> pd.DataFrame:
    return load_corrections(CORRECTIONS, "2024-Q1")


@pytest.fixture(scope="module")
def corrected(delivered, corrections) -> pd.DataFrame:
    return apply_corrections(delivered, corrections)


def write(tmp_path: Path, rows: list[dict], quarter: str = "2024-Q1", header=CORRECTION_COLUMNS) -> Path:
    with (tmp_path / f"{quarter}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(c, "") for c in header])
    return tmp_path / f"{quarter}.csv"


def correction(**cells) -> dict:
    base = {
        "quarter": "2024-Q1",
        "source": "residence_permits",
        "obs_id": "prp_2024q1_cis_rus",
        "field": "value",
        "published_value": "2476",
        "corrected_value": "2276",
        "justification": "the CIS parts sum to 5,745 only with 2,276",
        "author": "MTM data team",
        "decided_on": "2026-11-22",
    }
    return {**base, **cells}


# --- the 2024-Q1 file ------------------------------------------------------------------------------------


def test_q1_corrections_file(corrections):
    assert tuple(corrections.columns) == CORRECTION_COLUMNS
    assert list(corrections.index) == list(range(2, 9))  # row numbers in the file, header = 1
    assert set(corrections["author"]) == {"MTM data team"} and set(corrections["decided_on"]) == {
        "2026-11-22"
    }
    assert set(zip(corrections["obs_id"], corrections["field"], strict=True)) == {
        ("prp_2024q1_cis_rus", "value"),
        ("prp_2024q1_noncis", "value"),
        ("rem_out_2023_geo", "change"),
        ("rem_in_2022_kgz", "value"),
        ("rem_in_2022_kgz", "share"),
        ("rem_in_2023_kgz", "value"),
        ("rem_in_2023_kgz", "share"),
    }
    assert corrections["justification"].str.len().min() > 100


def test_apply_q1_corrections(delivered, corrected):
    assert list(corrected.columns) == [*delivered.columns, "corrected_fields"]
    assert len(corrected) == len(delivered)
    by_id = corrected.set_index("obs_id")
    assert by_id.at["prp_2024q1_cis_rus", "value"] == 2276
    assert by_id.at["prp_2024q1_noncis", "value"] == 2219
    assert by_id.at["rem_out_2023_geo", "change"] == pytest.approx(7.6)
    assert by_id.at["rem_out_2023_geo", "change_precision"] == pytest.approx(0.1)
    assert by_id.at["rem_in_2022_kgz", "value"] == pytest.approx(31.7e6)
    assert by_id.at["rem_in_2022_kgz", "value_precision"] == pytest.approx(1e5)
    assert by_id.at["rem_in_2022_kgz", "share"] == 7 and by_id.at["rem_in_2022_kgz", "share_precision"] == 1
    assert by_id.at["rem_in_2023_kgz", "value"] == pytest.approx(6.8e6)
    assert by_id.at["rem_in_2023_kgz", "corrected_fields"] == "value,share"
    assert by_id["corrected_fields"].notna().sum() == 5
    assert by_id.at["prp_2024q1_total", "corrected_fields"] is None
    # the delivered frame itself is untouched
    assert delivered.set_index("obs_id").at["prp_2024q1_cis_rus", "value"] == 2476


def test_corrected_stage_passes_the_addressed_rules(delivered, corrected):
    delivered_failures = {(f.rule, frozenset(f.obs_ids)) for f in evaluate_rules(delivered) if not f.passed}
    assert delivered_failures == keyed(ADDRESSED) | keyed(UNCORRECTED)
    findings = evaluate_rules(corrected)
    by_key = {(f.rule, frozenset(f.obs_ids)): f for f in findings}
    for key in keyed(ADDRESSED):
        assert by_key[key].passed, by_key[key]
    still_failing = {(f.rule, frozenset(f.obs_ids)) for f in findings if not f.passed}
    assert still_failing == keyed(UNCORRECTED)


# --- failing loudly --------------------------------------------------------------------------------------


def test_published_value_no_longer_matching_the_delivery(delivered, corrections):
    redelivered = delivered.copy()
    redelivered.loc[redelivered.obs_id == "prp_2024q1_cis_rus", "value"] = 2477.0
    with pytest.raises(CorrectionError) as error:
        apply_corrections(redelivered, corrections)
    text = str(error.value)
    assert "2024-Q1.csv row 2" in text and "prp_2024q1_cis_rus" in text
    assert "'2476' no longer matches the delivered value '2477'" in text


def test_published_value_compared_as_a_number_with_its_precision(tmp_path, delivered):
    same = correction(
        source="remittances",
        obs_id="rem_in_2022_kgz",
        published_value="6,8 million",
        corrected_value="31.7 million",
    )
    out = apply_corrections(delivered, _load(tmp_path, [same])).set_index("obs_id")
    assert out.at["rem_in_2022_kgz", "value"] == pytest.approx(31.7e6)
    coarser = {**same, "published_value": "7 million"}  # another precision: not the published figure
    with pytest.raises(
        CorrectionError, match=r"row 2 .*'7 million' no longer matches the delivered value '6.8 million'"
    ):
        apply_corrections(delivered, _load(tmp_path, [coarser]))


def test_the_delivered_figure_is_named_in_the_notation_it_was_delivered_in(tmp_path, delivered):
    redelivered = delivered.copy()
    at = redelivered.obs_id == "prp_2024q1_cis_rus"
    redelivered.loc[at, "value"], redelivered.loc[at, "value_precision"] = 2500.0, 100.0  # "2.5 thousand"
    stale = correction(
        source="residence_permits",
        obs_id="prp_2024q1_cis_rus",
        published_value="2476",
        corrected_value="2276",
    )
    with pytest.raises(CorrectionError, match="'2476' no longer matches the delivered value '2.5 thousand'"):
        apply_corrections(redelivered, _load(tmp_path, [stale]))


def _load(tmp_path: Path, rows: list[dict]) -> pd.DataFrame:
    write(tmp_path, rows)
    return load_corrections(tmp_path, "2024-Q1")


def test_unknown_obs_id(tmp_path, delivered):
    rows = [correction(), correction(obs_id="prp_2024q1_cis_xxx")]
    with pytest.raises(CorrectionError) as error:
        apply_corrections(delivered, _load(tmp_path, rows))
    text = str(error.value)
    assert (
        str(tmp_path / "2024-Q1.csv") in text and "row 3" in text and "'prp_2024q1_cis_xxx' is not in" in text
    )


def test_text_field_correction(tmp_path, delivered):
    rows = [
        correction(
            source="labour_migration",
            obs_id="fw_2024q1_sector_construction",
            field="parts_complete",
            published_value="no",
            corrected_value="yes",
        ),
        correction(
            source="emigration", obs_id="emi_2023_isr", field="rank", published_value="8", corrected_value="9"
        ),
    ]
    out = apply_corrections(delivered, _load(tmp_path, rows)).set_index("obs_id")
    assert bool(out.at["fw_2024q1_sector_construction", "parts_complete"]) is True
    assert out.at["emi_2023_isr", "rank"] == 9 and out.at["emi_2023_isr", "corrected_fields"] == "rank"
    stale = [{**rows[0], "published_value": "yes", "corrected_value": "no"}]
    with pytest.raises(CorrectionError, match="'yes' no longer matches the delivered parts_complete 'no'"):
        apply_corrections(delivered, _load(tmp_path, stale))


# --- loading ---------------------------------------------------------------------------------------------


def test_no_file_means_no_corrections(tmp_path, delivered):
    empty = load_corrections(tmp_path, "2024-Q3")
    assert empty.empty and tuple(empty.columns) == CORRECTION_COLUMNS
    out = apply_corrections(delivered, empty)
    assert out["corrected_fields"].isna().all()
    assert out.drop(columns="corrected_fields").equals(delivered)


def test_malformed_rows_are_named_by_file_row_and_column(tmp_path):
    rows = [
        correction(),
        correction(quarter="2024-Q2", source="nowhere", field="country", decided_on="22.11.2026"),
        correction(field="share", published_value="39,6%", corrected_value="forty", justification=" "),
        correction(),  # duplicate of row 2
    ]
    with pytest.raises(CorrectionError) as error:
        _load(tmp_path, rows)
    text = str(error.value)
    assert text.startswith(str(tmp_path / "2024-Q1.csv"))
    for expected in (
        "row 3, column 'quarter'",
        "row 3, column 'source'",
        "row 3, column 'field'",
        "row 3, column 'decided_on'",
        "row 4, column 'corrected_value': corrected_value 'forty' is not a number",
        "row 4, column 'justification'",
        "row 5: corrects the same source, obs_id and field as row 2",
    ):
        assert expected in text
    assert "row 4, column 'published_value'" not in text  # '39,6%' is a valid share notation


def test_wrong_header(tmp_path):
    write(tmp_path, [correction()], header=CORRECTION_COLUMNS[:-1])
    with pytest.raises(CorrectionError, match=r"2024-Q1.csv row 1 \(header\).*missing \['decided_on'\]"):
        load_corrections(tmp_path, "2024-Q1")


def test_quarter_key_is_validated(tmp_path):
    with pytest.raises(ValueError):
        load_corrections(tmp_path, "2024")
