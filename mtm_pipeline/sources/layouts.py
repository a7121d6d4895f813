"""Agency table layouts: the YAML files in sources/layouts/, one per shape of table an agency delivers.

A layout says how to recognise a table (its header labels), which column holds the row dimension
(country, sector, permit category, education level), which columns hold which figures (or that the
columns are reference periods), the total and remainder row labels, the unit and scale, and where the
reference period is stated. The format is documented in data/raw/README.md ("Agency tables as
delivered"); `sources/workbook.py` matches a workbook against the layouts and reads it.

How labels are compared is `sources/labels.py`, reference periods written in words `sources/period_words.py`
(both re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mtm_pipeline.sources.labels import (  # noqa: F401  (re-exported)
    UnitWords,
    label_matches,
    label_parts,
    language_parts,
    normalise_label,
)
from mtm_pipeline.sources.period_words import (  # noqa: F401  (re-exported)
    agrees_with_delivery,
    period_of_header,
    periods_in_text,
)

LAYOUTS_DIR = Path(__file__).resolve().parent / "layouts"
DEFAULTS_FILE = "_defaults.yaml"
ROW_DIMENSIONS = ("country", "sector", "category", "education")
FIXED_DIMENSIONS = ("direction", "purpose", "age_group", "country_group")
SCALE_WORDS = {"one": "", "thousand": " thousand", "million": " million", "billion": " billion"}
COMPLETENESS = ("with_remainder", "always", "never")
PERIOD_SOURCES = ("title", "columns")
PERIOD_AGREEMENT = ("delivery_quarter", "not_after_delivery_quarter")
GROUPS = ("CIS", "non-CIS")
CHANGE_BASES = ("previous_quarter", "same_period_last_year")
CHANGE_NOTATIONS = ("index", "change")


class LayoutFormatError(ValueError):
    """A layout file that does not follow the format (a programming error in the repository's data)."""


# --- the layout format -------------------------------------------------------------------------------------


def _labels(values) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(normalise_label(v) for v in values or [])


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    labels: frozenset[str]
    shown: str  # the first label, as the layout writes it (for messages)
    optional: bool = False


@dataclass(frozen=True)
class FigureSpec:
    column: str  # key of the column holding the figure
    measure: str
    fixed: dict[str, str]  # direction, purpose, age_group, country_group
    subset_of: str | None = None  # key of the column whose total this column's total is a part of
    obs_id_prefix: str | None = None  # instead of the layout's, for a table with several measures


@dataclass(frozen=True)
class TableSpec:
    name: str
    heading: frozenset[str]  # text that must appear above the table (empty: none needed)
    heading_shown: str
    columns: tuple[ColumnSpec, ...]
    label_column: str
    dimension: str  # country | sector | category | education
    values: dict[str, frozenset[str]]  # contract value -> row labels (not for countries)
    figures: tuple[FigureSpec, ...]
    period_columns: FigureSpec | None  # the other columns are reference periods holding this figure
    fixed: dict[str, str]
    complete: str
    optional: bool = False

    @property
    def required_columns(self) -> list[ColumnSpec]:
        """The columns the table must have (not optional)."""
        return [c for c in self.columns if not c.optional]


@dataclass(frozen=True)
class UnitSpec:
    labels: frozenset[str]
    shown: str
    scale: str


@dataclass(frozen=True)
class Layout:
    name: str
    source: str
    description: str
    obs_id_prefix: str
    unit: str
    units: tuple[UnitSpec, ...]
    unit_required: bool
    period_from: str  # title | columns
    period_agreement: str
    blank: frozenset[str]  # cell texts meaning "not published" (no figure)
    total: frozenset[str]
    remainder: frozenset[str]
    remainder_value: str  # the row value of a remainder row that is not a country
    note_markers: tuple[str, ...]
    skip_labels: frozenset[str]
    tables: tuple[TableSpec, ...] = field(default_factory=tuple)
    max_header_rows: int = 3
    ignore_columns: frozenset[str] = frozenset()  # numbering columns ("№", "№ п/п"): not read
    unit_words: UnitWords = field(default_factory=lambda: UnitWords({}, frozenset()))
    groups: dict[str, frozenset[str]] = field(default_factory=dict)  # CIS / non-CIS subtotal row labels
    share_columns: frozenset[str] = frozenset()  # "Удельный вес, %": the row's share of its total
    change_columns: dict[str, frozenset[str]] = field(default_factory=dict)  # base -> header labels
    change_written_as: str = "index"  # index: 100 = unchanged (105.3 -> +5.3 %); change: +5.3 as written
    not_period: tuple[str, ...] = ()  # title lines that are no reference period ("Дата формирования")


def _require(data: dict, key: str, where: str):
    if key not in data:
        raise LayoutFormatError(f"{where}: missing key {key!r}")
    return data[key]


def _column(data: dict, where: str) -> ColumnSpec:
    labels = _require(data, "labels", where)
    labels = [labels] if isinstance(labels, str) else list(labels)
    return ColumnSpec(_require(data, "key", where), _labels(labels), labels[0], bool(data.get("optional")))


def _figure(data: dict, where: str, column: str | None = None) -> FigureSpec:
    fixed = {k: str(data[k]) for k in FIXED_DIMENSIONS if data.get(k) is not None}
    return FigureSpec(
        column=column or _require(data, "column", where),
        measure=_require(data, "measure", where),
        fixed=fixed,
        subset_of=data.get("subset_of"),
        obs_id_prefix=data.get("obs_id_prefix"),
    )


def _table(data: dict, where: str) -> TableSpec:
    where = f"{where}, table {data.get('name', '?')!r}"
    columns = tuple(_column(c, where) for c in _require(data, "columns", where))
    keys = [c.key for c in columns]
    rows = _require(data, "rows", where)
    label_column = _require(rows, "column", f"{where}, rows")
    dimension = _require(rows, "dimension", f"{where}, rows")
    if dimension not in ROW_DIMENSIONS:
        raise LayoutFormatError(f"{where}: rows.dimension must be one of {ROW_DIMENSIONS}")
    if label_column not in keys:
        raise LayoutFormatError(f"{where}: rows.column {label_column!r} is not a column key")
    figures = tuple(_figure(f, where) for f in data.get("figures") or [])
    period_columns = data.get("period_columns")
    if bool(figures) == bool(period_columns):
        raise LayoutFormatError(f"{where}: give either figures or period_columns")
    for figure in figures:
        if figure.column not in keys or (figure.subset_of and figure.subset_of not in keys):
            raise LayoutFormatError(f"{where}: figure column {figure.column!r} is not a column key")
    complete = rows.get("complete", "with_remainder")
    if complete not in COMPLETENESS:
        raise LayoutFormatError(f"{where}: rows.complete must be one of {COMPLETENESS}")
    heading = data.get("heading") or []
    heading = [heading] if isinstance(heading, str) else list(heading)
    return TableSpec(
        name=_require(data, "name", where),
        heading=_labels(heading),
        heading_shown=heading[0] if heading else "",
        columns=columns,
        label_column=label_column,
        dimension=dimension,
        values={str(k): _labels(v) for k, v in (rows.get("values") or {}).items()},
        figures=figures,
        period_columns=_figure(period_columns, where, column="*") if period_columns else None,
        fixed={k: str(v) for k, v in (data.get("fixed") or {}).items()},
        complete=complete,
        optional=bool(data.get("optional")),
    )


def parse_layout(name: str, data: dict, defaults: dict | None = None) -> Layout:
    """A layout from its YAML mapping; keys missing from it are taken from _defaults.yaml."""
    merged = {**(defaults or {}), **data}
    where = f"layout {name}"
    period = _require(merged, "period", where)
    period_from = _require(period, "from", f"{where}, period")
    agreement = period.get("agree", "delivery_quarter")
    if period_from not in PERIOD_SOURCES or agreement not in PERIOD_AGREEMENT:
        raise LayoutFormatError(
            f"{where}: period.from in {PERIOD_SOURCES}, period.agree in {PERIOD_AGREEMENT}"
        )
    units = []
    for unit in merged.get("units") or []:
        labels = list(_require(unit, "labels", f"{where}, units"))
        scale = unit.get("scale", "one")
        if scale not in SCALE_WORDS:
            raise LayoutFormatError(f"{where}: unit scale must be one of {tuple(SCALE_WORDS)}")
        units.append(UnitSpec(_labels(labels), labels[0], scale))
    tables = tuple(_table(t, where) for t in _require(merged, "tables", where))
    if not tables:
        raise LayoutFormatError(f"{where}: no tables")
    return Layout(
        name=name,
        source=_require(merged, "source", where),
        description=merged.get("description", ""),
        obs_id_prefix=_require(merged, "obs_id_prefix", where),
        unit=_require(merged, "unit", where),
        units=tuple(units),
        unit_required=bool(merged.get("unit_required")),
        period_from=period_from,
        period_agreement=agreement,
        blank=frozenset(str(b) for b in merged.get("blank") or []),
        total=_labels(merged.get("total")),
        remainder=_labels(merged.get("remainder")),
        remainder_value=str(merged.get("remainder_value", "Other")),
        note_markers=tuple(" ".join(str(m).casefold().split()) for m in merged.get("note_markers") or []),
        skip_labels=_labels(merged.get("skip_labels")),
        tables=tables,
        max_header_rows=int(merged.get("max_header_rows", 3)),
        **_vocabulary(merged, where),
    )


def _vocabulary(merged: dict, where: str) -> dict:
    """The shared vocabulary of _defaults.yaml a layout may replace: ignored columns, unit words, group
    subtotal rows, share and change columns, title lines that state no period."""
    groups = {str(k): _labels(v) for k, v in (merged.get("groups") or {}).items()}
    changes = dict(merged.get("change_columns") or {})
    written_as = str(changes.pop("written_as", "index"))
    if set(groups) - set(GROUPS) or set(changes) - set(CHANGE_BASES) or written_as not in CHANGE_NOTATIONS:
        raise LayoutFormatError(
            f"{where}: groups in {GROUPS}, change_columns in {CHANGE_BASES}, written_as in {CHANGE_NOTATIONS}"
        )
    return {
        "ignore_columns": _labels(merged.get("ignore_columns")),
        "unit_words": UnitWords.from_data(merged.get("unit_words")),
        "groups": groups,
        "share_columns": _labels(merged.get("share_columns")),
        "change_columns": {k: _labels(v) for k, v in changes.items()},
        "change_written_as": written_as,
        "not_period": tuple(normalise_label(str(t)) for t in merged.get("not_period") or []),
    }


@lru_cache(maxsize=8)
def load_layouts(directory: Path = LAYOUTS_DIR) -> tuple[Layout, ...]:
    """Every layout file of the directory. Keys a layout leaves out come from the directory's
    _defaults.yaml, then from the repository's (so a layout kept elsewhere shares the vocabulary)."""
    import yaml

    defaults: dict = {}
    for folder in dict.fromkeys([LAYOUTS_DIR, directory]):
        if (folder / DEFAULTS_FILE).exists():
            defaults.update(yaml.safe_load((folder / DEFAULTS_FILE).read_text(encoding="utf-8")) or {})
    layouts = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise LayoutFormatError(f"layout {path.stem}: not a YAML mapping")
        layouts.append(parse_layout(path.stem, data, defaults))
    return tuple(layouts)


def layouts_for(source: str, directory: Path = LAYOUTS_DIR) -> list[Layout]:
    """The layouts of one source (file name), in file order."""
    return [layout for layout in load_layouts(directory) if layout.source == source]
