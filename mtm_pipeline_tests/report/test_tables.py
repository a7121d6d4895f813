"""Tables from small frames: published figures as published, computed ones marked."""

import pandas as pd

from mtm_pipeline.report.facts import SET, FactStore
from mtm_pipeline.report.tables import corrections_table, findings_table, remittance_table, sector_table
from mtm_pipeline_tests.report import derived_frame, frame

WORKERS = {
    "measure": "foreign_workers",
    "unit": "persons",
    "value_precision": 1.0,
    "source": "labour_migration",
}


def test_sector_table_uses_published_shares_and_marks_derived_ones():
    derived = derived_frame(
        {
            **WORKERS,
            "sector": "Mining",
            "share": 10.5,
            "share_precision": 0.1,
            "share_low": 10.5,
            "share_high": 10.5,
            "part_of": "t",
            "input_obs_ids": "obs_4,t",
        },
        {
            **WORKERS,
            "sector": "Construction",
            "share": 34.0,
            "share_precision": 0.1,
            "part_of": "t",
            "input_obs_ids": "obs_3,t",
        },  # a published share stands
    )
    store = FactStore.from_observations(
        frame(
            {**WORKERS, "obs_id": "t", "value": 1000.0},
            {
                **WORKERS,
                "sector": "Construction",
                "value": 340.0,
                "share": 34.0,
                "share_precision": 1.0,
                "part_of": "t",
            },
            {**WORKERS, "sector": "Mining", "value": 105.0, "part_of": "t"},
        ),
        derived=derived,
    )
    sectors = store.query("foreign_workers", "2024-Q1", sector=SET)
    table = sector_table(1, sectors, store.one("foreign_workers", "2024-Q1"), "2024-Q1")
    assert [[c.text for c in row] for row in table.rows] == [
        ["Construction", "340", "34%"],
        ["Mining", "105", "10.5%\u2020"],
    ]
    assert "der_1" in table.rows[1][2].comment and "obs_4, t" in table.rows[1][2].comment
    assert table.title.startswith("Table 1: Sectors of employment") and "January-March 2024" in table.title
    assert any("Computed" in n for n in table.notes)
    assert table.source == "Source: Test Agency, 2024"
    without = FactStore.from_observations(
        frame(
            {**WORKERS, "obs_id": "t", "value": 1000.0},
            {**WORKERS, "sector": "Mining", "value": 105.0, "part_of": "t"},
        )
    )
    table = sector_table(1, without.query("foreign_workers", "2024-Q1", sector=SET), None, "2024-Q1")
    assert [[c.text for c in row] for row in table.rows] == [
        ["Mining", "105", "\u2013"]
    ]  # the report computes none
    assert not any("Computed" in n for n in table.notes)


REMITTANCES_IN = {
    "measure": "personal_remittances",
    "direction": "in",
    "unit": "USD",
    "value_precision": 1e5,
}


def _remittance_derived() -> pd.DataFrame:
    """Germany's 2023 change computed from its two values, and the 2023 ranks: Germany first, UAE second."""
    return derived_frame(
        {
            **REMITTANCES_IN,
            "source": "remittances",
            "derivation": "change_previous_year",
            "period": "2023",
            "country_iso3": "DEU",
            "country_name": "Germany",
            "country": "Germany",
            "change": -25.0,
            "change_precision": 0.1,
            "change_unit": "percent",
            "change_base_period": "2022",
            "input_obs_ids": "obs_4,obs_5",
        },
        *(
            {**REMITTANCES_IN, "derivation": "rank", "period": "2023", "country_iso3": iso, "rank": rank}
            for iso, rank in (("DEU", 1), ("ARE", 2))
        ),
    )


