"""The default extracts: each quarter as the published reports state it (counts with their shares, stated
changes against earlier periods, ranks, comparison bases and the previous year's totals in each Q1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from mtm_pipeline.periods import parse_quarter_key, previous_quarter, same_quarter_last_year
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.synthetic.history import OTHER, History, _quarter_end
from mtm_pipeline.synthetic.writer import (
    ExtractWriter,
    _fmt,
    _slug,
    _top,
    change_text,
    direction_text,
    millions_text,
    share_text,
)


def border_crossings_rows(h: History, quarter: str) -> ExtractWriter:
    """The border_crossings extract of a quarter: totals with their changes and comparison bases, labour
    crossings, CIS / non-CIS shares and the leading countries of each group, for arrivals and departures."""
    w = ExtractWriter("border_crossings", quarter, h.seed)
    now, prev, last_year = (
        h.crossings(quarter),
        h.crossings(previous_quarter(quarter)),
        h.crossings(same_quarter_last_year(quarter)),
    )
    for direction, p, noun in (("in", "arr", "arrivals"), ("out", "dep", "departures")):
        _crossing_totals(w, quarter, (now, prev, last_year), (direction, p, noun))
        _crossing_groups(w, h, quarter, now, (direction, p, noun))
    return w


def _crossing_totals(w: ExtractWriter, quarter: str, crossings, labels: tuple[str, str, str]) -> None:
    """A direction's total, its changes against the previous quarter and the same quarter a year before, and
    both comparison bases."""
    (now, prev, last_year), (direction, p, noun) = crossings, labels
    qk, pk, yk = _slug(quarter), _slug(previous_quarter(quarter)), _slug(same_quarter_last_year(quarter))
    m = "border_crossings"
    total, base, year_base = now.total(direction), prev.total(direction), last_year.total(direction)
    w.add(
        f"{p}_{qk}_total",
        m,
        quarter,
        f"{total:,} {noun}",
        direction=direction,
        value=str(total),
        change=change_text(total, base),
        change_unit="percent",
        change_base_period=previous_quarter(quarter),
    )
    w.add(
        f"{p}_{qk}_total_vs_{yk}",
        m,
        quarter,
        f"{noun} vs the same quarter a year before",
        direction=direction,
        change=change_text(total, year_base),
        change_unit="percent",
        change_base_period=same_quarter_last_year(quarter),
    )
    w.add(
        f"{p}_{pk}_total",
        m,
        previous_quarter(quarter),
        f"{base:,} {noun} (comparison base)",
        direction=direction,
        value=str(base),
    )
    rounded = millions_text(year_base)
    w.add(
        f"{p}_{yk}_total",
        m,
        same_quarter_last_year(quarter),
        f"{rounded} {noun} (comparison base)",
        direction=direction,
        value=rounded,
    )


def _crossing_groups(w: ExtractWriter, h: History, quarter: str, now, labels: tuple[str, str, str]) -> None:
    """A direction's labour crossings, its CIS / non-CIS shares and the leading countries of each group."""
    direction, p, noun = labels
    qk, m, total = _slug(quarter), "border_crossings", now.total(direction)
    labour = now.labour(direction)
    w.add(
        f"{p}_{qk}_labour",
        m,
        quarter,
        f"{labour:,} {noun} for labour purposes",
        direction=direction,
        purpose="labour",
        value=str(labour),
        part_of=f"{p}_{qk}_total",
        parts_complete="no",
    )
    countries = now.by_country(direction)
    cis = {k: v for k, v in countries.items() if h.is_cis(k, quarter)}
    non = {k: v for k, v in countries.items() if k not in cis}
    cis_share = share_text(sum(cis.values()), total)
    non_share = _fmt(Decimal(100) - Decimal(cis_share), 1)
    for group, slug, share, members, listed in (
        ("CIS", "cis", cis_share, cis, 4 if direction == "in" else 5),
        ("non-CIS", "noncis", non_share, non, 6 if direction == "in" else 5),
    ):
        group_id = f"{p}_{qk}_{slug}"
        w.add(
            group_id,
            m,
            quarter,
            f"{share} per cent of {noun} from {group} countries",
            direction=direction,
            country_group=group,
            share=share,
            part_of=f"{p}_{qk}_total",
            parts_complete="yes",
        )
        group_total = sum(members.values())
        for iso3, n in _top(members, listed):
            s = share_text(n, group_total)
            w.add(
                f"{group_id}_{iso3.lower()}",
                m,
                quarter,
                f"{s} per cent from {w.name(iso3)}",
                direction=direction,
                country=w.name(iso3),
                country_group=group,
                share=s,
                part_of=group_id,
                parts_complete="no",
            )


