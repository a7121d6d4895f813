"""Agency table layouts: the YAML files in sources/layouts/, one per shape of table an agency delivers.

A layout says how to recognise a table (its header labels), which column holds the row dimension
(country, sector, permit category, education level), which columns hold which figures (or that the
columns are reference periods), the total and remainder row labels, the unit and scale, and where the
reference period is stated. The format is documented in data/raw/README.md ("Agency tables as
delivered"); `sources/workbook.py` matches a workbook against the layouts and reads it.

Also here, as pure functions: how labels are compared, and reference periods written in words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from mtm_pipeline.periods import Period, parse_period, parse_quarter_key

LAYOUTS_DIR = Path(__file__).resolve().parent / "layouts"
DEFAULTS_FILE = "_defaults.yaml"
ROW_DIMENSIONS = ("country", "sector", "category", "education")
FIXED_DIMENSIONS = ("direction", "purpose", "age_group", "country_group")
SCALE_WORDS = {"one": "", "thousand": " thousand", "million": " million", "billion": " billion"}
COMPLETENESS = ("with_remainder", "always", "never")
PERIOD_SOURCES = ("title", "columns")
PERIOD_AGREEMENT = ("delivery_quarter", "not_after_delivery_quarter")


class LayoutFormatError(ValueError):
    """A layout file that does not follow the format (a programming error in the repository's data)."""


# --- comparing labels ----------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
# Splits a header or row label written in several languages in one cell ("Елі / Страна / Country").
_LANGUAGE_SEPARATORS = re.compile(r"\s*(?:\n|\r|\u2028| / |\|)\s*")


def normalise_label(text: str) -> str:
    """Comparable form of a header or row label: NFC, case-folded, 'ё' as 'е', one space for any run of
    spaces and line breaks, no trailing colon or footnote star."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(":*").strip()


def language_parts(text: str) -> list[str]:
    """The languages of a label written in one cell, as spelled ('Ресей / Россия' -> two parts), split at
    line breaks (\\n, \\r, U+2028), ' / ' and '|'. Country look-ups need the spelling as delivered."""
    return [p.strip() for p in _LANGUAGE_SEPARATORS.split(text) if p.strip()]


def label_parts(text: str) -> list[str]:
    """The languages of a label written in one cell, normalised ('Барлығы\\nВсего\\nTotal' -> three parts)."""
    return [part for part in map(normalise_label, language_parts(text)) if part]


def label_matches(text: str | list[str], labels: frozenset[str]) -> bool:
    """A label (or the parts of a header spread over several rows) is one of `labels`: as a whole, or
    every language part of it."""
    parts = text if isinstance(text, list) else label_parts(text)
    if not parts:
        return False
    if normalise_label(" ".join(parts)) in labels:
        return True
    return all(p in labels for p in parts)


# --- reference periods written in words ------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_WORD = r"(?:квартал\w*|кв\.?|тоқсан\w*|токсан\w*|quarter)"
_YEAR_WORD = r"(?:\s*(?:года|год|г\.|г|жылғы|жылы|жыл|ж\.|ж))?"
_QUARTER_PATTERNS = (
    # "III квартал 2024 года", "I кв. 2023", "3rd quarter 2024"
    re.compile(rf"\b(iv|i{{1,3}}|[1-4])(?:-?й|-?ші|-?шы|st|nd|rd|th)?\s*{_QUARTER_WORD}\s*(\d{{4}})"),
    # "2024 ж. I тоқсан", "2024 г. III квартал"
    re.compile(rf"\b(\d{{4}}){_YEAR_WORD}\s*(iv|i{{1,3}}|[1-4])(?:-?ші|-?шы|-?й)?\s*{_QUARTER_WORD}"),
    # "2023 Q1", "2023-Q1", "2023Q1"
    re.compile(r"\b(\d{4})\s*-?\s*q([1-4])\b"),
    # "Q1 2023"
    re.compile(r"\bq([1-4])\s*-?\s*(\d{4})\b"),
)
# Months: Russian (nominative and genitive), Kazakh, English; the first three letters are enough in
# Russian and English, Kazakh month names differ earlier.
_MONTHS = {
    1: ("январ", "қаңтар", "january", "jan"),
    2: ("феврал", "ақпан", "february", "feb"),
    3: ("март", "наурыз", "march", "mar"),
    4: ("апрел", "сәуір", "april", "apr"),
    5: ("мая", "май", "мамыр", "may"),
    6: ("июн", "маусым", "june", "jun"),
    7: ("июл", "шілде", "july", "jul"),
    8: ("август", "тамыз", "august", "aug"),
    9: ("сентябр", "қыркүйек", "september", "sep"),
    10: ("октябр", "қазан", "october", "oct"),
    11: ("ноябр", "қараша", "november", "nov"),
    12: ("декабр", "желтоқсан", "december", "dec"),
}
_MONTH_WORD = r"([a-zа-яәғқңөұүһі]+)"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH_WORD}\s+(\d{{4}})")  # "1 июля 2024"
_YEAR_DAY_MONTH = re.compile(
    rf"\b(\d{{4}}){_YEAR_WORD}\s+(\d{{1,2}})\s+{_MONTH_WORD}"
)  # "2024 жылғы 1 шілде"
_NUMERIC_DATE = re.compile(r"\b(\d{2})\.(\d{2})\.(\d{4})\b")  # "01.07.2024"
_MONTH_RANGE = re.compile(rf"\b{_MONTH_WORD}\s*[-–—]\s*{_MONTH_WORD}\s+(\d{{4}})")  # "январь-март 2024"
_YEAR_ONLY = re.compile(rf"^(?:за\s+)?(\d{{4}}){_YEAR_WORD}$")  # "2023", "за 2023 год", "2023 жыл"
_YEAR_IN_TEXT = re.compile(rf"\bза\s+(\d{{4}}){_YEAR_WORD}(?!\s*\d)")  # "за 2023 год" inside a title


def _month(word: str) -> int | None:
    for number, stems in _MONTHS.items():
        if any(word.startswith(stem) for stem in stems):
            return number
    return None


def _quarter(year: str, number: int) -> Period:
    return parse_period(f"{year}-Q{number}")


def periods_in_text(text: str) -> list[Period]:
    """Every reference period written in `text` (a title, a heading or a column header), in words or
    figures: quarters ("за III квартал 2024 года", "I кв. 2023", "2024 ж. I тоқсан", "2023 Q1"), a
    quarter's months ("январь-март 2024"), as-of dates ("на 1 июля 2024 года", "01.07.2024") and years
    ("2023", "за 2023 год"). Distinct periods, in order of appearance."""
    s = normalise_label(text)
    found: list[tuple[int, Period]] = []

    def add(match: re.Match, period: Period | None) -> None:
        if period is not None:
            found.append((match.start(), period))

    for pattern in _QUARTER_PATTERNS:
        for m in pattern.finditer(s):
            a, b = m.group(1), m.group(2)
            year, roman = (b, a) if len(a) != 4 else (a, b)
            add(m, _quarter(year, _ROMAN[roman]))
    for m in _MONTH_RANGE.finditer(s):
        first, last = _month(m.group(1)), _month(m.group(2))
        if first and last and (first - 1) % 3 == 0 and last == first + 2:
            add(m, _quarter(m.group(3), (first + 2) // 3))
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_YEAR_DAY_MONTH, "ydm")):
        for m in pattern.finditer(s):
            day, word, year = (
                (m.group(1), m.group(2), m.group(3))
                if order == "dmy"
                else (m.group(2), m.group(3), m.group(1))
            )
            month = _month(word)
            if month:
                add(m, _date_period(int(year), month, int(day)))
    for m in _NUMERIC_DATE.finditer(s):
        add(m, _date_period(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    if not found:
        for offset, part in enumerate(label_parts(text)):  # "2023", "2023 жыл", one per language
            if m := _YEAR_ONLY.match(part):
                found.append((offset, parse_period(m.group(1))))
        for m in _YEAR_IN_TEXT.finditer(s):
            add(m, parse_period(m.group(1)))
    periods: list[Period] = []
    for _, period in sorted(found, key=lambda item: item[0]):
        if period not in periods:
            periods.append(period)
    return periods


def _date_period(year: int, month: int, day: int) -> Period | None:
    try:
        return parse_period(date(year, month, day).isoformat())
    except ValueError:
        return None


def period_of_header(text: str | list[str]) -> Period | None:
    """The one period a column header states (every language part the same period), else None."""
    parts = text if isinstance(text, list) else label_parts(text)
    periods = {p for part in parts for p in periods_in_text(part.rstrip("*"))}
    return periods.pop() if len(periods) == 1 else None


def agrees_with_delivery(period: Period, quarter: str, rule: str) -> bool:
    """Whether a stated reference period fits the delivery quarter folder.

    delivery_quarter: the quarter itself, or a stock as of a date inside it up to the day after its end
    ("на 1 октября 2024 года" in 2024-Q3). not_after_delivery_quarter: any period that has ended by the
    end of the delivery quarter (earlier quarters and years a table repeats).
    """
    delivery = parse_quarter_key(quarter)
    if rule == "delivery_quarter":
        if period.kind == "date":
            return delivery.start < period.start <= delivery.end + timedelta(days=1)
        return period == delivery
    return period.end <= delivery.end + timedelta(days=1 if period.kind == "date" else 0)


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
    )


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
    return [layout for layout in load_layouts(directory) if layout.source == source]
