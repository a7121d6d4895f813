"""Checking the analyst's text (data/narrative/<quarter>/*.md): every number typed is matched against the
quarter's figures, published and derived (published.figures), within their precision (pure, no Dagster).

For each sentence: the numbers it holds (extract.py; dates, years, durations and numbered references are
not figures), the measures and periods it names (context.py; a sentence naming none takes those of the
sentences before it in the same paragraph, and with no period named at all, the figures delivered for the
report quarter). A number passes when the interval it was typed at (58.2 -> [58.15, 58.25]) meets the interval
of a figure of its kind (count, per cent, times, USD), of a named measure and period; a change is compared
without its sign. Otherwise it is a finding of rule `narrative_numbers_match`, with the sentence, the figures
it could have meant and what was typed. A number in a sentence that names no measure and cites a source (a
link in the sentence) is the source's, not the warehouse's: recorded as passed, not checked. References
`{{...}}` are filled in from the warehouse (references.py) and never checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.narrative.context import (
    clause,
    countries_named,
    group_named,
    measures_named,
    periods_named,
)
from mtm_pipeline.checks.narrative.extract import Mention, extract_numbers, sentences
from mtm_pipeline.checks.narrative.figures import FigureFacet, country_names, figure_facets
from mtm_pipeline.checks.narrative.references import resolve_references
from mtm_pipeline.narrative_text import REFERENCE, Item, NarrativeFile
from mtm_pipeline.periods import is_quarter_key, parse_period

RULE = "narrative_numbers_match"
DESCRIPTION = (
    "Every number typed in the analyst's text (data/narrative/<quarter>/) matches, within the precision it "
    "was typed at, a figure of the measure and period its sentence names, published or derived "
    "(published.figures); dates, years, durations and numbered references are not figures."
)
SOURCE = "narrative"
_HEADING_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.?(?=\s)")


@dataclass(frozen=True)
class NarrativeCheck:
    findings: list[Finding]  # one per number, passed ones too
    references: dict[str, FigureFacet]  # reference text -> the figure it is filled in with


@dataclass(frozen=True)
class _Scope:
    measures: frozenset  # (measure, direction or None); empty: any measure
    periods: frozenset  # period labels; empty: the figures delivered for the report quarter
    cited: bool  # the sentence has a link
    countries: frozenset = frozenset()  # the countries the number's clause names
    group: str | None = None  # or the country group it names

    def of(self, sentence: str, m: Mention, names: dict) -> _Scope:
        """The scope narrowed to the country or country group the clause of `m` names."""
        around = clause(sentence, m.start, m.end)
        countries = frozenset(countries_named(around, names))
        return _Scope(
            self.measures, self.periods, self.cited, countries, None if countries else group_named(around)
        )

    def what(self) -> str:
        """'prp_issued (Uzbekistan)': the measures and the country or group looked at."""
        measures = ", ".join(sorted({x for x, _ in self.measures})) or "any measure"
        where = ", ".join(sorted(self.countries)) or self.group
        return f"{measures} ({where})" if where else measures


def _in_period(f: FigureFacet, periods: frozenset, quarter: str) -> bool:
    if not periods:
        return f.delivery_quarter == quarter
    if f.period in periods or (f.base_period is not None and f.base_period in periods):
        return True
    try:
        day = parse_period(f.period)
    except ValueError:
        return False
    # a stock on a date is a figure of the quarter it falls in
    return day.kind == "date" and any(
        parse_period(label).contains(day) for label in periods if is_quarter_key(label)
    )


def _of_measure(f: FigureFacet, measures: frozenset) -> bool:
    return not measures or any(f.measure == m and d in (None, f.direction) for m, d in measures)


def _candidates(m: Mention, scope: _Scope, facets: list[FigureFacet], quarter: str) -> list[FigureFacet]:
    """The figures the number can be: its kind, a measure and a period of the sentence, and the country or
    country group its clause names, if any."""
    found = [
        f
        for f in facets
        if f.kind == m.kind and _of_measure(f, scope.measures) and _in_period(f, scope.periods, quarter)
    ]
    if scope.countries:
        return [f for f in found if f.country in scope.countries]
    if scope.group:
        return [f for f in found if f.country is None and (("country_group", scope.group) in f.dims)]
    return found


def _finding(m: Mention, where: str, sentence: str, scope: _Scope, candidates: list) -> Finding:
    meets = [f for f in candidates if f.magnitude()[0] <= m.high and m.low <= f.magnitude()[1]]
    what = scope.what()
    when = ", ".join(sorted(scope.periods)) or "the figures delivered for the quarter"
    if meets:
        expected, passed, why = meets[0].label(), True, "matches " + meets[0].label()
    elif scope.cited and not scope.measures:
        expected, passed, why = None, True, "cited to its source (a link) and names no measure: not checked"
    else:
        near = sorted(candidates, key=lambda f: abs(abs(f.value) - abs(float(m.value))))[:3]
        expected = "; ".join(f.label() for f in near) or f"a {m.kind} figure of {what} for {when}"
        passed = False
        why = (
            f"'{m.text}' contradicts the warehouse: no {m.kind} figure of {what} for {when} is within its "
            f"precision; nearest: {expected}"
            if near
            else f"'{m.text}' matches no {m.kind} figure of {what} for {when} in the warehouse"
        )
    return Finding(
        rule=RULE,
        source=SOURCE,
        subject=f"{where}: {m.text}",
        obs_ids=(),
        passed=passed,
        severity="WARN",
        expected=expected,
        observed=m.text,
        tolerance=f"+/- {m.precision / 2:g} (the last digit typed)",
        message=f'{where}: "{" ".join(sentence.split())}": {why}',
    )


def _links(item: Item) -> list[tuple[int, int]]:
    """Where the item's links are in its plain text."""
    out, pos = [], 0
    for span in item.spans:
        if span.kind == "link":
            out.append((pos, pos + len(span.text)))
        pos += len(span.text)
    return out