def residence_permits_rows(h: History, quarter: str) -> ExtractWriter:
    """The residence_permits extract of a quarter: TRP holders, PRPs issued by CIS group and country, TRPs
    issued (and in each Q1 the previous year's)."""
    w = ExtractWriter("residence_permits", quarter, h.seed)
    qk = _slug(quarter)
    total, labour = h.trp_holders(quarter)
    base, _ = h.trp_holders(previous_quarter(quarter))
    w.add(
        f"trp_{qk}_total",
        "trp_holders",
        quarter,
        f"{total:,} TRP holders",
        value=str(total),
        change=direction_text(total, base),
        change_unit="direction",
        change_base_period=previous_quarter(quarter),
    )
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
    _prp_rows(w, h, quarter)
    issued = h.trp_issued(quarter)
    _issued_rows(w, quarter, issued)
    if quarter.endswith("Q1"):  # the previous year's permits, the sum of its quarters
        year = str(int(quarter[:4]) - 1)
        annual: dict[str, int] = {}
        for q in range(1, 5):
            for k, v in h.trp_issued(f"{year}-Q{q}").items():
                annual[k] = annual.get(k, 0) + v
        _issued_rows(w, year, annual)
    return w


def _prp_rows(w: ExtractWriter, h: History, quarter: str) -> None:
    """The PRPs issued in the quarter: the total, the CIS and non-CIS groups and every country of each."""
    qk = _slug(quarter)
    prp = h.prp_issued(quarter)
    prp_total = sum(prp.values())
    w.add(f"prp_{qk}_total", "prp_issued", quarter, f"{prp_total:,} PRPs issued", value=str(prp_total))
    cis = {k: v for k, v in prp.items() if h.is_cis(k, quarter)}
    non = {k: v for k, v in prp.items() if k not in cis}
    for group, slug, members in (("CIS", "cis", cis), ("non-CIS", "noncis", non)):
        group_id, group_total = f"prp_{qk}_{slug}", sum(members.values())
        w.add(
            group_id,
            "prp_issued",
            quarter,
            f"{group_total:,} PRPs to {group} citizens",
            country_group=group,
            value=str(group_total),
            part_of=f"prp_{qk}_total",
            parts_complete="yes",
        )
        named = _top(members, len(members))
        if OTHER in members:
            named.append((OTHER, members[OTHER]))
        for iso3, n in named:
            s = share_text(n, group_total)
            w.add(
                f"{group_id}_{iso3.lower()}",
                "prp_issued",
                quarter,
                f"{s} per cent ({n:,}) from {w.name(iso3)}",
                country=w.name(iso3),
                country_group=group,
                value=str(n),
                share=s,
                part_of=group_id,
                parts_complete="yes",
            )


def _issued_rows(w: ExtractWriter, period: str, issued: Mapping[str, int]) -> None:
    pk, total = _slug(period), sum(issued.values())
    w.add(f"trp_issued_{pk}_total", "trp_issued", period, f"{total:,} TRPs issued", value=str(total))
    for iso3, n in _top(issued, 4):
        w.add(
            f"trp_issued_{pk}_{iso3.lower()}",
            "trp_issued",
            period,
            f"{w.name(iso3)} {n:,}",
            country=w.name(iso3),
            value=str(n),
            part_of=f"trp_issued_{pk}_total",
            parts_complete="no",
        )


