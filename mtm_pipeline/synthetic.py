"""Deterministic synthetic delivery history: every source of the extract contract, for any range of quarters.

    python -m mtm_pipeline.synthetic --out DIR --first 2015-Q1 --last 2024-Q4 --seed 42 \
        [--record-level-rows N [--record-level-quarters 2024-Q4,...] [--record-level-format parquet|csv]]

writes DIR/raw/<quarter>/<source>.csv for the five sources (same columns, valid against the pandera schemas)
and, with --record-level-rows, DIR/raw/<quarter>/border_crossing_records.parquet (one row per crossing) for
the chosen quarters (default: the last one). Point MTM_DATA_DIR at DIR to run the pipeline on it.

What the figures look like (magnitudes and seasonality taken from the published 2024 quarters):
- border crossings: arrivals about 3-4 million a quarter with a Q2/Q3 peak, departures 95-97 % of arrivals,
  CIS about 60 %, labour purpose about 1.5 %; country shares within the CIS / non-CIS group.
- residence permits: TRP holders about 100 thousand (95 % labour), TRP issued about 80 thousand a quarter,
  PRP issued about 8 thousand a quarter by country (CIS complete, non-CIS with an 'Other countries' rest).
- labour migration: foreign workers about 13-14 thousand as of the first day after the quarter, by permit
  category (complete), top sectors and countries; employers; the year's quota in each Q1 delivery.
- emigration: emigrants a quarter by destination (top 8 with ranks) and by education (aged 15+).
- remittances: personal remittances out about 150 million USD a quarter, in about 60 million, by country.
Each Q1 delivery also carries the previous year's totals (the exact sum of its quarters) where a source
publishes annual figures.

Internally consistent: every published figure is rounded from one set of integer "true" counts per
quarter, so shares sum to 100 within rounding, parts never exceed totals, complete breakdowns add up, stated
changes match the figures they compare, years equal the sum of their quarters, and CIS / non-CIS follows
the dated membership in mtm_pipeline/reference (Ukraine is CIS until 2018-Q1).

Deterministic: every random draw comes from random.Random seeded with text (seed, quarter, series), so the
same seed gives byte-identical files, and a quarter's figures do not depend on --first / --last. A quarter
that gets a record-level extract has its crossing totals scaled so that arrivals + departures = N rows; its
published border_crossings extract (and the next quarter's stated change) are computed from the scaled
counts, so the records reconcile exactly with the published extract.

Never writes into the repository's data/ directory. Countries are spelled as the real extracts spell them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from mtm_pipeline.periods import parse_quarter_key, previous_quarter, quarter_range, same_quarter_last_year
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import COLUMNS

REPO_DATA = Path(__file__).resolve().parents[1] / "data"
RECORDS_STEM = "border_crossing_records"
PURPOSES = ("labour", "tourism", "private", "business", "transit", "other")
OTHER = "OTHER"  # the unnamed rest of a distribution (published, where at all, as 'Other countries')

# Country names as the real extracts spell them (border crossings); per-source spellings below.
NAMES: dict[str, str] = {
    "RUS": "Russian Federation", "UZB": "Uzbekistan", "KGZ": "Kyrgyzstan", "TJK": "Tajikistan",
    "BLR": "Belarus", "AZE": "Azerbaijan", "ARM": "Armenia", "CHN": "China", "TUR": "Türkiye",
    "IND": "India", "USA": "USA", "GBR": "United Kingdom", "UKR": "Ukraine", "DEU": "Germany",
    "KOR": "Republic of Korea", "GEO": "Georgia", "MNG": "Mongolia", "TKM": "Turkmenistan",
    "IRN": "Islamic Republic of Iran", "ARE": "UAE", "POL": "Poland", "ISR": "Israel", "CAN": "Canada",
    OTHER: "Other countries",
}  # fmt: skip
SPELLINGS: dict[str, dict[str, str]] = {
    "emigration": {"USA": "United States of America"},
    "labour_migration": {"TUR": "Republic of Türkiye"},
}

# Share of all arrivals by citizenship (before quarterly noise); CIS is about 60 %.
ARRIVAL_WEIGHTS: dict[str, float] = {
    "RUS": 0.372, "UZB": 0.160, "KGZ": 0.022, "TJK": 0.013, "BLR": 0.014, "AZE": 0.010, "ARM": 0.009,
    "CHN": 0.105, "TUR": 0.036, "IND": 0.031, "USA": 0.028, "GBR": 0.019, "UKR": 0.019, "DEU": 0.018,
    "KOR": 0.017, "GEO": 0.016, "MNG": 0.015, "TKM": 0.014, "IRN": 0.009, "ARE": 0.009, "POL": 0.008,
    "ISR": 0.006, "CAN": 0.006,
}  # fmt: skip
# Per-citizenship trend of the weight (per year, relative to 2024).
WEIGHT_TRENDS: dict[str, float] = {"CHN": 0.03, "IND": 0.04, "RUS": -0.01, "UKR": -0.04}
# Fraction of arrivals with a labour purpose, by citizenship (departures: 80 % of it).
LABOUR_RATES: dict[str, float] = {
    "UZB": 0.045, "TJK": 0.06, "KGZ": 0.03, "CHN": 0.03, "TUR": 0.03, "IND": 0.04, "RUS": 0.002,
}  # fmt: skip
DEFAULT_LABOUR_RATE = 0.005
OTHER_PURPOSES: dict[str, float] = {
    "tourism": 0.28,
    "private": 0.45,
    "business": 0.14,
    "transit": 0.09,
    "other": 0.04,
}
AIRPORTS = ("Almaty International Airport", "Astana International Airport", "Shymkent International Airport")
CHECKPOINTS: dict[str, tuple[str, ...]] = {
    "RUS": ("Syrym (road)", "Zhaisan (road)", "Kairak (road)", "Petropavlovsk (rail)", *AIRPORTS),
    "UZB": ("Zhibek Zholy (road)", "Kazygurt (road)", "Saryagash (rail)", AIRPORTS[0]),
    "KGZ": ("Korday (road)", "Ak-Zhol (road)", AIRPORTS[0]),
    "TJK": ("Zhibek Zholy (road)", *AIRPORTS),
    "CHN": ("Khorgos (road)", "Dostyk (rail)", "Bakhty (road)", "Nurzhol (road)", *AIRPORTS[:2]),
    "TKM": ("Temir Baba (road)", "Aktau Seaport"),
    "AZE": ("Aktau Seaport", *AIRPORTS[:2]),
    "IRN": ("Aktau Seaport", AIRPORTS[0]),
}
SEASON = {
    "crossings": (0.88, 1.10, 1.08, 0.94),
    "trp_holders": (0.99, 1.00, 1.01, 1.00),
    "trp_issued": (0.90, 1.05, 1.10, 0.95),
    "prp_issued": (1.00, 1.05, 1.00, 0.95),
    "foreign_workers": (0.96, 1.04, 1.03, 0.97),
    "emigrants": (0.90, 1.00, 1.15, 0.95),
    "remittances": (0.93, 1.02, 1.05, 1.00),
}
PRP_WEIGHTS: dict[str, float] = {
    "UZB": 0.327, "RUS": 0.311, "KGZ": 0.045, "TJK": 0.039, "AZE": 0.017, "BLR": 0.005, "ARM": 0.003,
    "CHN": 0.093, "MNG": 0.074, "TUR": 0.019, "GEO": 0.014, "UKR": 0.013, "TKM": 0.011, "DEU": 0.0085,
    "IRN": 0.003, OTHER: 0.0425,
}  # fmt: skip
TRP_ISSUED_WEIGHTS = {"UZB": 0.675, "RUS": 0.218, "KGZ": 0.0385, "TJK": 0.0288, OTHER: 0.0397}
CATEGORY_WEIGHTS = {
    "first": 0.044, "second": 0.207, "third": 0.456, "fourth": 0.046, "seasonal": 0.044,
    "intra-corporate transfer": 0.203,
}  # fmt: skip
SECTOR_WEIGHTS = {
    "Construction": 0.335, "Manufacturing": 0.10, "Mining and quarrying": 0.10,
    "Administrative and support services": 0.11, "Agriculture, forestry and fisheries": 0.06,
    "Professional, scientific and technical endeavors": 0.065, OTHER: 0.23,
}  # fmt: skip
WORKER_COUNTRY_WEIGHTS = {"CHN": 0.31, "UZB": 0.10, "TUR": 0.085, "IND": 0.085, OTHER: 0.42}
EMIGRATION_WEIGHTS = {
    "RUS": 0.72, "DEU": 0.135, "USA": 0.03, "POL": 0.02, "KGZ": 0.013, "BLR": 0.013, "CAN": 0.007,
    "ISR": 0.003, "UZB": 0.006, OTHER: 0.053,
}  # fmt: skip
EDUCATION_WEIGHTS = {
    "Higher": 0.33,
    "Secondary vocational": 0.335,
    "General secondary": 0.228,
    "Basic secondary": 0.107,
}
REMITTANCE_WEIGHTS = {
    "out": {"RUS": 0.30, "TUR": 0.23, "UZB": 0.15, "GEO": 0.08, "KGZ": 0.04, "CHN": 0.03, "TJK": 0.02,
            "ARM": 0.015, "AZE": 0.01, "BLR": 0.005, OTHER: 0.12},
    "in": {"USA": 0.27, "RUS": 0.21, "DEU": 0.12, "KOR": 0.11, "TUR": 0.06, "ARE": 0.05, "KGZ": 0.05,
           "UZB": 0.04, OTHER: 0.09},
}  # fmt: skip


# --- deterministic draws and integer allocation ------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator that depends only on the seed and the named series (str seeding hashes with SHA-512)."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def _level(seed: int, series: str, quarter: str, mean_2024: float, growth: float, noise: float) -> float:
    """A quarterly level: trend (growth per year around 2024), seasonality, and log-normal noise."""
    year, q = int(quarter[:4]), int(quarter[-1])
    years = (year - 2024) + (q - 2.5) / 4
    season = SEASON[series.split(":")[0]][q - 1]
    return (
        mean_2024 * (1 + growth) ** years * season * math.exp(_rng(seed, series, quarter).gauss(0.0, noise))
    )


def _allocate(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Integers that sum to `total` in proportion to `weights` (largest remainder, ties by key order)."""
    keys = list(weights)
    weight_sum = sum(weights.values())
    if total <= 0 or weight_sum <= 0:
        return {k: 0 for k in keys}
    exact = [total * weights[k] / weight_sum for k in keys]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(keys)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return dict(zip(keys, counts, strict=True))


