"""The candidate generators and the notation of suggested figures (pure functions)."""

from __future__ import annotations

import pytest

from mtm_pipeline.checks.suggest import share_bases, signs, swaps, typing_errors
from mtm_pipeline.checks.suggest.figures import Cell, Stage, notation, parse


@pytest.mark.parametrize(
    ("field", "value", "precision", "written"),
    [
        ("value", 2276.0, 1.0, "2276"),
        ("value", 31.7e6, 1e5, "31.7 million"),
        ("value", 1.08e9, 1e7, "1.08 billion"),
        ("value", 2700.0, 100.0, "2.7 thousand"),
        ("change", -10.6, 0.1, "-10.6"),
        ("change", -201.5e6, 1e5, "-201.5 million"),  # an absolute change is written like a value
        ("share", 7.0, 1.0, "7"),
        ("rank", 3.0, None, "3"),
    ],
)
def test_notation_as_the_contract_writes_figures(field, value, precision, written):
    assert notation(field, value, precision) == written
    assert parse(field, written) == (value, precision)


def _row(obs_id, **cells):
    base = {"source": "s", "obs_id": obs_id, "measure": "m", "period": "2024-Q1", "unit": "persons"}
    return {**base, **cells}


def test_typing_errors_of_a_count():
    stage = Stage([_row("a", value=2476.0, value_precision=1.0)])
    found = {
        (c.kind, c.edits[0].suggested_text) for c in typing_errors.candidates(stage, Cell("s", "a", "value"))
    }
    assert ("typing_digit", "2276") in found
    assert ("typing_transposed", "4276") in found
    assert ("typing_dropped", "24476") in found
    assert ("typing_doubled", "276") not in found  # no doubled digit in 2476
    assert not any(text.startswith("0") for _, text in found)


def test_typing_errors_of_a_rounded_figure_skip_rounding():
    stage = Stage([_row("a", share=45.2, share_precision=0.1)])
    found = {c.edits[0].suggested_text for c in typing_errors.candidates(stage, Cell("s", "a", "share"))}
    assert "45.3" not in found and "45.1" not in found and "45.29" not in found  # one unit of the last digit
    assert "54.2" in found and "4.52" in found


def test_decimal_and_scale_slips_of_money():
    stage = Stage([_row("a", value=4.57e6, value_precision=1e4, unit="USD")])
    found = {
        (c.kind, c.edits[0].suggested_text) for c in typing_errors.candidates(stage, Cell("s", "a", "value"))
    }
    assert ("typing_decimal", "45.7 million") in found
    assert ("typing_scale", "4.57 billion") in found


def test_sign_of_a_change():
    stage = Stage([_row("a", change=-7.6, change_precision=0.1)])
    (candidate,) = signs.candidates(stage, Cell("s", "a", "change"))
    assert candidate.edits[0].suggested_text == "7.6" and "extra minus" in candidate.detail


def test_sign_of_an_absolute_change_in_millions_written_as_delivered():
    """The figures are written as a corrections file must quote them (value and precision)."""
    stage = Stage([_row("a", change=201.5e6, change_precision=1e5, change_unit="absolute", unit="USD")])
    (candidate,) = signs.candidates(stage, Cell("s", "a", "change"))
    edit = candidate.edits[0]
    assert (edit.published_text, edit.suggested_text) == ("201.5 million", "-201.5 million")


def test_swaps_in_a_row_and_a_column():
    rows = [
        _row("t", value=100.0, value_precision=1.0),
        _row("a", value=60.0, value_precision=1.0, share=60.0, share_precision=1.0, part_of="t", country="A"),
        _row("b", value=40.0, value_precision=1.0, share=40.0, share_precision=1.0, part_of="t", country="B"),
        _row("a_prev", period="2023-Q4", value=55.0, value_precision=1.0, country="A"),
    ]
    stage = Stage(rows)
    details = [c.detail for c in swaps.candidates(stage, Cell("s", "a", "value"))]
    assert any("a and b swapped (two rows of one breakdown)" in d for d in details)
    assert any("the value and share of a and b" in d for d in details)
    assert any("a and a_prev swapped (2024-Q1 and 2023-Q4)" in d for d in details)


