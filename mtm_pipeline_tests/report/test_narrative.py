"""Sentences written from small hand-made frames (pure: no files)."""

import pandas as pd

from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.document import FN_PATTERN, Footnotes, Paragraph
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.figures_data import Selector
from mtm_pipeline.report.narrative import (
    Writer,
    availability_sentence,
    comparison_parts,
    joined_comparisons,
    missing_sentence,
    ranking_sentence,
)
from mtm_pipeline_tests.report import derived_for, derived_frame, frame

ARR = {
    "measure": "border_crossings",
    "direction": "in",
    "unit": "crossings",
    "value_precision": 1.0,
    "agency": "National Border Service of Kazakhstan",
}


def view(rows, quarter="2024-Q1", measure="border_crossings", direction="in", derived=()):
    store = FactStore.from_observations(frame(*rows), derived=derived_frame(*derived) if derived else None)
    return Selector(store, quarter).view(measure, direction)


def text_of(clauses):
    return FN_PATTERN.sub("", joined_comparisons(clauses))


def test_stated_change_with_its_base_value():
    v = view(
        [
            {
                **ARR,
                "value": 2975788.0,
                "change": -12.6,
                "change_precision": 0.1,
                "change_unit": "percent",
                "change_base_period": "2023-Q4",
            },
            {**ARR, "period": "2023-Q4", "value": 3405102.0},
        ]
    )
    clauses, missing = comparison_parts(Writer(Footnotes()), v, "migrants")
    assert text_of(clauses) == (
        ", which is 12.6 per cent less than in the last quarter of 2023 (3,405,102 migrants)"
    )
    assert missing == ["2023-Q1"]


def test_a_stated_direction_gets_the_derived_change_labelled_as_computed():
    derived_change = {
        "delivery_quarter": "2024-Q2",
        "derivation": "change_previous_quarter",
        "measure": "border_crossings",
        "period": "2024-Q2",
        "direction": "in",
        "unit": "crossings",
        "change": 10.0,
        "change_precision": 0.1,
        "change_unit": "percent",
        "change_base_period": "2024-Q1",
        "input_obs_ids": "obs_2,obs_3",
    }
    v = view(
        [
            {
                **ARR,
                "period": "2024-Q2",
                "value": 110.0,
                "change": 1.0,
                "change_precision": 1.0,
                "change_unit": "direction",
                "change_base_period": "2024-Q1",
            },
            {**ARR, "period": "2024-Q1", "value": 100.0},
        ],
        quarter="2024-Q2",
        derived=[derived_change],
    )
    w = Writer(Footnotes())
    clauses, _ = comparison_parts(w, v, "migrants")
    assert text_of(clauses) == (
        ", more than in the first quarter of 2024 (100 migrants; 10.0\u2020 per cent more, computed from the "
        "two figures)"
    )
    w.para("The paragraph.")
    assert (
        "Computed in the warehouse from delivered figures of National Border Service of Kazakhstan, not "
        "published (change previous quarter)" in w.notes.texts[-1]
    )


def test_without_a_derived_change_the_report_computes_none():
    v = view(
        [
            {
                **ARR,
                "period": "2024-Q2",
                "value": 110.0,
                "change": 1.0,
                "change_precision": 1.0,
                "change_unit": "direction",
                "change_base_period": "2024-Q1",
            },
            {**ARR, "period": "2024-Q1", "value": 100.0},
        ],
        quarter="2024-Q2",
    )
    clauses, _ = comparison_parts(Writer(Footnotes()), v, "migrants")
    assert text_of(clauses) == ", more than in the first quarter of 2024 (100 migrants)"
    v = view(
        [{**ARR, "period": "2024-Q2", "value": 110.0}, {**ARR, "period": "2024-Q1", "value": 100.0}],
        quarter="2024-Q2",
    )
    clauses, missing = comparison_parts(Writer(Footnotes()), v, "migrants")
    assert text_of(clauses) == ", against 100 migrants in the first quarter of 2024"
    assert missing == ["2023-Q2"]


def test_rank_only_rows_are_written_as_a_ranking():
    country = {**ARR, "period": "2024-Q2", "country_group": "non-CIS", "unit": None, "value_precision": None}
    v = view(
        [
            {**country, "country": "China", "country_iso3": "CHN", "country_name": "China", "rank": 1},
            {
                **country,
                "country": "Republic of Türkiye",
                "country_iso3": "TUR",
                "country_name": "Türkiye",
                "rank": 2,
            },
            {**country, "country": "India", "country_iso3": "IND", "country_name": "India", "rank": 3},
        ],
        quarter="2024-Q2",
    )
    assert ranking_sentence(v.rankings[0], v) == (
        "China, Türkiye and India were the top three non-CIS countries of origin in the second quarter of "
        "2024 (in the order given; no figures were published)."
    )


