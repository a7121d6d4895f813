"""Build the report files: report.md, report.html, report.pdf, annex.xlsx and figures/*.png in one folder.

Deterministic: the same inputs give byte-identical Markdown and identical XLSX cell values (PDF and XLSX
metadata dates are the report quarter's last day, not the build time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.report.analyst import AnalystText
from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly, compose_trend
from mtm_pipeline.report.document import Bullets, Document, Heading, Table
from mtm_pipeline.report.facts import FactStore, Revision
from mtm_pipeline.report.inputs import ReportInputs
from mtm_pipeline.report.render_markdown import escape


@dataclass(frozen=True)
class ReportArtifacts:
    markdown: Path
    html: Path
    pdf: Path
    xlsx: Path
    figures: list[Path]
    key_findings_markdown: str  # shown as asset metadata in the UI


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    return frame if frame is not None else pd.DataFrame()


def report_observations(observations: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Corrected rows of delivery quarters up to `quarter` (defensive: the loader already selects them)."""
    frame = _frame(observations)
    if frame.empty:
        return frame
    if "stage" in frame.columns:
        frame = frame[frame["stage"].fillna("corrected") == "corrected"]
    if "delivery_quarter" in frame.columns:
        frame = frame[frame["delivery_quarter"].astype(str) <= quarter]
    return frame


def key_findings_markdown(doc: Document) -> str:
    """The key findings as a Markdown list (without footnotes), for the asset's metadata."""
    from mtm_pipeline.report.document import strip_marks

    inside = False
    for block in doc.blocks:
        if isinstance(block, Heading):
            inside = block.text.startswith("II. Key Findings")
        elif inside and isinstance(block, Bullets):
            return "\n".join(
                f"{i}. {escape(strip_marks(item))}" for i, item in enumerate(block.items, start=1)
            )
    return "_No key findings: no data were delivered._"


def _write(doc: Document, xlsx_tables: list[Table], out_dir: Path, created: datetime) -> ReportArtifacts:
    from mtm_pipeline.report.charts import render_png
    from mtm_pipeline.report.render_html import render_html
    from mtm_pipeline.report.render_markdown import render_markdown
    from mtm_pipeline.report.render_pdf import render_pdf
    from mtm_pipeline.report.render_xlsx import figure_table, render_xlsx

    out_dir.mkdir(parents=True, exist_ok=True)
    figure_dir = out_dir / "figures"
    figure_dir.mkdir(exist_ok=True)
    wanted = {fig.filename for fig in doc.figures}
    for stale in figure_dir.glob("*.png"):
        if stale.name not in wanted:
            stale.unlink()
    pngs = {fig.filename: render_png(fig) for fig in doc.figures}  # drawn once, embedded in HTML and PDF
    figures = [figure_dir / fig.filename for fig in doc.figures]
    for path in figures:
        path.write_bytes(pngs[path.name])
    markdown = out_dir / "report.md"
    markdown.write_text(render_markdown(doc), encoding="utf-8")
    html = out_dir / "report.html"
    html.write_text(render_html(doc, pngs), encoding="utf-8")
    pdf = render_pdf(doc, pngs, out_dir / "report.pdf", created)
    sheets = [*xlsx_tables]
    if doc.figures:
        sheets.append(figure_table(doc.figures))
    xlsx = render_xlsx(sheets, out_dir / "annex.xlsx", created.replace(tzinfo=None))
    return ReportArtifacts(markdown, html, pdf, xlsx, figures, key_findings_markdown(doc))


def redelivery_revisions(redeliveries: pd.DataFrame, observations: pd.DataFrame) -> list[Revision]:
    """Figures changed by a second delivery of the same quarter (history.revisions rows) as Revisions."""
    if redeliveries.empty:
        return []
    units = {(r.delivery_quarter, r.source, r.obs_id): r.unit for r in observations.itertuples()}
    out = []
    for row in redeliveries.itertuples():
        dims = [
            row.direction,
            row.country_iso3,
            row.country_group,
            row.purpose,
            row.category,
            row.sector,
            row.education,
            row.age_group,
        ]
        inner = ", ".join(str(d) for d in dims if isinstance(d, str) and d)
        label = f"{row.measure} {row.period}" + (f" ({inner})" if inner else "")
        quarter = row.new_delivery_quarter
        earlier = f"{quarter} (earlier file {row.old_delivery_id.rsplit('/', 1)[-1][:8]})"
        facets = (("value", units.get((quarter, row.source, row.obs_id))), ("share", "percent"))
        for facet, unit in facets:
            old, new = getattr(row, f"old_{facet}"), getattr(row, f"new_{facet}")
            if pd.isna(old) or pd.isna(new) or float(old) == float(new):
                continue
            out.append(
                Revision(
                    label,
                    facet,
                    earlier,
                    float(old),
                    quarter,
                    float(new),
                    unit,
                    float(getattr(row, f"old_{facet}_precision")),
                    float(getattr(row, f"new_{facet}_precision")),
                )
            )
    return out


def compose_quarterly_report(inputs: ReportInputs) -> tuple[Document, list[Table], datetime]:
    """The quarterly report of inputs.quarter: the document, the tables of the annex workbook and the date the
    files carry (the quarter's last day)."""
    quarter = inputs.quarter
    end = parse_quarter_key(quarter).end
    observations = report_observations(inputs.observations, quarter)
    store = FactStore.from_observations(
        observations, _frame(inputs.corrections), _frame(inputs.check_results), _frame(inputs.derived)
    )
    store.revisions.extend(redelivery_revisions(_frame(inputs.redeliveries), observations))
    doc, extra = compose_quarterly(
        QuarterlySource(
            quarter,
            store,
            _frame(inputs.check_results),
            _frame(inputs.corrections),
            _frame(inputs.suggestions),
            _frame(inputs.unexplained),
        ),
        AnalystText(inputs.narrative, inputs.references),
    )
    created = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return doc, [*doc.tables, *[t for t in extra if t.key not in {x.key for x in doc.tables}]], created


def build_quarterly_report(inputs: ReportInputs, out_dir: Path) -> ReportArtifacts:
    """The quarterly report of inputs.quarter in out_dir (= <MTM_DATA_DIR>/reports/<quarter>/)."""
    doc, xlsx_tables, created = compose_quarterly_report(inputs)
    return _write(doc, xlsx_tables, Path(out_dir), created)


def build_trend_report(observations: pd.DataFrame, out_dir: Path) -> ReportArtifacts:
    """Trends across every quarter present in `observations` (corrected rows; newest delivery wins)."""
    frame = _frame(observations)
    if not frame.empty and "stage" in frame.columns:
        frame = frame[frame["stage"].fillna("corrected") == "corrected"]
    store = FactStore.from_observations(frame)
    doc, extra = compose_trend(store)
    quarters = sorted(frame["delivery_quarter"].astype(str).unique()) if "delivery_quarter" in frame else []
    end = parse_quarter_key(quarters[-1]).end if quarters else datetime(2000, 1, 1).date()
    created = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return _write(doc, [*doc.tables, *extra], Path(out_dir), created)
