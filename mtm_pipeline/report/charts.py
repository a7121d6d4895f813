"""Figures: what they show (pure Chart specs from facts) and how they are drawn (matplotlib, Agg, no pyplot).

A chart shows the figures exactly as the text and tables use them (published and derived values and shares,
the derived ones labelled with the computed mark); it computes nothing. A share chart of an incomplete list
ends with the part not itemised, as derived in the warehouse, in grey.
"""

from __future__ import annotations

import functools

from mtm_pipeline.report.document import Chart, Figure
from mtm_pipeline.report.facts import Fact
from mtm_pipeline.report.figures_data import REMAINDER_ISO3
from mtm_pipeline.report.format import (
    COMPUTED_MARK,
    decimals_for,
    fmt_count,
    fmt_millions,
    fmt_percent,
    period_short,
)

BLUE = "#0033A0"  # IOM blue
LIGHT_BLUE = "#5B92E5"
GREY = "#A0A0A0"
REMAINDER_LABEL = "Not itemised (computed)"
NOT_ITEMISED_NOTE = (
    "The list names the largest parts only; the grey bar is the rest of the total, not itemised "
    "(computed from the total and the listed figures)."
)
DPI = 150  # 7 in wide = 1050 px
PNG_COMPRESS_LEVEL = 1  # fastest zlib level: the files stay the size the RGBA level-6 PNGs had


def fact_label(f: Fact) -> str:
    return f.country_name or f.sector or f.education or f.category or f.purpose or f.country_group or "Total"


def share_chart(facts: list[Fact], unit_label: str, not_itemised: Fact | None = None) -> Chart:
    """Shares within a group, as published or derived; the part of the total an incomplete list does not
    itemise, where the warehouse derived it, as a last grey bar."""
    shown = [f for f in facts if f.share is not None]
    cats = [fact_label(f) for f in shown]
    values = [f.share for f in shown]
    labels = [fmt_percent(f.share, f.share_precision) + "%" + _mark(f, "share") for f in shown]
    highlight = not_itemised is not None and not_itemised.share is not None
    if highlight:
        shown.append(not_itemised)
        cats.append(REMAINDER_LABEL)
        values.append(not_itemised.share)
        labels.append(
            fmt_percent(not_itemised.share, not_itemised.share_precision) + "%" + _mark(not_itemised, "share")
        )
    decimals = max((decimals_for(f.share_precision) for f in shown), default=0)
    return Chart(
        "hbar",
        tuple(cats),
        (("share", tuple(values)),),
        unit_label,
        value_format="{:." + str(decimals) + "f}%",
        highlight_last=highlight,
        labels=(tuple(labels),),
    )


def incomplete_note(facts: list[Fact], not_itemised: Fact | None = None) -> tuple[str, ...]:
    """The note of a share chart whose list does not cover its whole total."""
    complete = all(bool(f.parts_complete) for f in facts)
    if complete or any(f.country_iso3 == REMAINDER_ISO3 for f in facts):
        return ()
    if not_itemised is not None and not_itemised.share is not None:
        return (NOT_ITEMISED_NOTE,)
    return ("The list names the largest parts only; the rest of the total is not itemised.",)


def value_chart(facts: list[Fact], unit_label: str, *, scale: float = 1.0) -> Chart:
    """Values per category (countries, sectors) in the given scale (1e6 for million USD)."""
    shown = [f for f in facts if f.value is not None]
    cats = tuple(fact_label(f) for f in shown)
    values = tuple(f.value / scale for f in shown)
    decimals = max((decimals_for((f.value_precision or 1.0) / scale) for f in shown), default=0)
    labels = tuple(_value_label(f, scale) for f in shown)
    return Chart(
        "hbar",
        cats,
        (("value", values),),
        unit_label,
        value_format="{:,." + str(decimals) + "f}",
        labels=(labels,),
    )


def _value_label(f: Fact, scale: float) -> str:
    if scale == 1e6:
        return fmt_millions(f.value, f.value_precision) + _mark(f, "value")
    return fmt_count(f.value, f.value_precision) + _mark(f, "value")


def _mark(f: Fact, facet: str) -> str:
    """A figure computed in the warehouse is labelled with its mark, as in the text and tables."""
    return COMPUTED_MARK if f.computed(facet) else ""


