"""What the report reads from the warehouse, as plain DataFrames (the report itself never touches DuckDB)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mtm_pipeline.periods import parse_quarter_key, previous_quarter

# The deliveries a quarterly report reads: its own quarter and the eight before it. Every comparison the
# report states reaches back at most a year before the newest period a section uses, and a section whose
# source has delivered nothing for two years says so; older deliveries are the trend report's. Reading them
# all made each report's cost grow with the whole history.
REPORT_HISTORY_QUARTERS = 8


@dataclass(frozen=True)
class ReportInputs:
    """Everything one quarterly report is built from.

    observations: stage='corrected' rows of the delivery quarters from earliest_delivery_read(quarter) up to
        quarter. A figure delivered by two
        quarters keeps both rows here; the report uses the newest delivery of each figure and lists the
        figures whose numbers differ between deliveries as revisions (report.facts).
    check_results: quality.check_results rows for this quarter (both stages; may be empty).
    corrections: quality.corrections_applied rows for this quarter (may be empty).
    suggestions, unexplained: quality.suggested_corrections and quality.unexplained_findings rows of the
        quarter (both stages; may be empty).
    redeliveries: history.revisions rows where a delivery quarter was delivered again with other figures
        (both vintages of the same delivery quarter, up to `quarter`; may be empty).
    derived: published.derived_figures rows of the same delivery quarters: the shares, group totals,
        ranks and changes the warehouse computed from the delivered figures (may be empty). The report states
        one wherever no published figure exists, marked as computed (report.facts).
    narrative, references: the analyst's files of the quarter (narrative_text.NarrativeFile by name) and
        their references resolved by checks.narrative (empty when the quarter has none).
    """

    quarter: str
    observations: pd.DataFrame
    check_results: pd.DataFrame
    corrections: pd.DataFrame
    redeliveries: pd.DataFrame = field(default_factory=pd.DataFrame)
    derived: pd.DataFrame = field(default_factory=pd.DataFrame)
    suggestions: pd.DataFrame = field(default_factory=pd.DataFrame)  # quality.suggested_corrections rows
    unexplained: pd.DataFrame = field(default_factory=pd.DataFrame)  # quality.unexplained_findings rows
    narrative: dict = field(default_factory=dict)
    references: dict = field(default_factory=dict)


def _table_exists(con, qualified: str) -> bool:
    schema, table = qualified.split(".")
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchone()
    return bool(row and row[0])


def _read(con, qualified: str, where: str, params: list, order: str) -> pd.DataFrame:
    if not _table_exists(con, qualified):
        return pd.DataFrame()
    # Table names are module constants; every value is a ? parameter.
    return con.execute(f"SELECT * FROM {qualified} WHERE {where} ORDER BY {order}", params).df()


def load_report_inputs(con, quarter: str) -> ReportInputs:
    """Read the corrected observations and the derived figures of the deliveries up to `quarter` (the last
    REPORT_HISTORY_QUARTERS + 1), and the quarter's check results and corrections."""
    parse_quarter_key(quarter)
    first = earliest_delivery_read(quarter)
    observations = _read(
        con,
        "published.observations",
        "stage = ? AND delivery_quarter BETWEEN ? AND ?",
        ["corrected", first, quarter],
        "delivery_quarter, source, row_number, obs_id",
    )
    check_results = _read(
        con, "quality.check_results", "quarter = ?", [quarter], "stage, source, rule, subject, message"
    )
    corrections = _read(con, "quality.corrections_applied", "quarter = ?", [quarter], "source, obs_id, field")
    redeliveries = pd.DataFrame()
    if _table_exists(con, "history.deliveries"):
        redeliveries = con.execute(
            "SELECT * FROM history.revisions WHERE new_delivery_quarter <= ? "
            "AND split_part(old_delivery_id, '/', 1) = new_delivery_quarter ORDER BY new_received_at, obs_id",
            [quarter],
        ).df()
    suggestions = _read(
        con,
        "quality.suggested_corrections",
        "quarter = ?",
        [quarter],
        "stage, suggestion_id, obs_id, list_position(['value', 'share', 'change', 'rank'], field)",
    )
    unexplained = _read(con, "quality.unexplained_findings", "quarter = ?", [quarter], "stage, rule, subject")
    return ReportInputs(
        quarter,
        observations,
        check_results,
        corrections,
        redeliveries,
        load_derived_figures(con, quarter, first),
        suggestions,
        unexplained,
    )


def earliest_delivery_read(quarter: str) -> str:
    """The oldest delivery quarter a report of `quarter` reads (REPORT_HISTORY_QUARTERS before it)."""
    first = quarter
    for _ in range(REPORT_HISTORY_QUARTERS):
        first = previous_quarter(first)
    return first


def load_derived_figures(con, quarter: str, first: str = "0000-Q1") -> pd.DataFrame:
    """published.derived_figures of the delivery quarters from `first` to `quarter` (empty when the table is
    absent)."""
    parse_quarter_key(quarter)
    return _read(
        con,
        "published.derived_figures",
        "stage = ? AND delivery_quarter BETWEEN ? AND ?",
        ["derived", first, quarter],
        "delivery_quarter, source, obs_id",
    )