def labour_migration_rows(h: History, quarter: str) -> ExtractWriter:
    """The labour_migration extract of a quarter: foreign workers with permits on the day after it ends (by
    category, sector and country), employers, and in each Q1 the year's quota."""
    w = ExtractWriter("labour_migration", quarter, h.seed)
    as_of = (_quarter_end(quarter) + timedelta(days=1)).isoformat()
    base_as_of = parse_quarter_key(quarter).start.isoformat()
    dk = as_of.replace("-", "")
    fw, base = h.foreign_workers(quarter), h.foreign_workers(previous_quarter(quarter))
    total, base_total = fw["total"][""], base["total"][""]
    total_id = f"fw_{dk}_total"
    w.add(
        total_id,
        "foreign_workers",
        as_of,
        f"foreign workers with permits as of {as_of}: {total:,}",
        value=str(total),
        change=change_text(total, base_total),
        change_unit="percent",
        change_base_period=base_as_of,
    )
    _foreign_worker_parts(w, fw, as_of, total_id)
    employers = fw["employers"][""]
    w.add(f"emp_{dk}_total", "employers_recruiting", as_of, f"{employers:,} employers", value=str(employers))
    if quarter.endswith("Q1"):
        _quota_rows(w, h, int(quarter[:4]))
    return w


def _foreign_worker_parts(w: ExtractWriter, fw, as_of: str, total_id: str) -> None:
    """The foreign workers by permit category, the leading sectors and the leading countries."""
    dk, total = as_of.replace("-", ""), fw["total"][""]
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
    for sector, n in _top(fw["sector"], 5):
        s = share_text(n, total, 0)
        slug = sector.split()[0].strip(",").lower()
        w.add(
            f"fw_{dk}_sector_{slug}",
            "foreign_workers",
            as_of,
            f"{sector} | {n:,} | {s}%",
            sector=sector,
            value=str(n),
            share=s,
            part_of=total_id,
            parts_complete="no",
        )
    for iso3, n in _top(fw["country"], 4):
        s = share_text(n, total)
        w.add(
            f"fw_{dk}_{iso3.lower()}",
            "foreign_workers",
            as_of,
            f"{w.name(iso3)} {n:,} ({s}%)",
            country=w.name(iso3),
            value=str(n),
            share=s,
            part_of=total_id,
            parts_complete="no",
        )


def _quota_rows(w: ExtractWriter, h: History, year: int) -> None:
    """The work permit quota of a year, in permits and as a share of the labour force."""
    quota, labour_force = h.quota(year)
    w.add(
        f"quota_{year}_permits",
        "work_permit_quota",
        str(year),
        f"quota for {year}: {quota:,} permits",
        value=str(quota),
    )
    share = share_text(quota, labour_force, 2)
    w.add(
        f"quota_{year}_share_lf",
        "work_permit_quota_share_of_labour_force",
        str(year),
        f"quota for {year}: {share}% of the labour force",
        value=share,
    )