def _noisy(weights: Mapping[str, float], rng: random.Random, sigma: float) -> dict[str, float]:
    return {k: w * math.exp(rng.gauss(0.0, sigma)) for k, w in weights.items()}


def _quarter_end(quarter: str) -> date:
    return parse_quarter_key(quarter).end


# --- formatting as published -----------------------------------------------------------------------------


def _q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _fmt(value: Decimal, places: int) -> str:
    text = f"{_q(value, places):f}"
    return "0" + text[2:] if text.startswith("-0") and Decimal(text) == 0 else text


def share_text(part: int, whole: int, places: int = 1) -> str:
    """A share in per cent, rounded to `places` decimals (as published: no % sign)."""
    return _fmt(Decimal(100 * part) / Decimal(whole), places) if whole else _fmt(Decimal(0), places)


def change_text(value: int, base: int, places: int = 1) -> str:
    """A stated per cent change of `value` against `base`."""
    return _fmt((Decimal(value) / Decimal(base) - 1) * 100, places)


def direction_text(value: int, base: int) -> str:
    return "1" if value > base else "-1" if value < base else "0"


def millions_text(usd: int, places: int = 1) -> str:
    return f"{_fmt(Decimal(usd) / Decimal(1_000_000), places)} million"


def _slug(quarter_or_period: str) -> str:
    return quarter_or_period.lower().replace("-", "")


