"""Tables of the report (pure): Table 1 (sectors), Tables 2 and 3 (remittances), trend and annex tables.

Cells show figures at their published precision; a figure computed in the warehouse from the delivered
figures (published.derived_figures) is marked with a dagger and explained in the table's notes; a corrected
figure is marked with an asterisk; a figure that a failed check of the corrected stage is about (left as
published) is marked with a double dagger, and the table's notes name the check. In the XLSX the marks'
meaning is a comment on the cell.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mtm_pipeline.report.document import Cell, Table
from mtm_pipeline.report.facts import Change, Fact, Provenance, Revision, clean, flags_text
from mtm_pipeline.report.figures_data import rank_order
from mtm_pipeline.report.format import (
    COMPUTED_MARK,
    CORRECTED_MARK,
    FLAGGED_MARK,
    fmt_count,
    fmt_millions,
    fmt_percent,
    fmt_signed,
    fmt_value,
    period_caption,
    period_short,
    round_to,
)

COMPUTED_NOTE = (
    f"{COMPUTED_MARK} Computed in the warehouse from the delivered figures (not published); each "
    "computed figure and the figures it comes from are in the annex workbook, sheet Derived."
)
CORRECTED_NOTE = f"{CORRECTED_MARK} Corrected figure; the published figure and the reason are in Annex B."


def source_line(facts: Iterable[Fact]) -> str:
    """'Source: National Border Service of Kazakhstan, 2024' (every agency and year of the facts)."""
    cites = sorted({f.provenance().citation for f in facts})
    return "Source: " + "; ".join(cites) if cites else "Source: none"


def _cell(text: str, value, f: Fact, facet: str) -> Cell:
    """A figure's cell with its marks: corrected (*), computed (dagger) and flagged (double dagger), explained
    in a comment."""
    from mtm_pipeline.report.narrative import QUALIFIER_WORDS, correction_note, flag_note

    marks, comments, flag = "", [], None
    corr = f.corrections.get(facet)
    if corr is not None:
        marks += CORRECTED_MARK
        comments.append(f"{CORRECTED_MARK} {correction_note(f, facet, corr.published, corr.field)}")
    if f.computed(facet):
        marks += COMPUTED_MARK
        comments.append(computed_comment(f.prov[facet]))
        words = QUALIFIER_WORDS.get(f.qualifier(facet) or "")
        text = f"{words} {text}" if words else text
    flags = f.flags.get(facet, ())
    if flags:
        marks += FLAGGED_MARK
        comments.append(f"{FLAGGED_MARK} {flag_note(flags, f.provenance(facet).obs_id, facet)}")
        flag = flags_text(flags)
    return Cell(text + marks, value, "\n".join(comments) or None, flag)


def _change_cell(text: str, value, c: Change) -> Cell:
    from mtm_pipeline.report.narrative import flag_note

    marks, comments, flag = "", [], None
    if c.correction is not None:
        marks += CORRECTED_MARK
        published = (
            f"Corrected from the published {c.correction.published}"
            if c.correction.published
            else "Corrected"
        )
        comments.append(f"{CORRECTED_MARK} {published} ({c.prov.obs_id}, {c.correction.field}); see Annex B.")
    if c.computed:
        marks += COMPUTED_MARK
        comments.append(computed_comment(c.prov))
    if c.flags:
        marks += FLAGGED_MARK
        comments.append(f"{FLAGGED_MARK} {flag_note(c.flags, c.prov.obs_id, 'change')}")
        flag = flags_text(c.flags)
    return Cell(text + marks, value, "\n".join(comments) or None, flag)


def _count_cell(f: Fact | None) -> Cell:
    if f is None or f.value is None:
        return Cell("\u2013")
    return _cell(fmt_count(f.value, f.value_precision), f.value, f, "value")


def computed_comment(p: Provenance) -> str:
    """'\u2020 Computed in the warehouse (share_of_total, arr_2024q3_uzb_share) from arr_2024q3_uzb,
    arr_2024q3_total; not published.'"""
    qualifier = f", {p.qualifier.replace('_', ' ')}" if p.qualifier else ""
    inputs = f" from {', '.join(p.inputs)}" if p.inputs else ""
    return (
        f"{COMPUTED_MARK} Computed in the warehouse ({p.derivation}, {p.obs_id}{qualifier})"
        f"{inputs}; not published."
    )