def _remittance_observations() -> pd.DataFrame:
    """UAE and Germany in 2022 and 2023; only UAE's 2023 row publishes a share and a change."""
    return frame(
        {
            **REMITTANCES_IN,
            "period": "2022",
            "country": "UAE",
            "country_iso3": "ARE",
            "country_name": "United Arab Emirates",
            "value": 9.2e6,
        },
        {
            **REMITTANCES_IN,
            "period": "2023",
            "country": "UAE",
            "country_iso3": "ARE",
            "country_name": "United Arab Emirates",
            "value": 14.8e6,
            "share": 5.0,
            "share_precision": 1.0,
            "change": 60.9,
            "change_precision": 0.1,
            "change_unit": "percent",
            "change_base_period": "2022",
        },
        {
            **REMITTANCES_IN,
            "period": "2022",
            "country": "Germany",
            "country_iso3": "DEU",
            "country_name": "Germany",
            "value": 40e6,
        },
        {
            **REMITTANCES_IN,
            "period": "2023",
            "country": "Germany",
            "country_iso3": "DEU",
            "country_name": "Germany",
            "value": 30e6,
        },
    )


def test_remittance_table_variance_as_published_or_derived():
    store = FactStore.from_observations(_remittance_observations(), derived=_remittance_derived())
    now = store.query("personal_remittances", "2023", direction="in", country_iso3=SET)
    then = store.query("personal_remittances", "2022", direction="in", country_iso3=SET)
    table = remittance_table(3, "to", now, then, "2023", "2022")
    rows = {row[0].text: [c.text for c in row[1:]] for row in table.rows}
    assert rows["United Arab Emirates"] == ["9.2", "\u2013", "14.8", "5%", "+60.9"]
    assert rows["Germany"] == ["40.0", "\u2013", "30.0", "\u2013", "-25.0\u2020"]
    # in the order of the 2023 ranks (derived), not the source's order
    assert [row[0].text for row in table.rows] == ["Germany", "United Arab Emirates"]
    assert table.rows[1][5].value == 60.9


def test_findings_are_the_failed_checks_in_a_stable_order():
    results = pd.DataFrame(
        [
            {
                "quarter": "2024-Q1",
                "stage": "corrected",
                "source": "s",
                "rule": "r2",
                "severity": "WARN",
                "passed": False,
                "subject": "b",
                "expected": "1",
                "observed": "2",
                "tolerance": None,
                "message": "m2",
                "evaluated_at": None,
            },
            {
                "quarter": "2024-Q1",
                "stage": "delivered",
                "source": "s",
                "rule": "r1",
                "severity": "ERROR",
                "passed": False,
                "subject": "a",
                "expected": "1",
                "observed": "2",
                "tolerance": "0.5",
                "message": "m1",
                "evaluated_at": None,
            },
            {
                "quarter": "2024-Q1",
                "stage": "delivered",
                "source": "s",
                "rule": "r3",
                "severity": "WARN",
                "passed": True,
                "subject": "c",
                "expected": None,
                "observed": None,
                "tolerance": None,
                "message": "ok",
                "evaluated_at": None,
            },
        ]
    )
    table = findings_table(results)
    assert [row[3].text for row in table.rows] == ["r1", "r2"]
    assert findings_table(pd.DataFrame()).rows == ()
    assert corrections_table(pd.DataFrame()).rows == ()


def test_chart_labels_mark_derived_figures_and_compute_no_remainder():
    from mtm_pipeline.report.charts import incomplete_note, share_chart

    derived = derived_frame(
        {
            **WORKERS,
            "sector": "Mining",
            "share": 10.5,
            "share_precision": 0.1,
            "part_of": "t",
            "input_obs_ids": "obs_3,t",
        }
    )
    store = FactStore.from_observations(
        frame(
            {**WORKERS, "obs_id": "t", "value": 1000.0},
            {
                **WORKERS,
                "sector": "Construction",
                "value": 340.0,
                "share": 34.0,
                "share_precision": 1.0,
                "part_of": "t",
                "parts_complete": False,
            },
            {**WORKERS, "sector": "Mining", "value": 105.0, "part_of": "t", "parts_complete": False},
        ),
        derived=derived,
    )
    sectors = sorted(store.query("foreign_workers", "2024-Q1", sector=SET), key=lambda f: f.sector)
    chart = share_chart(sectors, "% of workers")
    assert chart.categories == ("Construction", "Mining")  # the parts named, no computed remainder
    assert chart.labels == (("34%", "10.5%\u2020"),)
    assert incomplete_note(sectors)
