"""The extract contract shared by every source (documented in data/raw/README.md).

One long-format file per source and delivery quarter; every row is one published observation.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS: tuple[str, ...] = (
    "obs_id",
    "measure",
    "period",
    "direction",
    "country",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
    "value",
    "unit",
    "share",
    "part_of",
    "parts_complete",
    "change",
    "change_unit",
    "change_base_period",
    "rank",
    "agency",
    "publication",
    "publication_date",
    "location",
    "published_text",
    "note",
)

# The columns that, with measure and period, identify one observation.
DIMENSIONS: tuple[str, ...] = (
    "direction",
    "country",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
)
NATURAL_KEY: tuple[str, ...] = ("measure", "period", *DIMENSIONS)

CHANGE_UNITS = ("percent", "times", "absolute", "direction")
# A stated unnamed remainder of a breakdown: "Other countries" as a country (ISO3 code ZZZ once conformed),
# "Other" as a sector or education level. It closes a breakdown but is never ranked or named as a part.
REMAINDER_LABEL = "Other"
REMAINDER_DIMENSIONS = ("sector", "education")
CATEGORIES = ("first", "second", "third", "fourth", "seasonal", "intra-corporate transfer")
EXTENSIONS = (".csv", ".xlsx")


@dataclass(frozen=True)
class SourceSpec:
    """One agency extract: its file name, producer, and the measures (with units) it may deliver."""

    key: str
    agency: str
    description: str
    measure_units: dict[str, str]

    @property
    def file_stem(self) -> str:
        """The extract's file name without its extension (e.g. 'border_crossings' for
        raw/<quarter>/border_crossings.csv or .xlsx)."""
        return self.key

    @property
    def asset_name(self) -> str:
        """The name of the Dagster asset that reads this extract ('<key>_extract')."""
        return f"{self.key}_extract"