def test_share_on_the_total_instead_of_the_group():
    rows = [
        _row("t", value=1000.0, value_precision=1.0),
        _row("g", value=400.0, value_precision=1.0, part_of="t", country_group="CIS"),
        _row(
            "a", value=100.0, value_precision=1.0, share=10.0, share_precision=1.0, part_of="g", country="A"
        ),
    ]
    (candidate,) = share_bases.candidates(Stage(rows), Cell("s", "a", "share"))
    assert candidate.edits[0].suggested_text == "25"
    assert "over the total t instead of its group g" in candidate.detail


def test_share_on_the_group_instead_of_the_total():
    rows = [
        _row("t", value=1000.0, value_precision=1.0),
        _row("g", value=400.0, value_precision=1.0, part_of="t", country_group="CIS"),
        _row(
            "a",
            value=100.0,
            value_precision=1.0,
            share=25.0,
            share_precision=1.0,
            part_of="t",
            country="A",
            country_group="CIS",
        ),
    ]
    (candidate,) = share_bases.candidates(Stage(rows), Cell("s", "a", "share"))
    assert candidate.edits[0].suggested_text == "10"
    assert "over its group g instead of the total t" in candidate.detail


def test_pinned_value_of_a_part_and_of_a_total():
    from mtm_pipeline.checks.suggest import pinned_values

    rows = [
        _row("t", value=100.0, value_precision=1.0),
        _row("a", value=70.0, value_precision=1.0, part_of="t", parts_complete=True, country="A"),
        _row("b", value=40.0, value_precision=1.0, part_of="t", parts_complete=True, country="B"),
    ]
    stage = Stage(rows)
    found = {
        c.edits[0].cell.obs_id: c.edits[0].suggested_text
        for c in pinned_values.candidates(
            stage, "parts_sum_to_total", "t = 100 vs sum of 2 parts by country", [0, 1, 2]
        )
    }
    assert found == {"t": "110", "a": "60", "b": "30"}


def test_every_rule_says_which_figures_it_compares():
    from mtm_pipeline.checks.rules import RULES
    from mtm_pipeline.checks.suggest.figures import RULE_FIELDS

    assert set(RULE_FIELDS) == set(RULES)


def test_no_swap_across_dimensions_of_one_total():
    """A country's share and a sector's share of the same total are two breakdowns: never swapped."""
    rows = [
        _row("t", value=100.0, value_precision=1.0),
        _row("a", value=60.0, value_precision=1.0, share=60.0, share_precision=1.0, part_of="t", country="A"),
        _row("b", value=40.0, value_precision=1.0, share=40.0, share_precision=1.0, part_of="t", country="B"),
        _row("x", value=70.0, value_precision=1.0, share=70.0, share_precision=1.0, part_of="t", sector="X"),
    ]
    stage = Stage(rows)
    for field in ("share", "value"):
        partners = {
            e.cell.obs_id
            for c in swaps.candidates(stage, Cell("s", "a", field))
            for e in c.edits
            if e.cell.obs_id != "a"
        }
        assert partners == {"b"}, field
    assert not any("x" in c.detail for c in swaps.candidates(stage, Cell("s", "x", "share")))


def test_swaps_of_the_real_2024_q1_stay_within_one_breakdown():
    from mtm_pipeline.checks.rules.context import breakdown_dims
    from mtm_pipeline_tests.checks.test_q1_report import load_quarter

    stage = Stage(load_quarter("2024-Q1").to_dict("records"))
    swaps_seen = 0
    for obs in stage.normalised:
        for field in ("value", "share"):
            if getattr(obs, field) is None:
                continue
            for candidate in swaps.candidates(stage, Cell(obs.source, obs.obs_id, field)):
                a, b = {stage.obs(e.cell) for e in candidate.edits}
                swaps_seen += 1
                if a.key == b.key:
                    assert a.period != b.period  # the same figure in two periods
                    continue
                total = stage.normalised[stage.position[(a.source, a.part_of)]]
                assert (a.period, a.measure, a.part_of) == (b.period, b.measure, b.part_of)
                assert breakdown_dims(a, total) == breakdown_dims(b, total), candidate.detail
    assert swaps_seen