def _share_cell(f: Fact | None) -> Cell:
    """The share, published or derived (marked; its cell holds the share as stated, at its precision)."""
    if f is None or f.share is None:
        return Cell("\u2013")
    value = round_to(f.share, f.share_precision) if f.computed("share") else f.share
    return _cell(fmt_percent(f.share, f.share_precision) + "%", value, f, "share")


def _notes(facts: Iterable[Fact], columns: tuple[str, ...] = (), rows: Iterable = ()) -> tuple[str, ...]:
    notes = []
    rows = list(rows)
    if any(COMPUTED_MARK in cell.text for row in rows for cell in row):
        notes.append(COMPUTED_NOTE)
    if any(f.corrections for f in facts):
        notes.append(CORRECTED_NOTE)
    notes.extend(flag_notes(columns, rows))
    return tuple(notes)


def flag_notes(columns: tuple[str, ...], rows: Iterable) -> list[str]:
    """One note per flagged cell: '<double dagger> Türkiye, Share of total 2022 %: inconsistent with other
    published figures, left as published: share_matches_ratio expected ..., observed ...; see Annex A.'"""
    out = []
    for row in rows:
        for i, cell in enumerate(row):
            if cell.flag:
                where = ", ".join(
                    x for x in (row[0].text if i else "", columns[i] if i < len(columns) else "") if x
                )
                out.append(
                    f"{FLAGGED_MARK} {where}: inconsistent with other published figures, left as published: "
                    f"{cell.flag}; see Annex A."
                )
    return out


def sector_table(number: int, sectors: list[Fact], total: Fact | None, period: str) -> Table:
    """Table 1: sectors of employment by number and percentage of individuals."""
    rows = []
    for f in rank_order(sectors):
        rows.append((Cell(f.sector or ""), _count_cell(f), _share_cell(f)))
    columns = ("Sector of employment", "Number of people", "Percentage")
    return Table(
        key=f"Table {number}",
        title=f"Table {number}: Sectors of employment by number and percentage of individuals, "
        f"{period_caption(period)} (% and absolute numbers)",
        columns=columns,
        rows=tuple(rows),
        source=source_line([*sectors, *([total] if total else [])]),
        notes=_notes(sectors, columns, rows),
        numeric_columns=(1, 2),
    )


def remittance_table(
    number: int, direction_words: str, current: list[Fact], base: list[Fact], period: str, base_period: str
) -> Table:
    """Tables 2 and 3: remittances by country in two periods with shares and the variance."""
    base_by = {f.country_iso3: f for f in base}
    current_by = {f.country_iso3: f for f in current}
    order = [f.country_iso3 for f in rank_order(current)] + [
        f.country_iso3 for f in rank_order(base) if f.country_iso3 not in current_by
    ]
    rows = []
    for iso in order:
        now, then = current_by.get(iso), base_by.get(iso)
        name = (now or then).country_name or iso
        rows.append(
            (
                Cell(name),
                _money_cell(then),
                _share_cell(then),
                _money_cell(now),
                _share_cell(now),
                _variance_cell(now, base_period),
            )
        )
    columns = (
        "Country",
        f"{period_short(base_period)} (million USD)",
        f"Share of total {period_short(base_period)} %",
        f"{period_short(period)} (million USD)",
        f"Share of total {period_short(period)} %",
        "Variance %",
    )
    return Table(
        key=f"Table {number}",
        title=f"Table {number}: Personal remittances transferred {direction_words} Kazakhstan in "
        f"{period_caption(base_period)} and {period_caption(period)} (% and absolute numbers)",
        columns=columns,
        rows=tuple(rows),
        source=source_line([*current, *base]),
        notes=_notes([*current, *base], columns, rows),
        numeric_columns=(1, 2, 3, 4, 5),
    )


def _money_cell(f: Fact | None) -> Cell:
    if f is None or f.value is None:
        return Cell("\u2013")
    return _cell(fmt_millions(f.value, f.value_precision), round(f.value / 1e6, 6), f, "value")


def _variance_cell(now: Fact | None, base_period: str) -> Cell:
    """The per cent change against the base period, published or derived (marked)."""
    change = now.change(base_period, "percent") if now is not None else None
    if change is None:
        return Cell("\u2013")
    value = round_to(change.value, change.precision) if change.computed else change.value
    return _change_cell(fmt_signed(change.value, change.precision), value, change)