# --- the "true" counts of one quarter --------------------------------------------------------------------


@dataclass(frozen=True)
class Crossings:
    """Border crossings of one quarter: counts per (direction, citizenship ISO3, purpose)."""

    quarter: str
    counts: dict[tuple[str, str, str], int]

    def total(self, direction: str) -> int:
        return sum(n for (d, _, _), n in self.counts.items() if d == direction)

    def by_country(self, direction: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for (d, iso3, _), n in self.counts.items():
            if d == direction:
                out[iso3] = out.get(iso3, 0) + n
        return out

    def labour(self, direction: str) -> int:
        return sum(n for (d, _, p), n in self.counts.items() if d == direction and p == "labour")


class History:
    """The true figures of every quarter for one seed (computed on demand, cached)."""

    def __init__(self, seed: int, record_rows: Mapping[str, int] | None = None) -> None:
        from mtm_pipeline.countries import country_mapper

        self.seed = seed
        self.record_rows = dict(record_rows or {})
        self._mapper = country_mapper()
        self._cache: dict[tuple, object] = {}

    def is_cis(self, iso3: str, quarter_or_day: str | date) -> bool:
        day = quarter_or_day if isinstance(quarter_or_day, date) else _quarter_end(quarter_or_day)
        return iso3 != OTHER and self._mapper.is_cis(iso3, day)

    def _cached(self, key: tuple, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # border crossings ------------------------------------------------------------------------------------
    def crossings(self, quarter: str) -> Crossings:
        return self._cached(("crossings", quarter), lambda: self._crossings(quarter))

    def _crossings(self, quarter: str) -> Crossings:
        seed = self.seed
        arrivals = round(_level(seed, "crossings:in", quarter, 3.45e6, 0.015, 0.03))
        ratio = 0.955 + 0.02 * _rng(seed, "crossings:out-ratio", quarter).random()
        departures = round(arrivals * ratio)
        if quarter in self.record_rows:  # scaled so that the records have exactly N rows
            rows = self.record_rows[quarter]
            arrivals = round(rows * arrivals / (arrivals + departures))
            departures = rows - arrivals
        year = int(quarter[:4]) + (int(quarter[-1]) - 2.5) / 4 - 2024
        counts: dict[tuple[str, str, str], int] = {}
        for direction, total in (("in", arrivals), ("out", departures)):
            rng = _rng(seed, "crossings:countries", direction, quarter)
            weights = {
                iso3: w * (1 + WEIGHT_TRENDS.get(iso3, 0.0)) ** year * math.exp(rng.gauss(0.0, 0.04))
                for iso3, w in ARRIVAL_WEIGHTS.items()
            }
            for iso3, n in _allocate(total, weights).items():
                rate = LABOUR_RATES.get(iso3, DEFAULT_LABOUR_RATE) * (1.0 if direction == "in" else 0.8)
                rate *= math.exp(rng.gauss(0.0, 0.03))
                labour = round(n * rate)
                counts[(direction, iso3, "labour")] = labour
                for purpose, m in _allocate(n - labour, OTHER_PURPOSES).items():
                    counts[(direction, iso3, purpose)] = m
        return Crossings(quarter, counts)

    # residence permits ----------------------------------------------------------------------------------
    def trp_holders(self, quarter: str) -> tuple[int, int]:
        total = round(_level(self.seed, "trp_holders", quarter, 103_000, 0.01, 0.02))
        labour = round(total * (0.95 + 0.01 * _rng(self.seed, "trp_holders:labour", quarter).random()))
        return total, labour

    def trp_issued(self, quarter: str) -> dict[str, int]:
        total = round(_level(self.seed, "trp_issued", quarter, 78_000, 0.02, 0.04))
        weights = _noisy(TRP_ISSUED_WEIGHTS, _rng(self.seed, "trp_issued:countries", quarter), 0.05)
        return _allocate(total, weights)

    def prp_issued(self, quarter: str) -> dict[str, int]:
        total = round(_level(self.seed, "prp_issued", quarter, 8_000, 0.0, 0.06))
        weights = _noisy(PRP_WEIGHTS, _rng(self.seed, "prp_issued:countries", quarter), 0.08)
        return _allocate(total, weights)

    # labour migration -----------------------------------------------------------------------------------
    def foreign_workers(self, quarter: str) -> dict[str, dict[str, int]]:
        total = round(_level(self.seed, "foreign_workers", quarter, 13_400, 0.005, 0.02))
        rng = _rng(self.seed, "foreign_workers:breakdowns", quarter)
        season = SEASON["foreign_workers"][int(quarter[-1]) - 1]
        categories = dict(CATEGORY_WEIGHTS, seasonal=CATEGORY_WEIGHTS["seasonal"] * season**4)
        sectors = dict(SECTOR_WEIGHTS)
        sectors["Agriculture, forestry and fisheries"] *= season**6
        return {
            "total": {"": total},
            "category": _allocate(total, _noisy(categories, rng, 0.05)),
            "sector": _allocate(total, _noisy(sectors, rng, 0.05)),
            "country": _allocate(total, _noisy(WORKER_COUNTRY_WEIGHTS, rng, 0.05)),
            "employers": {"": round(total * 0.125 * math.exp(rng.gauss(0.0, 0.03)))},
        }

    def quota(self, year: int) -> tuple[int, int]:
        """The year's work permit quota and the labour force it is a share of."""
        rng = _rng(self.seed, "quota", year)
        labour_force = round(9_300_000 * 1.01 ** (year - 2024) * math.exp(rng.gauss(0.0, 0.01)))
        quota = 100 * round(220 * math.exp(rng.gauss(0.0, 0.05)))
        return quota, labour_force

    # emigration -------------------------------------------------------------------------------------------
    def emigrants(self, quarter: str) -> dict[str, dict[str, int]]:
        total = round(_level(self.seed, "emigrants", quarter, 4_200, -0.03, 0.05))
        rng = _rng(self.seed, "emigrants:breakdowns", quarter)
        adults = round(total * (0.76 + 0.04 * rng.random()))
        return {
            "total": {"": total},
            "country": _allocate(total, _noisy(EMIGRATION_WEIGHTS, rng, 0.06)),
            "adults": {"": adults},
            "education": _allocate(adults, _noisy(EDUCATION_WEIGHTS, rng, 0.03)),
        }

    # remittances ------------------------------------------------------------------------------------------
    def remittances(self, quarter: str, direction: str) -> dict[str, int]:
        mean, growth = (165e6, -0.02) if direction == "out" else (65e6, 0.0)
        total = round(_level(self.seed, f"remittances:{direction}", quarter, mean, growth, 0.05))
        weights = _noisy(
            REMITTANCE_WEIGHTS[direction], _rng(self.seed, "remittances:countries", direction, quarter), 0.08
        )
        return _allocate(total, weights)


# --- rows as an agency would deliver them -------------------------------------------------------------------


class ExtractWriter:
    """Rows of one source's extract for one delivery quarter, with provenance filled in."""

    def __init__(self, source: str, quarter: str, seed: int) -> None:
        self.spec = SOURCES[source]
        self.quarter = quarter
        self.seed = seed
        self.rows: list[dict[str, str]] = []
        end = _quarter_end(quarter) + timedelta(days=1)
        self.publication_date = f"{end.year}-{end.month:02d}"

    def name(self, iso3: str) -> str:
        return SPELLINGS.get(self.spec.key, {}).get(iso3, NAMES[iso3])

    def add(self, obs_id: str, measure: str, period: str, text: str, **cells: str) -> None:
        unknown = set(cells) - set(COLUMNS)
        if unknown:
            raise ValueError(f"not extract columns: {sorted(unknown)}")
        if "value" in cells and cells["value"] != "" and "unit" not in cells:
            cells["unit"] = self.spec.measure_units[measure]
        row = {column: "" for column in COLUMNS}
        row.update(cells)
        row.update(
            obs_id=obs_id,
            measure=measure,
            period=period,
            agency=self.spec.agency,
            publication=f"Synthetic MTM history (mtm_pipeline.synthetic, seed {self.seed}), {self.quarter}",
            publication_date=self.publication_date,
            location=f"synthetic {self.spec.key} extract",
            published_text=text,
            note="Synthetic figure generated for tests and benchmarks; not published by the agency.",
        )
        self.rows.append(row)

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in self.rows)
        return buffer.getvalue().encode("utf-8")


def _top(counts: Mapping[str, int], n: int, exclude: tuple[str, ...] = (OTHER,)) -> list[tuple[str, int]]:
    ranked = sorted(((k, v) for k, v in counts.items() if k not in exclude), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]


def border_crossings_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("border_crossings", quarter, h.seed)
    now, prev, last_year = (
        h.crossings(quarter),
        h.crossings(previous_quarter(quarter)),
        h.crossings(same_quarter_last_year(quarter)),
    )
    qk, pk, yk = _slug(quarter), _slug(previous_quarter(quarter)), _slug(same_quarter_last_year(quarter))
    m = "border_crossings"
    for direction, p, noun in (("in", "arr", "arrivals"), ("out", "dep", "departures")):
        total, base, year_base = now.total(direction), prev.total(direction), last_year.total(direction)
        w.add(f"{p}_{qk}_total", m, quarter, f"{total:,} {noun}", direction=direction, value=str(total),
              change=change_text(total, base), change_unit="percent", change_base_period=previous_quarter(quarter))  # fmt: skip
        w.add(f"{p}_{qk}_total_vs_{yk}", m, quarter, f"{noun} vs the same quarter a year before", direction=direction,
              change=change_text(total, year_base), change_unit="percent",
              change_base_period=same_quarter_last_year(quarter))  # fmt: skip
        w.add(f"{p}_{pk}_total", m, previous_quarter(quarter), f"{base:,} {noun} (comparison base)",
              direction=direction, value=str(base))  # fmt: skip
        rounded = millions_text(year_base)
        w.add(f"{p}_{yk}_total", m, same_quarter_last_year(quarter), f"{rounded} {noun} (comparison base)",
              direction=direction, value=rounded)  # fmt: skip
        labour = now.labour(direction)
        w.add(f"{p}_{qk}_labour", m, quarter, f"{labour:,} {noun} for labour purposes", direction=direction,
              purpose="labour", value=str(labour), part_of=f"{p}_{qk}_total", parts_complete="no")  # fmt: skip
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
            w.add(group_id, m, quarter, f"{share} per cent of {noun} from {group} countries", direction=direction,
                  country_group=group, share=share, part_of=f"{p}_{qk}_total", parts_complete="yes")  # fmt: skip
            group_total = sum(members.values())
            for iso3, n in _top(members, listed):
                s = share_text(n, group_total)
                w.add(f"{group_id}_{iso3.lower()}", m, quarter, f"{s} per cent from {w.name(iso3)}",
                      direction=direction, country=w.name(iso3), country_group=group, share=s,
                      part_of=group_id, parts_complete="no")  # fmt: skip
    return w


def residence_permits_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("residence_permits", quarter, h.seed)
    qk = _slug(quarter)
    total, labour = h.trp_holders(quarter)
    base, _ = h.trp_holders(previous_quarter(quarter))
    w.add(f"trp_{qk}_total", "trp_holders", quarter, f"{total:,} TRP holders", value=str(total),
          change=direction_text(total, base), change_unit="direction", change_base_period=previous_quarter(quarter))  # fmt: skip
    w.add(f"trp_{qk}_labour", "trp_holders", quarter, f"{labour:,} TRP holders for labour", purpose="labour",
          value=str(labour), part_of=f"trp_{qk}_total", parts_complete="no")  # fmt: skip

    prp = h.prp_issued(quarter)
    prp_total = sum(prp.values())
    w.add(f"prp_{qk}_total", "prp_issued", quarter, f"{prp_total:,} PRPs issued", value=str(prp_total))
    cis = {k: v for k, v in prp.items() if h.is_cis(k, quarter)}
    non = {k: v for k, v in prp.items() if k not in cis}
    for group, slug, members in (("CIS", "cis", cis), ("non-CIS", "noncis", non)):
        group_id, group_total = f"prp_{qk}_{slug}", sum(members.values())
        w.add(group_id, "prp_issued", quarter, f"{group_total:,} PRPs to {group} citizens", country_group=group,
              value=str(group_total), part_of=f"prp_{qk}_total", parts_complete="yes")  # fmt: skip
        named = _top(members, len(members))
        if OTHER in members:
            named.append((OTHER, members[OTHER]))
        for iso3, n in named:
            s = share_text(n, group_total)
            w.add(f"{group_id}_{iso3.lower()}", "prp_issued", quarter, f"{s} per cent ({n:,}) from {w.name(iso3)}",
                  country=w.name(iso3), country_group=group, value=str(n), share=s, part_of=group_id,
                  parts_complete="yes")  # fmt: skip

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


def _issued_rows(w: ExtractWriter, period: str, issued: Mapping[str, int]) -> None:
    pk, total = _slug(period), sum(issued.values())
    w.add(f"trp_issued_{pk}_total", "trp_issued", period, f"{total:,} TRPs issued", value=str(total))
    for iso3, n in _top(issued, 4):
        w.add(f"trp_issued_{pk}_{iso3.lower()}", "trp_issued", period, f"{w.name(iso3)} {n:,}", country=w.name(iso3),
              value=str(n), part_of=f"trp_issued_{pk}_total", parts_complete="no")  # fmt: skip


def labour_migration_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("labour_migration", quarter, h.seed)
    as_of = (_quarter_end(quarter) + timedelta(days=1)).isoformat()
    base_as_of = parse_quarter_key(quarter).start.isoformat()
    dk = as_of.replace("-", "")
    fw, base = h.foreign_workers(quarter), h.foreign_workers(previous_quarter(quarter))
    total, base_total = fw["total"][""], base["total"][""]
    total_id = f"fw_{dk}_total"
    w.add(total_id, "foreign_workers", as_of, f"foreign workers with permits as of {as_of}: {total:,}",
          value=str(total), change=change_text(total, base_total), change_unit="percent",
          change_base_period=base_as_of)  # fmt: skip
    slugs = {"intra-corporate transfer": "ict"}
    for category, n in fw["category"].items():
        w.add(f"fw_{dk}_cat_{slugs.get(category, category)}", "foreign_workers", as_of, f"{category}: {n:,}",
              category=category, value=str(n), part_of=total_id, parts_complete="yes")  # fmt: skip
    for sector, n in _top(fw["sector"], 5):
        s = share_text(n, total, 0)
        slug = sector.split()[0].strip(",").lower()
        w.add(f"fw_{dk}_sector_{slug}", "foreign_workers", as_of, f"{sector} | {n:,} | {s}%", sector=sector,
              value=str(n), share=s, part_of=total_id, parts_complete="no")  # fmt: skip
    for iso3, n in _top(fw["country"], 4):
        s = share_text(n, total)
        w.add(f"fw_{dk}_{iso3.lower()}", "foreign_workers", as_of, f"{w.name(iso3)} {n:,} ({s}%)",
              country=w.name(iso3), value=str(n), share=s, part_of=total_id, parts_complete="no")  # fmt: skip
    employers = fw["employers"][""]
    w.add(f"emp_{dk}_total", "employers_recruiting", as_of, f"{employers:,} employers", value=str(employers))
    if quarter.endswith("Q1"):
        year = int(quarter[:4])
        quota, labour_force = h.quota(year)
        w.add(f"quota_{year}_permits", "work_permit_quota", str(year), f"quota for {year}: {quota:,} permits",
              value=str(quota))  # fmt: skip
        share = share_text(quota, labour_force, 2)
        w.add(f"quota_{year}_share_lf", "work_permit_quota_share_of_labour_force", str(year),
              f"quota for {year}: {share}% of the labour force", value=share)  # fmt: skip
    return w


def emigration_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("emigration", quarter, h.seed)
    qk, year_ago = _slug(quarter), same_quarter_last_year(quarter)
    now, base = h.emigrants(quarter), h.emigrants(year_ago)
    total, base_total = now["total"][""], base["total"][""]
    total_id = f"emi_{qk}_total"
    w.add(total_id, "emigrants", quarter, f"{total:,} emigrants", value=str(total),
          change=change_text(total, base_total), change_unit="percent", change_base_period=year_ago)  # fmt: skip
    for rank, (iso3, n) in enumerate(_top(now["country"], 8), start=1):
        b = base["country"].get(iso3, 0)
        change = (
            {"change": change_text(n, b), "change_unit": "percent", "change_base_period": year_ago}
            if b
            else {}
        )
        w.add(f"emi_{qk}_{iso3.lower()}", "emigrants", quarter, f"{w.name(iso3)}: {n:,}", country=w.name(iso3),
              value=str(n), part_of=total_id, parts_complete="no", rank=str(rank), **change)  # fmt: skip
    adults = now["adults"][""]
    adults_id = f"emi_{qk}_adults"
    w.add(adults_id, "emigrants", quarter, f"{adults:,} aged 15+", age_group="15+", value=str(adults),
          part_of=total_id, parts_complete="no")  # fmt: skip
    for education, n in now["education"].items():
        w.add(f"emi_{qk}_edu_{education.lower().replace(' ', '_')}", "emigrants", quarter, f"{n:,} {education}",
              education=education, age_group="15+", value=str(n), part_of=adults_id, parts_complete="yes")  # fmt: skip
    if quarter.endswith("Q1"):
        year = int(quarter[:4]) - 1
        annual = sum(h.emigrants(f"{year}-Q{q}")["total"][""] for q in range(1, 5))
        before = sum(h.emigrants(f"{year - 1}-Q{q}")["total"][""] for q in range(1, 5))
        w.add(f"emi_{year}_total", "emigrants", str(year), f"{annual:,} emigrants in {year}", value=str(annual),
              change=change_text(annual, before), change_unit="percent", change_base_period=str(year - 1))  # fmt: skip
    return w


def remittances_rows(h: History, quarter: str) -> ExtractWriter:
    w = ExtractWriter("remittances", quarter, h.seed)
    qk, prev = _slug(quarter), previous_quarter(quarter)
    for direction in ("out", "in"):
        flows = h.remittances(quarter, direction)
        total, base = sum(flows.values()), sum(h.remittances(prev, direction).values())
        total_id = f"rem_{direction}_{qk}_total"
        w.add(total_id, "personal_remittances", quarter, f"{millions_text(total)} USD", direction=direction,
              value=millions_text(total), change=change_text(total, base), change_unit="percent",
              change_base_period=prev)  # fmt: skip
        if direction == "out":
            cis = sum(v for k, v in flows.items() if h.is_cis(k, quarter))
            w.add(f"rem_out_{qk}_cis", "personal_remittances", quarter, f"{millions_text(cis)} USD to CIS countries",
                  direction=direction, country_group="CIS", value=millions_text(cis), part_of=total_id,
                  parts_complete="no")  # fmt: skip
        for iso3, usd in _top(flows, 6):
            s = share_text(usd, total, 0)
            w.add(f"rem_{direction}_{qk}_{iso3.lower()}", "personal_remittances", quarter,
                  f"{w.name(iso3)} | {millions_text(usd)} | {s}%", direction=direction, country=w.name(iso3),
                  value=millions_text(usd), share=s, part_of=total_id, parts_complete="no")  # fmt: skip
        if quarter.endswith("Q1"):
            year = int(quarter[:4]) - 1
            annual = sum(sum(h.remittances(f"{year}-Q{q}", direction).values()) for q in range(1, 5))
            before = sum(sum(h.remittances(f"{year - 1}-Q{q}", direction).values()) for q in range(1, 5))
            w.add(f"rem_{direction}_{year}_total", "personal_remittances", str(year),
                  f"{millions_text(annual)} USD in {year}", direction=direction, value=millions_text(annual),
                  change=change_text(annual, before), change_unit="percent", change_base_period=str(year - 1))  # fmt: skip
    return w


BUILDERS = {
    "border_crossings": border_crossings_rows,
    "residence_permits": residence_permits_rows,
    "labour_migration": labour_migration_rows,
    "emigration": emigration_rows,
    "remittances": remittances_rows,
}
assert set(BUILDERS) == set(SOURCES)


# --- record-level border crossings ----------------------------------------------------------------------------


def _record_cells(h: History, quarter: str) -> list[tuple[str, str, str, str, int]]:
    """(direction, citizenship, purpose, checkpoint, count) with the quarter's exact crossing counts."""
    cells = []
    for (direction, iso3, purpose), n in sorted(h.crossings(quarter).counts.items()):
        points = CHECKPOINTS.get(iso3, AIRPORTS)
        weights = {cp: 1.0 / (i + 1) for i, cp in enumerate(points)}
        for checkpoint, m in _allocate(n, weights).items():
            if m:
                cells.append((direction, NAMES[iso3], purpose, checkpoint, m))
    return cells


def write_records(
    h: History, quarter: str, path: Path, fmt: str = "parquet", *, memory_limit: str = "512MB"
) -> int:
    """Write the quarter's crossings, one row per crossing, through DuckDB COPY (streams; low memory).

    Each cell (direction, citizenship, purpose, checkpoint) is expanded to its exact count of rows; every row
    gets a 32-bit key from a bijective integer hash of its number (seeded), the rows are written in key
    order and the crossing date is the key's position within the quarter. So the file is in date order,
    the citizenships are mixed as in a real log, and every count is exact. Returns the number of rows.
    """
    import duckdb

    cells = _record_cells(h, quarter)
    total = sum(c[-1] for c in cells)
    if total >= 2**31:
        raise ValueError("at most 2**31 - 1 records a quarter")
    period = parse_quarter_key(quarter)
    days = (period.end - period.start).days + 1
    offset = _rng(h.seed, "records:offset", quarter).randrange(2**31)
    tmp = tempfile.mkdtemp(prefix="mtm-synthetic-")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        con.execute(
            "CREATE TEMP TABLE cells (direction VARCHAR, citizenship VARCHAR, purpose VARCHAR, checkpoint VARCHAR,"
            " first BIGINT, n BIGINT)"
        )
        first, rows = 0, []
        for direction, citizenship, purpose, checkpoint, n in cells:
            rows.append((direction, citizenship, purpose, checkpoint, first, n))
            first += n
        con.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?)", rows)
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        target = str(path).replace("'", "''")
        # x -> (x xor x >> 16) * 0x45d9f3b mod 2^32, twice, then x xor x >> 16: a bijection on 32-bit integers.
        con.execute(
            f"""
            COPY (
                WITH expanded AS (
                    SELECT direction, citizenship, purpose, checkpoint, unnest(range(first, first + n)) + {offset} AS x
                    FROM cells
                ), h1 AS (
                    SELECT * EXCLUDE (x), (xor(x, x >> 16) * 73244475) % 4294967296 AS x FROM expanded
                ), h2 AS (
                    SELECT * EXCLUDE (x), (xor(x, x >> 16) * 73244475) % 4294967296 AS x FROM h1
                ), keyed AS (
                    SELECT * EXCLUDE (x), xor(x, x >> 16) AS k FROM h2
                )
                SELECT CAST(DATE '{period.start.isoformat()}' + CAST((k * {days}) >> 32 AS INTEGER) AS DATE)
                           AS crossing_date,
                       direction, citizenship, purpose, checkpoint
                FROM keyed
                ORDER BY k
            ) TO '{target}' ({options})
            """
        )
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return total


