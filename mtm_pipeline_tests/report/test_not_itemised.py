"""The part of a total an incomplete list does not itemise: derived in the warehouse, drawn as the grey bar of
its share chart, marked computed, and kept out of the text and tables."""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.report.charts import REMAINDER_LABEL, incomplete_note, share_chart
from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.facts import SET, FactStore
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline_tests.report import derived_for, derived_frame, frame, observations_for

ARRIVALS = {"measure": "border_crossings", "direction": "in"}


def _store(with_remainder: bool) -> FactStore:
    observations = frame(
        {**ARRIVALS, "obs_id": "cis", "country_group": "CIS", "share": 58.2, "share_precision": 0.1},
        {
            **ARRIVALS,
            "country_group": "CIS",
            "country_iso3": "RUS",
            "country_name": "Russian Federation",
            "share": 64.0,
            "share_precision": 1.0,
            "part_of": "cis",
            "parts_complete": False,
        },
        {
            **ARRIVALS,
            "country_group": "CIS",
            "country_iso3": "UZB",
            "country_name": "Uzbekistan",
            "share": 27.4,
            "share_precision": 0.1,
            "part_of": "cis",
            "parts_complete": False,
        },
    )
    derived = derived_frame(
        {
            **ARRIVALS,
            "derivation": "remainder",
            "obs_id": "drv_remainder_share_cis_country",
            "country_group": "CIS",
            "country_iso3": "ZZZ",
            "country_name": "Other countries",
            "share": 8.6,
            "share_precision": 10.0,
            "share_low": 8.05,
            "share_high": 9.15,
            "part_of": "cis",
            "parts_complete": False,
            "input_obs_ids": "cis,obs_3,obs_4",
        },
    )
    return FactStore.from_observations(observations, derived=derived if with_remainder else None)


def test_share_chart_ends_with_the_derived_remainder_in_grey_marked_computed():
    store = _store(with_remainder=True)
    listed = store.query("border_crossings", "2024-Q1", direction="in", country_group="CIS", country_iso3=SET)
    assert [f.country_iso3 for f in listed] == ["RUS", "UZB"]  # the text and tables see the listed parts only
    rest = store.not_itemised[listed[0].parent]
    chart = share_chart(listed, "% of arrivals", rest)
    assert chart.categories == ("Russian Federation", "Uzbekistan", REMAINDER_LABEL)
    assert chart.labels == (("64%", "27.4%", "9%\u2020"),)  # at the precision its interval supports
    assert chart.highlight_last
    assert "grey bar" in incomplete_note(listed, rest)[0]


def test_without_a_derived_remainder_the_chart_shows_the_listed_parts_and_says_the_rest_is_not_itemised():
    store = _store(with_remainder=False)
    listed = store.query("border_crossings", "2024-Q1", direction="in", country_group="CIS", country_iso3=SET)
    assert store.not_itemised == {}
    chart = share_chart(listed, "% of arrivals")
    assert chart.categories == ("Russian Federation", "Uzbekistan") and not chart.highlight_last
    assert incomplete_note(listed) == (
        "The list names the largest parts only; the rest of the total is not itemised.",
    )


def test_real_q1_share_charts_have_the_grey_bar_and_the_text_is_unchanged():
    observations = observations_for("2024-Q1")
    derived = derived_for(observations)
    with_rest = FactStore.from_observations(observations, derived=derived)
    without = FactStore.from_observations(observations, derived=derived[derived["derivation"] != "remainder"])
    docs = [
        compose_quarterly(QuarterlySource("2024-Q1", s, pd.DataFrame(), pd.DataFrame()))[0]
        for s in (with_rest, without)
    ]
    bars = [f for f in docs[0].figures if f.chart.highlight_last]
    assert len(bars) == 4  # arrivals and departures, CIS and non-CIS (section 2)
    rest = derived.set_index("obs_id").loc["drv_remainder_share_arr_2024q1_cis_country"]
    first = bars[0].chart
    assert first.categories[-1] == REMAINDER_LABEL and first.labels[0][-1] == f"{rest['share']:.0f}%\u2020"
    assert all(
        any("grey bar" in n for n in f.notes) and any(n.startswith("\u2020") for n in f.notes) for f in bars
    )

    def text(doc) -> list[str]:  # the report without its figures' notes
        notes = {n for f in doc.figures for n in f.notes}
        return [line for line in render_markdown(doc).splitlines() if line and line.strip("*") not in notes]

    assert text(docs[0]) == text(docs[1])
