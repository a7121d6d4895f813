"""Suggested corrections on consistent synthetic quarters (mtm_pipeline.synthetic) with one transcription
error injected: every kind of edit, in several sources. The injected error's fix is the top suggestion of
every finding it causes; the quarters without an error get no suggestion.

Figures are chosen by their structure (a part of a complete breakdown, a total with a stated change, ...),
never by name, so the cases hold for any seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mtm_pipeline import synthetic
from mtm_pipeline.checks.rules import evaluate_rules, prepare_history
from mtm_pipeline.checks.suggest import suggest_corrections
from mtm_pipeline.checks.suggest.figures import notation
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES

QUARTER = "2024-Q1"
SEEDS = (7, 11)


def _load(root: Path, quarter: str) -> pd.DataFrame:
    extracts = [read_validated_extract(DataPaths(root), quarter, spec) for spec in SOURCES.values()]
    return conform(pd.concat([e.rows for e in extracts if e is not None]), country_mapper()).reset_index(
        drop=True
    )


@pytest.fixture(scope="module", params=SEEDS)
def quarter(request, tmp_path_factory) -> tuple[pd.DataFrame, list]:
    root = tmp_path_factory.mktemp(f"synthetic-{request.param}")
    synthetic.generate(root, "2023-Q1", QUARTER, request.param)
    history = pd.concat(
        [_load(root, q).assign(stage="corrected") for q in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4")]
    )
    return _load(root, QUARTER), prepare_history(history)


# --- choosing figures by structure --------------------------------------------------------------------------


def _rows(frame: pd.DataFrame, source: str, **conditions) -> pd.DataFrame:
    rows = frame[frame["source"] == source]
    for column, wanted in conditions.items():
        rows = (
            rows[rows[column].notna()]
            if wanted is True
            else rows[rows[column].isna()]
            if wanted is None
            else rows[rows[column] == wanted]
        )
    return rows.sort_values("value", ascending=False)


def _complete_country_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """Country rows with a count and a share, parts of a complete group breakdown (permits by country)."""
    rows = _rows(frame, "residence_permits", country_iso3=True, share=True, value=True)
    rows = rows[rows["parts_complete"].fillna(False).astype(bool)]
    return rows[rows["part_of"] == rows.iloc[0]["part_of"]]


def _figure(frame: pd.DataFrame, obs_id: str, field: str) -> str:
    row = frame[frame["obs_id"] == obs_id].iloc[0]
    if field == "rank":
        return str(int(row["rank"]))
    return notation(field, float(row[field]), float(row[f"{field}_precision"]))


def _inject(frame: pd.DataFrame, obs_id: str, field: str, written: str) -> pd.DataFrame:
    out = frame.copy()
    at = out.index[out["obs_id"] == obs_id][0]
    if field == "rank":
        out.loc[at, "rank"] = int(written)
        return out
    number = parse_published_number(written, allow_percent_sign=field != "value")
    out.loc[at, field], out.loc[at, f"{field}_precision"] = float(number.value), float(number.precision)
    return out


def _slip_digit(text: str) -> str:
    first = next(i for i, ch in enumerate(text) if ch.isdigit())
    return text[:first] + str(int(text[first]) % 9 + 1) + text[first + 1 :]


def _transpose(text: str) -> str:
    i = next(
        i
        for i in range(len(text) - 1)
        if text[i].isdigit() and text[i + 1].isdigit() and text[i] != text[i + 1]
    )
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _drop_digit(text: str) -> str:
    return text[0] + text[2:]


def _double_digit(text: str) -> str:
    return text[:2] + text[1] + text[2:]


def _move_decimal(text: str) -> str:
    number, word = text.split(" ", 1)
    digits = number.replace(".", "")
    return (
        f"{digits[0]}.{digits[1:]} {word}" if "." in number and number.index(".") > 1 else f"{digits}0 {word}"
    )


def _other_scale(text: str) -> str:
    return (
        text.replace(" million", " thousand") if " million" in text else text.replace(" billion", " million")
    )


# --- the cases ----------------------------------------------------------------------------------------------


def case_digit_wrong(frame):
    obs_id = _complete_country_parts(frame).iloc[0]["obs_id"]
    return [(obs_id, "value", _slip_digit(_figure(frame, obs_id, "value")))], "typing_digit"


def case_transposed(frame):
    rows = _rows(frame, "labour_migration", category=True, value=True)
    obs_id = next(
        o for o in rows["obs_id"] if _transpose(_figure(frame, o, "value")) != _figure(frame, o, "value")
    )
    return [(obs_id, "value", _transpose(_figure(frame, obs_id, "value")))], "typing_transposed"


def case_dropped(frame):
    obs_id = _rows(frame, "emigration", education=True, value=True).iloc[0]["obs_id"]
    return [(obs_id, "value", _drop_digit(_figure(frame, obs_id, "value")))], "typing_dropped"


def case_doubled(frame):
    obs_id = _rows(frame, "border_crossings", value=True, change=True, period=QUARTER).iloc[0]["obs_id"]
    return [(obs_id, "value", _double_digit(_figure(frame, obs_id, "value")))], "typing_doubled"


def case_decimal(frame):
    obs_id = _rows(frame, "remittances", country_iso3=True, share=True, period=QUARTER).iloc[0]["obs_id"]
    return [(obs_id, "value", _move_decimal(_figure(frame, obs_id, "value")))], "typing_decimal"


def case_scale(frame):
    rows = _rows(frame, "border_crossings", value=True, change=None)
    obs_id = rows[rows["value_precision"] > 1].iloc[0]["obs_id"]  # a comparison base written in millions
    return [(obs_id, "value", _other_scale(_figure(frame, obs_id, "value")))], "typing_scale"


def case_sign(frame):
    obs_id = _rows(frame, "emigration", change=True, value=True, period=QUARTER).iloc[0]["obs_id"]
    change = _figure(frame, obs_id, "change")
    return [(obs_id, "change", change[1:] if change.startswith("-") else "-" + change)], "sign"


def case_sign_of_remittances(frame):
    obs_id = _rows(frame, "remittances", change=True, value=True, period=QUARTER).iloc[0]["obs_id"]
    change = _figure(frame, obs_id, "change")
    return [(obs_id, "change", change[1:] if change.startswith("-") else "-" + change)], "sign"


def case_swap_in_row(frame):
    """A country's figures of the quarter and of the year before, swapped (the same row of a table)."""
    quarter = _rows(frame, "residence_permits", country_iso3=True, value=True, period=QUARTER)
    year = _rows(frame, "residence_permits", country_iso3=True, value=True)
    year = year[year["period_kind"] == "year"]
    a = quarter[quarter["country_iso3"].isin(year["country_iso3"])].iloc[0]
    b = year[(year["country_iso3"] == a["country_iso3"]) & (year["measure"] == a["measure"])].iloc[0]
    a, b = a["obs_id"], b["obs_id"]
    return [(a, "value", _figure(frame, b, "value")), (b, "value", _figure(frame, a, "value"))], "swap"


