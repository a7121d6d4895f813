"""Observation rows resolved into facts: newest delivery wins, revisions and corrections are kept."""

import pandas as pd

from mtm_pipeline.report.facts import ANY, SET, FactStore
from mtm_pipeline.report.figures_data import Selector
from mtm_pipeline_tests.report import frame

ARRIVALS = {"measure": "border_crossings", "direction": "in", "unit": "crossings", "value_precision": 1.0}


def test_newest_delivery_wins_and_the_difference_is_a_revision():
    rows = frame(
        {**ARRIVALS, "obs_id": "a", "value": 100.0, "delivery_quarter": "2024-Q1"},
        {**ARRIVALS, "obs_id": "b", "value": 110.0, "delivery_quarter": "2024-Q2"},
        {**ARRIVALS, "obs_id": "c", "period": "2023-Q4", "value": 90.0, "delivery_quarter": "2024-Q1"},
        {**ARRIVALS, "obs_id": "d", "period": "2023-Q4", "value": 90.0, "delivery_quarter": "2024-Q2"},
    )
    store = FactStore.from_observations(rows)
    assert store.one("border_crossings", "2024-Q1", direction="in").value == 110.0
    assert [(r.facet, r.earlier, r.later) for r in store.revisions] == [("value", 100.0, 110.0)]


def test_a_change_row_joins_the_value_row_of_the_same_figure():
    rows = frame(
        {
            **ARRIVALS,
            "obs_id": "a",
            "value": 100.0,
            "change": -12.6,
            "change_precision": 0.1,
            "change_unit": "percent",
            "change_base_period": "2023-Q4",
        },
        {
            **ARRIVALS,
            "obs_id": "b",
            "change": 10.0,
            "change_precision": 1.0,
            "change_unit": "percent",
            "change_base_period": "2023-Q1",
            "unit": None,
        },
    )
    fact = FactStore.from_observations(rows).one("border_crossings", "2024-Q1", direction="in")
    assert fact.value == 100.0
    assert {(c.base_period, c.value) for c in fact.changes} == {("2023-Q4", -12.6), ("2023-Q1", 10.0)}


def test_query_dimensions_not_named_must_be_empty():
    rows = frame(
        {**ARRIVALS, "obs_id": "t", "value": 100.0},
        {
            **ARRIVALS,
            "obs_id": "g",
            "country_group": "CIS",
            "share": 58.2,
            "share_precision": 0.1,
            "part_of": "t",
        },
        {
            **ARRIVALS,
            "obs_id": "r",
            "country_group": "CIS",
            "country": "Russia",
            "country_iso3": "RUS",
            "country_name": "Russian Federation",
            "share": 64.0,
            "share_precision": 1.0,
            "part_of": "g",
        },
    )
    store = FactStore.from_observations(rows)
    assert len(store.query("border_crossings", "2024-Q1", direction="in")) == 1
    assert len(store.query("border_crossings", "2024-Q1", direction="in", country_group=SET)) == 1
    assert (
        len(store.query("border_crossings", "2024-Q1", direction="in", country_group=ANY, country_iso3=ANY))
        == 3
    )
    russia = store.query(
        "border_crossings", "2024-Q1", direction="in", country_group="CIS", country_iso3=SET
    )[0]
    assert (
        russia.parent == store.query("border_crossings", "2024-Q1", direction="in", country_group=SET)[0].key
    )


def test_a_corrected_field_carries_the_published_figure():
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
                "justification": "parts exceed the total",
                "author": "x",
                "decided_on": "2024-05-01",
            }
        ]
    )
    fact = FactStore.from_observations(rows, corrections).one("prp_issued", "2024-Q1")
    assert fact.corrections["value"].published == "2476"


def test_latest_period_at_the_quarter_end_and_a_stock_dated_the_next_day():
    workers = {
        "measure": "foreign_workers",
        "unit": "persons",
        "value_precision": 1.0,
        "source": "labour_migration",
    }
    rows = frame(
        {**workers, "period": "2024-Q1", "value": 12882.0},
        {**workers, "period": "2024-07-01", "value": 14049.0, "delivery_quarter": "2024-Q2"},
        {**workers, "period": "2024-10-01", "value": 15000.0, "delivery_quarter": "2024-Q3"},
    )
    store = FactStore.from_observations(rows)
    assert Selector(store, "2024-Q1").view("foreign_workers").period == "2024-Q1"
    assert Selector(store, "2024-Q2").view("foreign_workers").period == "2024-07-01"


def test_annual_data_is_used_when_the_quarter_has_none_and_missing_parts_are_named():
    rem = {"measure": "personal_remittances", "direction": "out", "unit": "USD", "source": "remittances"}
    rows = frame(
        {**rem, "period": "2023", "value": 883.5e6, "value_precision": 1e5},
        {
            **rem,
            "period": "2023",
            "country": "China",
            "country_iso3": "CHN",
            "country_name": "China",
            "value": 27.1e6,
            "value_precision": 1e5,
        },
        {**rem, "period": "2024-Q2", "value": 157.2e6, "value_precision": 1e5, "delivery_quarter": "2024-Q2"},
    )
    store = FactStore.from_observations(rows)
    q1 = Selector(store, "2024-Q1").view("personal_remittances", "out")
    assert q1.period == "2023" and not q1.is_report_period
    q2 = Selector(store, "2024-Q2").view("personal_remittances", "out")
    assert (
        q2.period == "2024-Q2"
        and q2.missing == (("countries", ""),)
        and q2.latest[("countries", "")] == "2023"
    )
