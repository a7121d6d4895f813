"""Counts-only extracts (`--counts-only`): each quarter as agencies deliver their data, before anyone has
written a report from it. Totals and counts by country, sector, category and education; no shares, no ranks,
no stated changes, no comparison bases and no annual totals: the derived stage computes all of those.

Country rows carry no CIS / non-CIS group (conformance sets it from dated membership). Breakdowns by country
list every country the history has; the unnamed rest is an 'Other countries' row, which the residence
permits extract places in the non-CIS group (as the published reports do) and the other sources leave
ungrouped, so derived group totals there cover the named countries only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.synthetic.history import OTHER, History, _quarter_end
from mtm_pipeline.synthetic.writer import ExtractWriter, _slug, _top, millions_text


def _by_country(
    w: ExtractWriter,
    prefix: str,
    measure: str,
    period: str,
    total_id: str,
    counts: Mapping[str, int],
    **cells,
) -> None:
    """One row per named country (largest first) and the unnamed rest, all parts of the total."""
    remainder_group = cells.pop("remainder_group", "")
    as_money = cells.pop("as_money", False)
    for iso3, n in [*_top(counts, len(counts)), *([(OTHER, counts[OTHER])] if OTHER in counts else [])]:
        value = millions_text(n) if as_money else str(n)
        group = remainder_group if iso3 == OTHER else ""
        w.add(
            f"{prefix}_{iso3.lower()}",
            measure,
            period,
            f"{w.name(iso3)}: {value}",
            country=w.name(iso3),
            country_group=group,
            value=value,
            part_of=total_id,
            parts_complete="yes",
            **cells,
        )


def border_crossings_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("border_crossings", quarter, h.seed)
    now, qk, m = h.crossings(quarter), _slug(quarter), "border_crossings"
    for direction, p, noun in (("in", "arr", "arrivals"), ("out", "dep", "departures")):
        total_id = f"{p}_{qk}_total"
        w.add(
            total_id,
            m,
            quarter,
            f"{now.total(direction):,} {noun}",
            direction=direction,
            value=str(now.total(direction)),
        )
        labour = now.labour(direction)
        w.add(
            f"{p}_{qk}_labour",
            m,
            quarter,
            f"{labour:,} {noun} for labour purposes",
            direction=direction,
            purpose="labour",
            value=str(labour),
            part_of=total_id,
            parts_complete="no",
        )
        _by_country(w, f"{p}_{qk}", m, quarter, total_id, now.by_country(direction), direction=direction)
    return w


def residence_permits_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("residence_permits", quarter, h.seed)
    qk = _slug(quarter)
    total, labour = h.trp_holders(quarter)
    w.add(f"trp_{qk}_total", "trp_holders", quarter, f"{total:,} TRP holders", value=str(total))
    w.add(
        f"trp_{qk}_labour",
        "trp_holders",
        quarter,
        f"{labour:,} TRP holders for labour",
        purpose="labour",
        value=str(labour),
        part_of=f"trp_{qk}_total",
        parts_complete="no",
    )
    prp = h.prp_issued(quarter)
    prp_total = sum(prp.values())
    w.add(f"prp_{qk}_total", "prp_issued", quarter, f"{prp_total:,} PRPs issued", value=str(prp_total))
    _by_country(w, f"prp_{qk}", "prp_issued", quarter, f"prp_{qk}_total", prp, remainder_group="non-CIS")
    issued = h.trp_issued(quarter)
    total_id = f"trp_issued_{qk}_total"
    w.add(
        total_id,
        "trp_issued",
        quarter,
        f"{sum(issued.values()):,} TRPs issued",
        value=str(sum(issued.values())),
    )
    _by_country(w, f"trp_issued_{qk}", "trp_issued", quarter, total_id, issued)
    return w


def labour_migration_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("labour_migration", quarter, h.seed)
    as_of = (_quarter_end(quarter) + timedelta(days=1)).isoformat()
    dk, fw = as_of.replace("-", ""), h.foreign_workers(quarter)
    total_id = f"fw_{dk}_total"
    w.add(
        total_id,
        "foreign_workers",
        as_of,
        f"foreign workers as of {as_of}: {fw['total']['']:,}",
        value=str(fw["total"][""]),
    )
    slugs = {"intra-corporate transfer": "ict"}
    for category, n in fw["category"].items():
        w.add(
            f"fw_{dk}_cat_{slugs.get(category, category)}",
            "foreign_workers",
            as_of,
            f"{category}: {n:,}",
            category=category,
            value=str(n),
            part_of=total_id,
            parts_complete="yes",
        )
    for sector, n in _top(fw["sector"], len(fw["sector"])):
        slug = sector.split()[0].strip(",").lower()
        w.add(
            f"fw_{dk}_sector_{slug}",
            "foreign_workers",
            as_of,
            f"{sector}: {n:,}",
            sector=sector,
            value=str(n),
            part_of=total_id,
            parts_complete="no",
        )
    _by_country(w, f"fw_{dk}", "foreign_workers", as_of, total_id, fw["country"])
    w.add(
        f"emp_{dk}_total",
        "employers_recruiting",
        as_of,
        f"{fw['employers']['']:,} employers",
        value=str(fw["employers"][""]),
    )
    if quarter.endswith("Q1"):
        year = parse_quarter_key(quarter).start.year
        quota, _ = h.quota(year)
        w.add(
            f"quota_{year}_permits",
            "work_permit_quota",
            str(year),
            f"quota for {year}: {quota:,} permits",
            value=str(quota),
        )
    return w


def emigration_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("emigration", quarter, h.seed)
    qk, now = _slug(quarter), h.emigrants(quarter)
    total_id, adults_id = f"emi_{qk}_total", f"emi_{qk}_adults"
    w.add(total_id, "emigrants", quarter, f"{now['total']['']:,} emigrants", value=str(now["total"][""]))
    _by_country(w, f"emi_{qk}", "emigrants", quarter, total_id, now["country"])
    w.add(
        adults_id,
        "emigrants",
        quarter,
        f"{now['adults']['']:,} aged 15+",
        age_group="15+",
        value=str(now["adults"][""]),
        part_of=total_id,
        parts_complete="no",
    )
    for education, n in now["education"].items():
        w.add(
            f"emi_{qk}_edu_{education.lower().replace(' ', '_')}",
            "emigrants",
            quarter,
            f"{n:,} {education}",
            education=education,
            age_group="15+",
            value=str(n),
            part_of=adults_id,
            parts_complete="yes",
        )
    return w


def remittances_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("remittances", quarter, h.seed)
    qk = _slug(quarter)
    for direction in ("out", "in"):
        flows = h.remittances(quarter, direction)
        total_id = f"rem_{direction}_{qk}_total"
        w.add(
            total_id,
            "personal_remittances",
            quarter,
            f"{millions_text(sum(flows.values()))} USD",
            direction=direction,
            value=millions_text(sum(flows.values())),
        )
        _by_country(
            w,
            f"rem_{direction}_{qk}",
            "personal_remittances",
            quarter,
            total_id,
            flows,
            direction=direction,
            as_money=True,
        )
    return w


BUILDERS = {
    "border_crossings": border_crossings_rows,
    "residence_permits": residence_permits_rows,
    "labour_migration": labour_migration_rows,
    "emigration": emigration_rows,
    "remittances": remittances_rows,
}
assert set(BUILDERS) == set(SOURCES)