def _check_item(
    file: NarrativeFile, item: Item, facets: list, names: dict, quarter: str, heading: bool
) -> list[Finding]:
    """The findings of the numbers of one heading, paragraph or list item."""
    findings = []
    text = REFERENCE.sub(lambda m: " " * len(m.group()), item.plain)  # offsets kept
    if heading:  # a heading's own number ('2.2 Migration Outflow') is not a figure
        text = _HEADING_NUMBER.sub(lambda m: " " * len(m.group()), text)
    measures, periods = frozenset(), frozenset()
    links = _links(item)
    for start, sentence in sentences(text):
        measures = measures_named(sentence) or measures
        periods = periods_named(sentence, quarter) or periods
        cited = any(start <= a < start + len(sentence) for a, _ in links)
        scope = _Scope(measures, periods, cited)
        for m in extract_numbers(sentence):
            line = item.line + text[: start + m.start].count("\n")
            where = f"{file.where}:{line}"
            narrow = scope.of(sentence, m, names)
            findings.append(_finding(m, where, sentence, narrow, _candidates(m, narrow, facets, quarter)))
    return findings


def check_narrative(files: dict[str, NarrativeFile], figures: pd.DataFrame, quarter: str) -> NarrativeCheck:
    """Check every number of the narrative against `figures` (published.figures rows of the deliveries the
    report reads) and resolve its references (NarrativeError for an unknown one)."""
    if not files:
        return NarrativeCheck([], {})
    facets = figure_facets(figures)
    references = resolve_references(files, facets)
    names = country_names(facets)
    findings = [
        finding
        for file in files.values()
        for block in file.blocks
        for item in block.items
        for finding in _check_item(file, item, facets, names, quarter, block.kind == "heading")
    ]
    return NarrativeCheck(findings, references)
