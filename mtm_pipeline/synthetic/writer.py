"""Rows of an extract as an agency delivers them: figures formatted as published, provenance filled in."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.synthetic.history import NAMES, OTHER, SPELLINGS, _quarter_end

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
