"""The "true" figures of the synthetic history: one set of integer counts per quarter and series, drawn
deterministically from the seed (magnitudes, seasonality and weights after the published 2024 quarters)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from mtm_pipeline.periods import parse_quarter_key

PURPOSES = ("labour", "tourism", "private", "business", "transit", "other")
OTHER = "OTHER"  # the unnamed rest of a distribution (published, where at all, as 'Other countries')

# Country names as the real extracts spell them (border crossings); per-source spellings below.
NAMES: dict[str, str] = {
    "RUS": "Russian Federation",
    "UZB": "Uzbekistan",
    "KGZ": "Kyrgyzstan",
    "TJK": "Tajikistan",
    "BLR": "Belarus",
    "AZE": "Azerbaijan",
    "ARM": "Armenia",
    "CHN": "China",
    "TUR": "Türkiye",
    "IND": "India",
    "USA": "USA",
    "GBR": "United Kingdom",
    "UKR": "Ukraine",
    "DEU": "Germany",
    "KOR": "Republic of Korea",
    "GEO": "Georgia",
    "MNG": "Mongolia",
    "TKM": "Turkmenistan",
    "IRN": "Islamic Republic of Iran",
    "ARE": "UAE",
    "POL": "Poland",
    "ISR": "Israel",
    "CAN": "Canada",
    OTHER: "Other countries",
}
SPELLINGS: dict[str, dict[str, str]] = {
    "emigration": {"USA": "United States of America"},
    "labour_migration": {"TUR": "Republic of Türkiye"},
}

# Share of all arrivals by citizenship (before quarterly noise); CIS is about 60 %.
ARRIVAL_WEIGHTS: dict[str, float] = {
    "RUS": 0.372,
    "UZB": 0.160,
    "KGZ": 0.022,
    "TJK": 0.013,
    "BLR": 0.014,
    "AZE": 0.010,
    "ARM": 0.009,
    "CHN": 0.105,
    "TUR": 0.036,
    "IND": 0.031,
    "USA": 0.028,
    "GBR": 0.019,
    "UKR": 0.019,
    "DEU": 0.018,
    "KOR": 0.017,
    "GEO": 0.016,
    "MNG": 0.015,
    "TKM": 0.014,
    "IRN": 0.009,
    "ARE": 0.009,
    "POL": 0.008,
    "ISR": 0.006,
    "CAN": 0.006,
}
# Per-citizenship trend of the weight (per year, relative to 2024).
WEIGHT_TRENDS: dict[str, float] = {"CHN": 0.03, "IND": 0.04, "RUS": -0.01, "UKR": -0.04}
# Fraction of arrivals with a labour purpose, by citizenship (departures: 80 % of it).
LABOUR_RATES: dict[str, float] = {
    "UZB": 0.045,
    "TJK": 0.06,
    "KGZ": 0.03,
    "CHN": 0.03,
    "TUR": 0.03,
    "IND": 0.04,
    "RUS": 0.002,
}
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
    "UZB": 0.327,
    "RUS": 0.311,
    "KGZ": 0.045,
    "TJK": 0.039,
    "AZE": 0.017,
    "BLR": 0.005,
    "ARM": 0.003,
    "CHN": 0.093,
    "MNG": 0.074,
    "TUR": 0.019,
    "GEO": 0.014,
    "UKR": 0.013,
    "TKM": 0.011,
    "DEU": 0.0085,
    "IRN": 0.003,
    OTHER: 0.0425,
}
TRP_ISSUED_WEIGHTS = {"UZB": 0.675, "RUS": 0.218, "KGZ": 0.0385, "TJK": 0.0288, OTHER: 0.0397}
CATEGORY_WEIGHTS = {
    "first": 0.044,
    "second": 0.207,
    "third": 0.456,
    "fourth": 0.046,
    "seasonal": 0.044,
    "intra-corporate transfer": 0.203,
}
SECTOR_WEIGHTS = {
    "Construction": 0.335,
    "Manufacturing": 0.10,
    "Mining and quarrying": 0.10,
    "Administrative and support services": 0.11,
    "Agriculture, forestry and fisheries": 0.06,
    "Professional, scientific and technical endeavors": 0.065,
    OTHER: 0.23,
}
WORKER_COUNTRY_WEIGHTS = {"CHN": 0.31, "UZB": 0.10, "TUR": 0.085, "IND": 0.085, OTHER: 0.42}
EMIGRATION_WEIGHTS = {
    "RUS": 0.72,
    "DEU": 0.135,
    "USA": 0.03,
    "POL": 0.02,
    "KGZ": 0.013,
    "BLR": 0.013,
    "CAN": 0.007,
    "ISR": 0.003,
    "UZB": 0.006,
    OTHER: 0.053,
}
EDUCATION_WEIGHTS = {
    "Higher": 0.33,
    "Secondary vocational": 0.335,
    "General secondary": 0.228,
    "Basic secondary": 0.107,
}
REMITTANCE_WEIGHTS = {
    "out": {
        "RUS": 0.30,
        "TUR": 0.23,
        "UZB": 0.15,
        "GEO": 0.08,
        "KGZ": 0.04,
        "CHN": 0.03,
        "TJK": 0.02,
        "ARM": 0.015,
        "AZE": 0.01,
        "BLR": 0.005,
        OTHER: 0.12,
    },
    "in": {
        "USA": 0.27,
        "RUS": 0.21,
        "DEU": 0.12,
        "KOR": 0.11,
        "TUR": 0.06,
        "ARE": 0.05,
        "KGZ": 0.05,
        "UZB": 0.04,
        OTHER: 0.09,
    },
}


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
