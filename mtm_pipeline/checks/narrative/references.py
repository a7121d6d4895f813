"""References the analyst writes instead of a number, `{{measure period [dimension=value ...] [facet]}}`,
resolved to one figure of the warehouse (pure). An unknown or ambiguous reference is a NarrativeError naming
file and line: the report is not built with a hole in it.

    {{prp_issued 2024-Q3}}                         the total (no dimension set)
    {{border_crossings 2024-Q1 direction=in}}      arrivals
    {{prp_issued 2024-Q1 country=Uzbekistan share}} a share; `change` for the stated or derived change
"""

from __future__ import annotations

from dataclasses import dataclass

from mtm_pipeline.checks.narrative.figures import FigureFacet
from mtm_pipeline.narrative_text import REFERENCE, NarrativeError, NarrativeFile, items_of
from mtm_pipeline.sources.contract import DIMENSIONS

FACETS = ("value", "share", "change")


@dataclass(frozen=True)
class Reference:
    measure: str
    period: str
    dims: dict
    facet: str


def parse_reference(text: str, where: str) -> Reference:
    """'prp_issued 2024-Q3 country=Uzbekistan share' -> Reference (NarrativeError when malformed)."""
    words = text.split()
    if len(words) < 2:
        raise NarrativeError(f"{where}: reference {{{{{text}}}}} needs a measure and a period")
    measure, period, *rest = words
    facet = "value"
    dims = {}
    for word in rest:
        if word in FACETS:
            facet = word
            continue
        key, _, value = word.partition("=")
        if key not in DIMENSIONS or not value:
            raise NarrativeError(
                f"{where}: reference {{{{{text}}}}}: {word!r} is neither a facet ({', '.join(FACETS)}) nor "
                f"dimension=value with a dimension of {', '.join(DIMENSIONS)} (write spaces in a value as _)"
            )
        dims[key] = value.replace("_", " ")
    return Reference(measure, period, dims, facet)


def _names(f: FigureFacet, key: str) -> set[str]:
    if key == "direction":
        return {f.direction.casefold()} if f.direction else set()
    if key == "country":
        return {name.casefold() for name in f.country_names}
    return {v.casefold() for k, v in f.dims if k == key}


def _matches(f: FigureFacet, ref: Reference) -> bool:
    """The figure has exactly the reference's dimensions (a country by name as published, ISO3 or display
    name) and no other."""
    keys = {k for k, _ in f.dims} | ({"direction"} if f.direction else set())
    return keys == set(ref.dims) and all(v.casefold() in _names(f, k) for k, v in ref.dims.items())


def resolve(ref: Reference, facets: list[FigureFacet], where: str, text: str) -> FigureFacet:
    """The one figure a reference names, or a NarrativeError saying what the warehouse holds instead."""
    known = sorted({f.measure for f in facets})
    if ref.measure not in known:
        raise NarrativeError(
            f"{where}: reference {{{{{text}}}}}: unknown measure {ref.measure!r}; the warehouse holds "
            f"{', '.join(known) or 'no figures for this quarter'}"
        )
    same = [f for f in facets if f.measure == ref.measure and f.period == ref.period and f.facet == ref.facet]
    hits = [f for f in same if _matches(f, ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        held = "; ".join(
            sorted(
                {
                    ", ".join(filter(None, [f"direction={f.direction}" if f.direction else "", f.dims_text]))
                    or "(total)"
                    for f in same
                }
            )[:8]
        )
        raise NarrativeError(
            f"{where}: reference {{{{{text}}}}}: no {ref.facet} of {ref.measure} for {ref.period} with "
            f"exactly these dimensions; the warehouse holds {held or 'none for that period'}"
        )
    raise NarrativeError(f"{where}: reference {{{{{text}}}}} names {len(hits)} figures; add a dimension")


def resolve_references(files: dict[str, NarrativeFile], facets: list[FigureFacet]) -> dict[str, FigureFacet]:
    """Every reference of the narrative (its text inside the braces) -> its figure."""
    resolved = {}
    for file in files.values():
        for item in items_of(file):
            for m in REFERENCE.finditer(item.source):
                line = item.line + item.source[: m.start()].count("\n")
                text = m.group(1).strip()
                ref = parse_reference(text, f"{file.where}:{line}")
                resolved[m.group(1)] = resolve(ref, facets, f"{file.where}:{line}", text)
    return resolved