def emigration_rows(h: History, quarter: str) -> ExtractWriter:
    """The emigration extract of a quarter: emigrants with the change against a year before, the leading
    destinations ranked, those aged 15+ by education, and in each Q1 the previous year's total."""
    w = ExtractWriter("emigration", quarter, h.seed)
    qk, year_ago = _slug(quarter), same_quarter_last_year(quarter)
    now, base = h.emigrants(quarter), h.emigrants(year_ago)
    total, base_total = now["total"][""], base["total"][""]
    total_id = f"emi_{qk}_total"
    w.add(
        total_id,
        "emigrants",
        quarter,
        f"{total:,} emigrants",
        value=str(total),
        change=change_text(total, base_total),
        change_unit="percent",
        change_base_period=year_ago,
    )
    _emigration_destinations(w, quarter, now, base, total_id)
    adults = now["adults"][""]
    adults_id = f"emi_{qk}_adults"
    w.add(
        adults_id,
        "emigrants",
        quarter,
        f"{adults:,} aged 15+",
        age_group="15+",
        value=str(adults),
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
    if quarter.endswith("Q1"):
        year = int(quarter[:4]) - 1
        annual = sum(h.emigrants(f"{year}-Q{q}")["total"][""] for q in range(1, 5))
        before = sum(h.emigrants(f"{year - 1}-Q{q}")["total"][""] for q in range(1, 5))
        w.add(
            f"emi_{year}_total",
            "emigrants",
            str(year),
            f"{annual:,} emigrants in {year}",
            value=str(annual),
            change=change_text(annual, before),
            change_unit="percent",
            change_base_period=str(year - 1),
        )
    return w


def _emigration_destinations(w: ExtractWriter, quarter: str, now, base, total_id: str) -> None:
    """The eight leading destinations, ranked, each with its change against a year before where it had
    emigrants then."""
    qk, year_ago = _slug(quarter), same_quarter_last_year(quarter)
    for rank, (iso3, n) in enumerate(_top(now["country"], 8), start=1):
        b = base["country"].get(iso3, 0)
        change = (
            {"change": change_text(n, b), "change_unit": "percent", "change_base_period": year_ago}
            if b
            else {}
        )
        w.add(
            f"emi_{qk}_{iso3.lower()}",
            "emigrants",
            quarter,
            f"{w.name(iso3)}: {n:,}",
            country=w.name(iso3),
            value=str(n),
            part_of=total_id,
            parts_complete="no",
            rank=str(rank),
            **change,
        )


def remittances_rows(h: History, quarter: str) -> ExtractWriter:
    """The remittances extract of a quarter: outflows and inflows with their change against the previous
    quarter, the outflow to CIS countries, the leading countries, and in each Q1 the previous year's."""
    w = ExtractWriter("remittances", quarter, h.seed)
    qk, prev = _slug(quarter), previous_quarter(quarter)
    for direction in ("out", "in"):
        flows = h.remittances(quarter, direction)
        total, base = sum(flows.values()), sum(h.remittances(prev, direction).values())
        total_id = f"rem_{direction}_{qk}_total"
        w.add(
            total_id,
            "personal_remittances",
            quarter,
            f"{millions_text(total)} USD",
            direction=direction,
            value=millions_text(total),
            change=change_text(total, base),
            change_unit="percent",
            change_base_period=prev,
        )
        if direction == "out":
            cis = sum(v for k, v in flows.items() if h.is_cis(k, quarter))
            w.add(
                f"rem_out_{qk}_cis",
                "personal_remittances",
                quarter,
                f"{millions_text(cis)} USD to CIS countries",
                direction=direction,
                country_group="CIS",
                value=millions_text(cis),
                part_of=total_id,
                parts_complete="no",
            )
        for iso3, usd in _top(flows, 6):
            s = share_text(usd, total, 0)
            w.add(
                f"rem_{direction}_{qk}_{iso3.lower()}",
                "personal_remittances",
                quarter,
                f"{w.name(iso3)} | {millions_text(usd)} | {s}%",
                direction=direction,
                country=w.name(iso3),
                value=millions_text(usd),
                share=s,
                part_of=total_id,
                parts_complete="no",
            )
        if quarter.endswith("Q1"):
            _annual_remittances(w, h, int(quarter[:4]) - 1, direction)
    return w


def _annual_remittances(w: ExtractWriter, h: History, year: int, direction: str) -> None:
    """A year's remittances in one direction (the sum of its quarters), with the change against the year
    before."""
    annual = sum(sum(h.remittances(f"{year}-Q{q}", direction).values()) for q in range(1, 5))
    before = sum(sum(h.remittances(f"{year - 1}-Q{q}", direction).values()) for q in range(1, 5))
    w.add(
        f"rem_{direction}_{year}_total",
        "personal_remittances",
        str(year),
        f"{millions_text(annual)} USD in {year}",
        direction=direction,
        value=millions_text(annual),
        change=change_text(annual, before),
        change_unit="percent",
        change_base_period=str(year - 1),
    )


BUILDERS = {
    "border_crossings": border_crossings_rows,
    "residence_permits": residence_permits_rows,
    "labour_migration": labour_migration_rows,
    "emigration": emigration_rows,
    "remittances": remittances_rows,
}
assert set(BUILDERS) == set(SOURCES)