def case_swap_in_column(frame):
    """Two ranked countries' counts (swapping a count with its share is indistinguishable from swapping
    the shares, so the case uses counts that also carry a rank and a change)."""
    parts = _rows(frame, "emigration", country_iso3=True, rank=True, change=True)
    a, b = parts.iloc[0]["obs_id"], parts.iloc[1]["obs_id"]
    return [(a, "value", _figure(frame, b, "value")), (b, "value", _figure(frame, a, "value"))], "swap"


def case_swap_of_ranks(frame):
    ranked = _rows(frame, "emigration", rank=True, value=True).sort_values("rank")
    a, b = ranked.iloc[0]["obs_id"], ranked.iloc[1]["obs_id"]
    return [(a, "rank", _figure(frame, b, "rank")), (b, "rank", _figure(frame, a, "rank"))], "swap"


def case_share_base(frame):
    part = _complete_country_parts(frame).iloc[0]
    group = frame[frame["obs_id"] == part["part_of"]].iloc[0]
    total = frame[frame["obs_id"] == group["part_of"]].iloc[0]
    return [
        (part["obs_id"], "share", synthetic.share_text(int(part["value"]), int(total["value"])))
    ], "share_base"


def case_pinned(frame):
    group = _complete_country_parts(frame).iloc[0]["part_of"]
    value = int(frame[frame["obs_id"] == group].iloc[0]["value"])
    return [(group, "value", str(round(value * 1.37)))], "pinned_value"


CASES = [
    case_digit_wrong,
    case_transposed,
    case_dropped,
    case_doubled,
    case_decimal,
    case_scale,
    case_sign,
    case_sign_of_remittances,
    case_swap_in_row,
    case_swap_in_column,
    case_swap_of_ranks,
    case_share_base,
    case_pinned,
]


def test_consistent_quarters_get_no_suggestion(quarter):
    frame, history = quarter
    assert not [f for f in evaluate_rules(frame, history) if not f.passed]
    result = suggest_corrections(frame, history, quarter=QUARTER)
    assert result.suggestions == [] and result.unexplained == [] and result.rows() is None


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_the_injected_fix_ranks_first(quarter, case):
    frame, history = quarter
    injected, kind = case(frame)
    broken = frame
    for obs_id, field, written in injected:
        assert written != _figure(frame, obs_id, field)
        broken = _inject(broken, obs_id, field, written)
    failing = [f for f in evaluate_rules(broken, history) if not f.passed]
    assert failing, f"the injected error {injected} breaks no rule"
    result = suggest_corrections(broken, history, quarter=QUARTER)
    fix = {(obs_id, field, _figure(frame, obs_id, field)) for obs_id, field, _ in injected}
    top = result.suggestions[0]
    assert {(e.cell.obs_id, e.cell.field, e.suggested_text) for e in top.edits} == fix, top.evidence
    assert top.kind == kind and top.rank == 1
    for finding in failing:
        assert result.for_finding(finding.rule, finding.subject)[0] is top, finding.subject
    assert result.unexplained == []
    assert result.set_search is None  # one error: single edits explain it, no set is searched