def test_missing_parts_and_substitute_periods_are_named():
    v = view(
        [
            {**ARR, "value": 100.0},
            {**ARR, "purpose": "labour", "value": 10.0},
            {**ARR, "period": "2024-Q2", "value": 120.0, "delivery_quarter": "2024-Q2"},
        ],
        quarter="2024-Q2",
    )
    assert missing_sentence(v) == (
        "Not available for the second quarter of 2024: the number of arrivals with labour as the stated "
        "purpose (latest: the first quarter of 2024)."
    )
    rem = {
        "measure": "personal_remittances",
        "direction": "out",
        "unit": "USD",
        "value_precision": 1e5,
        "agency": "National Bank of Kazakhstan",
        "period": "2023",
    }
    annual = view([{**rem, "value": 883.5e6}], measure="personal_remittances", direction="out")
    assert availability_sentence(annual, "personal remittances") == (
        "The National Bank of Kazakhstan has not yet published data for the first quarter of 2024; this "
        "section uses 2023 annual data, the latest available."
    )


def test_a_corrected_figure_is_marked_and_footnoted():
    rows = frame(
        {
            "measure": "prp_issued",
            "source": "residence_permits",
            "obs_id": "prp_rus",
            "value": 2276.0,
            "value_precision": 1.0,
            "unit": "persons",
            "corrected_fields": "value",
        }
    )
    corrections = pd.DataFrame(
        [
            {
                "quarter": "2024-Q1",
                "source": "residence_permits",
                "obs_id": "prp_rus",
                "field": "value",
                "published_value": "2476",
                "corrected_value": "2276",
                "justification": "j",
                "author": "a",
                "decided_on": "2024-05-01",
            }
        ]
    )
    fact = FactStore.from_observations(rows, corrections).one("prp_issued", "2024-Q1")
    notes = Footnotes()
    text = Writer(notes).value(fact)
    assert FN_PATTERN.sub("", text) == "2,276*"
    assert notes.texts == ["Corrected from the published 2,476 (prp_rus, value); see Annex B."]


def test_a_figure_delivered_again_with_other_numbers_is_listed_as_revised():
    rows = frame(
        {**ARR, "obs_id": "a", "value": 100.0, "delivery_quarter": "2024-Q1"},
        {**ARR, "obs_id": "b", "value": 104.0, "delivery_quarter": "2024-Q2"},
    )
    doc, _ = compose_quarterly(
        QuarterlySource("2024-Q2", FactStore.from_observations(rows), pd.DataFrame(), pd.DataFrame())
    )
    revisions = next(t for t in doc.tables if t.key == "Revisions")
    assert [[c.text for c in r] for r in revisions.rows] == [
        ["border_crossings 2024-Q1 (in)", "value", "2024-Q1", "100", "2024-Q2", "104"]
    ]
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert any("104 migrant arrivals in the first quarter of 2024" in t for t in texts)  # the newest delivery


def test_every_section_says_so_when_nothing_was_delivered():
    doc, _ = compose_quarterly(QuarterlySource("2024-Q1", FactStore([]), pd.DataFrame(), pd.DataFrame()))
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert sum("has not delivered any data" in t for t in texts) >= 5
    headings = [b.text for b in doc.blocks if type(b).__name__ == "Heading"]
    for section in (
        "2. Migration",
        "3. Temporary",
        "4. Permanent",
        "5. Labour",
        "6. Emigration",
        "7. Personal",
    ):
        assert any(h.startswith(section) for h in headings)


def test_a_stated_remainder_sector_is_never_named_among_the_top_sectors():
    fw = {
        "source": "labour_migration",
        "measure": "foreign_workers",
        "period": "2024-03-31",
        "unit": "persons",
        "value_precision": 1.0,
        "agency": "Ministry of Labour and Social Protection of Population",
    }
    rows = frame(
        {**fw, "obs_id": "fw_total", "value": 1000.0},
        {**fw, "sector": "Other", "value": 600.0, "part_of": "fw_total", "parts_complete": True},
        {**fw, "sector": "Construction", "value": 300.0, "part_of": "fw_total", "parts_complete": True},
        {
            **fw,
            "sector": "Mining and quarrying",
            "value": 100.0,
            "part_of": "fw_total",
            "parts_complete": True,
        },
    )
    store = FactStore.from_observations(rows, derived=derived_for(rows))  # the sectors' ranks
    doc, _ = compose_quarterly(QuarterlySource("2024-Q1", store, pd.DataFrame(), pd.DataFrame()))
    findings = " ".join(item for b in doc.blocks if type(b).__name__ == "Bullets" for item in b.items)
    assert "can be found in construction and mining and quarrying." in findings