def series_chart(series: list[tuple[str, list[Fact]]], unit_label: str, *, scale: float = 1.0) -> Chart:
    """Headline values over periods, one bar group per period, one series per named list."""
    periods = period_axis({f.period for _, facts in series for f in facts})
    out, labels = [], []
    decimals = 0
    for name, facts in series:
        by = {f.period: f for f in facts}
        out.append((name, tuple((by[p].value / scale) if p in by else None for p in periods)))
        labels.append(tuple(_value_label(by[p], scale) if p in by else "" for p in periods))
        decimals = max([decimals, *[decimals_for((f.value_precision or 1.0) / scale) for f in facts]])
    kind = "grouped_bar" if len(series) > 1 else "bar"
    return Chart(
        kind,
        tuple(period_short(p) for p in periods),
        tuple(out),
        unit_label,
        value_format="{:,." + str(decimals) + "f}",
        labels=tuple(labels),
    )


def _period_key(label: str):
    from mtm_pipeline.report.facts import period_sort_key

    return period_sort_key(label)


def period_axis(labels) -> list[str]:
    """Periods in time order; quarters with gaps filled in, so an axis of quarters is evenly spaced."""
    from mtm_pipeline.periods import parse_period, quarter_range

    ordered = sorted(labels, key=_period_key)
    if ordered and all(parse_period(p).kind == "quarter" for p in ordered):
        return quarter_range(ordered[0], ordered[-1])
    return ordered


def render_png(figure: Figure) -> bytes:
    """One figure as PNG bytes, drawn once on an Agg canvas and saved as opaque RGB (the charts have a white
    background, so an alpha channel would only cost encoding time and a PDF soft mask). Deterministic: no
    timestamp or software metadata, so the same chart is drawn once per process (the yearly charts of a
    backfill repeat in four quarters' reports)."""
    return _chart_png(figure.chart)


@functools.lru_cache(maxsize=64)
def _chart_png(chart: Chart) -> bytes:
    from io import BytesIO

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from PIL import Image

    n = max(len(chart.categories), 1)
    if chart.kind == "hbar":
        size = (7.0, 1.0 + 0.36 * n)
    else:
        size = (min(7.0, 2.6 + 0.9 * n * len(chart.series)), 3.0)
    fig = MplFigure(figsize=size, dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if chart.kind == "hbar":
        _hbar(ax, chart)
    else:
        _bars(ax, chart)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    canvas.draw()
    rgba = Image.frombuffer(
        "RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    )
    out = BytesIO()
    rgba.convert("RGB").save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{x:,.0f}" if abs(x) >= 10 or x == int(x) else f"{x:g}")


def _hbar(ax, chart: Chart) -> None:
    values = [v if v is not None else 0.0 for v in chart.series[0][1]]
    positions = list(range(len(values)))[::-1]
    colors = [BLUE] * len(values)
    if chart.highlight_last and colors:
        colors[-1] = GREY
    ax.barh(positions, values, color=colors, height=0.65)
    ax.set_yticks(positions, labels=list(chart.categories))
    top = max(values, default=0) or 1.0
    ax.set_xlim(0, top * 1.18)
    labels = chart.labels[0] if chart.labels else tuple(chart.value_format.format(v) for v in values)
    for y, v, label in zip(positions, values, labels, strict=True):
        ax.text(v + top * 0.01, y, label, va="center", fontsize=8)
    ax.xaxis.set_major_formatter(_thousands())
    ax.set_xlabel(chart.unit_label, fontsize=8)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _bars(ax, chart: Chart) -> None:
    k = len(chart.series)
    width = 0.8 / max(k, 1)
    palette = [BLUE, LIGHT_BLUE, GREY, "#F2A900"]
    top = max((v for _, vals in chart.series for v in vals if v is not None), default=0) or 1.0
    for i, (name, vals) in enumerate(chart.series):
        xs = [j + (i - (k - 1) / 2) * width for j in range(len(vals))]
        heights = [v if v is not None else 0.0 for v in vals]
        ax.bar(xs, heights, width=width * 0.92, color=palette[i % len(palette)], label=name)
        labels = (
            chart.labels[i]
            if chart.labels
            else tuple("" if v is None else chart.value_format.format(v) for v in vals)
        )
        for x, v, label in zip(xs, vals, labels, strict=True):
            if v is not None:  # side by side bars: labels upright would overlap, so they stand vertically
                ax.text(
                    x,
                    v + top * 0.015,
                    label,
                    ha="center",
                    va="bottom",
                    fontsize=6.5 if k > 1 else 7,
                    rotation=90 if k > 1 else 0,
                )
    ax.set_xticks(range(len(chart.categories)), labels=list(chart.categories))
    ax.set_xlim(-0.6, len(chart.categories) - 0.4)
    ax.set_ylim(0, top * (1.3 if k > 1 else 1.15))
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_ylabel(chart.unit_label, fontsize=8)
    if k > 1:
        ax.legend(fontsize=8, frameon=False)