def series_table(key: str, title: str, series: list[tuple[str, list[Fact]]], unit: str | None) -> Table:
    """Trend table: one row per period, one column per series (published values)."""
    from mtm_pipeline.report.charts import period_axis

    periods = period_axis({f.period for _, facts in series for f in facts})
    rows = []
    for p in periods:
        cells = [Cell(period_short(p), p)]
        for _, facts in series:
            f = next((x for x in facts if x.period == p), None)
            if f is None or f.value is None:
                cells.append(Cell("\u2013"))
            elif unit == "USD":
                cells.append(
                    _cell(fmt_millions(f.value, f.value_precision), round(f.value / 1e6, 6), f, "value")
                )
            else:
                cells.append(_cell(fmt_count(f.value, f.value_precision), f.value, f, "value"))
        rows.append(tuple(cells))
    all_facts = [f for _, facts in series for f in facts]
    columns = ("Period", *[name for name, _ in series])
    return Table(
        key=key,
        title=title,
        columns=columns,
        rows=tuple(rows),
        source=source_line(all_facts),
        notes=_notes(all_facts, columns, rows),
        numeric_columns=tuple(range(1, len(series) + 1)),
    )


# ------------------------------------------------------------------------ annex tables


def findings_table(check_results: pd.DataFrame | None) -> Table:
    """Failed check results, ERROR first, in a stable order."""
    columns = (
        "stage",
        "severity",
        "source",
        "rule",
        "subject",
        "expected",
        "observed",
        "tolerance",
        "message",
    )
    rows = []
    if check_results is not None and not check_results.empty:
        frame = check_results.copy()
        if "passed" in frame:
            frame = frame[~frame["passed"].fillna(False).astype(bool)]
        records = [{c: clean(r.get(c)) for c in columns} for r in frame.to_dict("records")]
        stage_order = {"delivered": 0, "corrected": 1}
        records.sort(
            key=lambda r: (
                stage_order.get(r["stage"] or "", 2),
                r["severity"] != "ERROR",
                *(str(r[c] or "") for c in ("source", "rule", "subject", "message")),
            )
        )
        rows = [tuple(Cell("" if r[c] is None else str(r[c])) for c in columns) for r in records]
    return Table(
        key="Findings",
        title="Annex A: Data-quality findings (failed checks)",
        columns=tuple(c.capitalize() for c in columns),
        rows=tuple(rows),
        title_columns=(0, 1, 2, 3, 4),
    )


def corrections_table(corrections: pd.DataFrame | None) -> Table:
    columns = (
        "quarter",
        "source",
        "obs_id",
        "field",
        "published_value",
        "corrected_value",
        "justification",
        "author",
        "decided_on",
    )
    headers = (
        "Quarter",
        "Source",
        "Observation",
        "Field",
        "Published",
        "Corrected",
        "Justification",
        "Author",
        "Decided on",
    )
    rows = []
    if corrections is not None and not corrections.empty:
        records = [{c: clean(r.get(c)) for c in columns} for r in corrections.to_dict("records")]
        records.sort(key=lambda r: tuple(str(r[c] or "") for c in columns))
        rows = [
            tuple(
                Cell("" if r[c] is None else str(r[c])[:10] if c == "decided_on" else str(r[c]))
                for c in columns
            )
            for r in records
        ]
    return Table(
        key="Corrections",
        title="Annex B: Corrections applied",
        columns=headers,
        rows=tuple(rows),
        title_columns=(0, 1, 2, 3),
    )


def _revision_text(value: float, precision: float | None, unit: str | None, facet: str) -> str:
    if facet == "share" or facet.startswith("change") and unit in ("percent", "times", "direction"):
        return fmt_percent(value, precision)
    if facet == "rank":
        return str(int(value))
    return fmt_value(value, precision, unit)


