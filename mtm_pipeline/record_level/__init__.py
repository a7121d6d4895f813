"""Record-level border crossings: validate and aggregate one crossing per row, inside DuckDB.

The optional extract raw/<quarter>/border_crossing_records.parquet (or .csv) of the National Border Service
holds one row per crossing:

| Column | Type | Rule (severity)
|---|---|---
| crossing_date | DATE (CSV: YYYY-MM-DD) | present, a date, inside the delivery quarter (ERROR)
| direction | text | 'in' (arrival) or 'out' (departure) (ERROR)
| citizenship | text | not empty (ERROR); a country name the reference data knows, as in the extracts (ERROR)
| purpose | text | one of PURPOSES (ERROR)
| checkpoint | text | not empty (WARN)

Other columns are reported (WARN) and ignored. The rows never leave DuckDB: one GROUP BY scan builds the
small table of cells (direction x citizenship x purpose with counts) from which the direction, citizenship
and purpose rules are evaluated exactly and the aggregates built; the same pass (CSV) or one ungrouped query
(Parquet, which DuckDB answers from the row-group statistics) gives the first and last date, the number of
missing dates and the smallest checkpoint, which show whether any date or checkpoint can break its rule.
Only when a rule fails does a second scan count the failing rows of the rules that need it and fetch a few
example row numbers (Parquet: the record's position, first record = 1; CSV: the line number, header =
line 1, assuming no quoted field spans lines).

The aggregates are observations in the extract contract's long format (measure border_crossings, values as
counts): per direction the total, the labour-purpose subset, the CIS and non-CIS groups (CIS membership by
date at the quarter's end), and one row per citizenship as delivered with its share of its group. They are
validated with the border_crossings pandera schema. The border_crossing_records asset feeds them to the
warehouse as the quarter's border_crossings delivery when no published extract was delivered, and otherwise
reconciles them with the published extract (`reconcile`).


The package, by concern: `contract` (the file, its columns and the problems reported), `scan` (the rules,
evaluated in one GROUP BY pass and, for failing rules only, a second), `aggregate` (the observations in the
extract contract's long format) and `reconcile` (the records against the published extract).
"""

from mtm_pipeline.record_level.aggregate import aggregate_records
from mtm_pipeline.record_level.contract import (
    AGENCY,
    DIRECTIONS,
    MEASURE,
    PURPOSES,
    RECORD_COLUMNS,
    RECORD_EXTENSIONS,
    RECORDS_STEM,
    SOURCE,
    Difference,
    RecordProblem,
    RecordsError,
    find_records,
    records_sha256,
)
from mtm_pipeline.record_level.reconcile import reconcile
from mtm_pipeline.record_level.scan import validate_records

__all__ = [
    "AGENCY",
    "DIRECTIONS",
    "MEASURE",
    "PURPOSES",
    "RECORDS_STEM",
    "RECORD_COLUMNS",
    "RECORD_EXTENSIONS",
    "SOURCE",
    "Difference",
    "RecordProblem",
    "RecordsError",
    "aggregate_records",
    "find_records",
    "reconcile",
    "records_sha256",
    "validate_records",
]
