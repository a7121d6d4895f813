"""Synthetic quarters written counts-only, as agencies deliver them."""

from __future__ import annotations

import json

import pandas as pd

from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.synthetic import generate, main


def test_counts_only_quarters_carry_counts_and_nothing_computed(counts_only, counts_only_dir):
    manifest = json.loads((counts_only_dir / "synthetic.json").read_text())
    assert manifest["counts_only"] is True
    for quarter, frame in counts_only.items():
        assert frame["value"].notna().all(), quarter
        assert frame[["share", "change", "rank"]].isna().all().all(), quarter
        assert set(frame["period"]) - {quarter} <= set(
            frame.loc[frame["period_kind"] == "date", "period"]
        ) | {
            quarter[:4]  # the year's work permit quota in Q1
        }
        countries = frame[frame["country"].notna()]
        # a country's group is left to dated membership; only an unnamed remainder may carry one
        assert (countries["country_group"].isna() | (countries["country_iso3"] == "ZZZ")).all()


def test_counts_only_quarters_are_consistent(counts_only):
    history: list[pd.DataFrame] = []
    for quarter, frame in counts_only.items():
        findings = evaluate_rules(frame, pd.concat(history, ignore_index=True) if history else None)
        failed = [f"{quarter} {f.rule}: {f.message}" for f in findings if not f.passed]
        assert not failed, "\n".join(failed)
        history.append(frame)


def test_counts_only_flag_and_determinism(tmp_path):
    args = ["--first", "2024-Q1", "--last", "2024-Q1", "--seed", "3", "--counts-only"]
    assert main(["--out", str(tmp_path / "a"), *args]) == 0
    generate(tmp_path / "b", "2024-Q1", "2024-Q1", 3, counts_only_extracts=True)
    generate(tmp_path / "c", "2024-Q1", "2024-Q1", 3)
    for source in ("border_crossings", "remittances"):
        name = f"raw/2024-Q1/{source}.csv"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    assert "counts_only" not in json.loads((tmp_path / "c" / "synthetic.json").read_text())