def revisions_table(revisions: list[Revision]) -> Table:
    rows = []
    for r in revisions:
        rows.append(
            (
                Cell(r.label),
                Cell(r.facet),
                Cell(r.earlier_quarter),
                Cell(_revision_text(r.earlier, r.precision_earlier, r.unit, r.facet), r.earlier),
                Cell(r.later_quarter),
                Cell(_revision_text(r.later, r.precision_later, r.unit, r.facet), r.later),
            )
        )
    return Table(
        key="Revisions",
        title="Revised figures: the same figure delivered with different numbers",
        columns=("Figure", "Facet", "Earlier delivery", "Earlier figure", "Later delivery", "Later figure"),
        rows=tuple(rows),
        notes=("The report uses the later delivery.",) if rows else (),
        numeric_columns=(3, 5),
    )


def sources_table(facts: Iterable[Fact]) -> Table:
    """Every publication a figure of the report comes from."""
    seen = {}
    for f in facts:
        for p in f.prov.values():
            seen.setdefault((p.agency, p.publication, p.publication_date), set()).add(p.delivery_quarter)
    rows = tuple(
        (Cell(agency), Cell(publication), Cell(date), Cell(", ".join(sorted(quarters))))
        for (agency, publication, date), quarters in sorted(seen.items())
    )
    return Table(
        key="Sources", title="Sources", columns=("Agency", "Publication", "Published", "Delivery"), rows=rows
    )


def lineage_table(facts: Iterable[Fact]) -> Table:
    """Every published figure the report states, with where it was published: for a workbook read by a
    layout, the sheet and cell (`Лист1!C6`); for a transcription, the place in the publication. The words as
    published stay in the warehouse (published.observations.published_text)."""
    seen: dict[tuple, tuple] = {}
    for f in facts:
        for p in f.prov.values():
            if p.computed or (p.delivery_quarter, p.source, p.obs_id) in seen:
                continue
            seen[(p.delivery_quarter, p.source, p.obs_id)] = (
                Cell(p.obs_id),
                Cell(f.label),
                Cell(p.source),
                Cell(p.delivery_quarter),
                Cell(p.publication),
                Cell(p.location),
            )
    return Table(
        key="Lineage",
        title="Published figures and where they come from (published.observations)",
        columns=("Figure", "Label", "Source", "Delivery", "Publication", "Location (sheet!cell)"),
        rows=tuple(seen[k] for k in sorted(seen)),
    )


def _derived_facet(f: Fact, facet: str, p) -> tuple:
    """(name, number, precision, unit) of a computed facet of a fact, as the sheet Derived lists it."""
    if facet.startswith("change|"):
        c = next(x for x in f.changes if x.prov is p)
        return f"change vs {c.base_period} ({c.unit})", c.value, c.precision, c.unit
    if facet == "share":
        return "share", f.share, f.share_precision, "percent"
    if facet == "rank":
        return "rank", f.rank, 1.0, None
    if facet in f.ranks:  # another ranking: 'all countries rank', 'increase rank vs 2022'
        return facet.replace("_", " ").replace("|", " vs "), f.ranks[facet], 1.0, None
    return "value", f.value, f.value_precision, f.unit


def derived_table(facts: Iterable[Fact]) -> Table:
    """Every computed figure of the facts the report uses, with the figures it was computed from (sheet
    Derived)."""
    seen: dict[tuple, tuple] = {}
    for f in facts:
        for facet, p in f.prov.items():
            if not p.computed or (p.obs_id, facet) in seen:
                continue
            name, number, precision, unit = _derived_facet(f, facet, p)
            low, high = p.interval
            seen[(p.obs_id, facet)] = (
                Cell(p.obs_id),
                Cell(f.label),
                Cell(name),
                Cell(
                    _revision_text(number, precision, unit, name),
                    round_to(number, precision) if precision and name != "value" else number,
                ),
                Cell("" if low is None else f"{low:g}", low),
                Cell("" if high is None else f"{high:g}", high),
                Cell((p.qualifier or "").replace("_", " ")),
                Cell(p.derivation or ""),
                Cell(", ".join(p.inputs)),
            )
    rows = tuple(seen[k] for k in sorted(seen))
    return Table(
        key="Derived",
        title=(
            "Derived figures: computed in the warehouse from the delivered figures "
            "(published.derived_figures)"
        ),
        columns=(
            "Derived figure",
            "Figure",
            "Facet",
            "Figure as stated",
            "Low",
            "High",
            "Qualifier",
            "Derivation",
            "Computed from",
        ),
        rows=rows,
        notes=(COMPUTED_NOTE,) if rows else (),
        numeric_columns=(3, 4, 5),
    )