# --- command line ---------------------------------------------------------------------------------------------


def refuse_repository_data(out: Path) -> None:
    """Never write next to the real extracts (the repository's data/ folder)."""
    target, real = out.resolve(), REPO_DATA.resolve()
    if target == real or real in target.parents:
        raise SystemExit(
            f"refusing to write synthetic data to {out}: it overlaps the real data folder {real}"
        )


def generate(
    out: Path,
    first: str,
    last: str,
    seed: int,
    *,
    record_rows: int | None = None,
    record_quarters: list[str] | None = None,
    record_format: str = "parquet",
) -> dict:
    """Write the synthetic history to out/raw/; returns the manifest (also written to out/synthetic.json)."""
    refuse_repository_data(out)
    quarters = quarter_range(first, last)
    if not quarters:
        raise SystemExit(f"--first {first} is after --last {last}")
    record_quarters = (record_quarters or [quarters[-1]]) if record_rows else []
    outside = [q for q in record_quarters if q not in quarters]
    if outside:
        raise SystemExit(f"record-level quarters outside {first}..{last}: {', '.join(outside)}")
    if record_rows is not None and record_rows < 2:
        raise SystemExit("--record-level-rows must be at least 2 (one arrival and one departure)")
    history = History(seed, {q: record_rows for q in record_quarters})
    files = 0
    for quarter in quarters:
        folder = out / "raw" / quarter
        folder.mkdir(parents=True, exist_ok=True)
        for source, build in BUILDERS.items():
            (folder / f"{source}.csv").write_bytes(build(history, quarter).csv_bytes())
            files += 1
        for stale in folder.glob(f"{RECORDS_STEM}.*"):
            stale.unlink()
        if quarter in record_quarters:
            write_records(history, quarter, folder / f"{RECORDS_STEM}.{record_format}", record_format)
            files += 1
    manifest = {
        "generator": "mtm_pipeline.synthetic",
        "seed": seed,
        "first": first,
        "last": last,
        "quarters": len(quarters),
        "record_level": {
            "rows_per_quarter": record_rows,
            "quarters": record_quarters,
            "format": record_format,
        }
        if record_rows
        else None,
        "files": files,
    }
    (out / "synthetic.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mtm_pipeline.synthetic", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder (raw/<quarter>/ is written inside)"
    )
    parser.add_argument("--first", default="2015-Q1", help="first quarter (default 2015-Q1)")
    parser.add_argument("--last", default="2024-Q4", help="last quarter (default 2024-Q4)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--record-level-rows", type=int, default=None, metavar="N",
                        help="also write border_crossing_records with N rows per chosen quarter")  # fmt: skip
    parser.add_argument("--record-level-quarters", default=None,
                        help="comma-separated quarters that get records (default: the last quarter)")  # fmt: skip
    parser.add_argument("--record-level-format", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args(argv)
    for key in (args.first, args.last):
        parse_quarter_key(key)
    chosen = (
        [q.strip() for q in args.record_level_quarters.split(",")] if args.record_level_quarters else None
    )
    manifest = generate(
        args.out, args.first, args.last, args.seed,
        record_rows=args.record_level_rows, record_quarters=chosen, record_format=args.record_level_format,
    )  # fmt: skip
    print(f"wrote {manifest['files']} files for {manifest['quarters']} quarters to {args.out / 'raw'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
