"""Great Expectations (GX 1.x) validation of one published quarter, with Data Docs on the local filesystem.

GX is used directly (dagster-ge only supports GX < 1.0): an ephemeral context, a pandas datasource fed
with DataFrames read from DuckDB (GX 1.x has no working DuckDB SQL datasource), and GX's own
SiteBuilder writing a filesystem Data Docs site. `import great_expectations` costs about 3 s, so it is
imported only inside `validate_quarters`: importing this module is cheap.

Data Docs render offline (no network is used), but the generated HTML links its CSS/JS (Bootstrap,
jQuery, bootstrap-table, Font Awesome, Vega) from public CDNs; on a machine without internet the pages
show their content unstyled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.request import url2pathname

from mtm_pipeline.periods import PERIOD_KINDS
from mtm_pipeline.settings import data_paths

if TYPE_CHECKING:
    import pandas as pd

SUITE_NAME = "mtm_observations"
CHECK_RESULTS_SUITE_NAME = "mtm_check_results"
SITE_NAME = "mtm_local_site"
RESULTS_SUBDIR = "_results"  # validation results (JSON) inside the docs dir, unless results_dir is given

REQUIRED_COLUMNS = (
    "delivery_quarter",
    "stage",
    "source",
    "obs_id",
    "measure",
    "period",
    "agency",
    "file_sha256",
    "row_number",
)
STAGES = ("delivered", "corrected")
UNITS = ("crossings", "persons", "permits", "employers", "USD", "percent")
KEY_COLUMNS = ("delivery_quarter", "stage", "source", "obs_id")
ISO3_PATTERN = r"^[A-Z]{3}$"
NUMERIC_COLUMNS = (
    "value",
    "value_precision",
    "share",
    "share_precision",
    "change",
    "change_precision",
    "rank",
    "row_number",
)
CHECK_RESULTS_REQUIRED = ("quarter", "stage", "source", "rule", "severity", "passed", "subject", "message")
SEVERITIES = ("ERROR", "WARN")


@dataclass(frozen=True)
class GxOutcome:
    success: bool
    evaluated: int  # expectations evaluated (both suites)
    failed: list[str]  # one description per failed expectation
    docs_index: Path  # the Data Docs index.html
    validation_pages: list[Path] = field(default_factory=list)  # this run's validation result pages


def default_docs_dir() -> Path:
    """Where the pipeline keeps its Data Docs site: <MTM_DATA_DIR>/gx/data_docs."""
    return data_paths().root / "gx" / "data_docs"


def _labelled(label: str, expectation):
    expectation.meta = {"label": label}
    return expectation


def _rows_and_required(what: str, required) -> list:
    """At least one row, and no nulls in the required columns."""
    import great_expectations.expectations as gxe

    return [
        _labelled(f"at least one {what}", gxe.ExpectTableRowCountToBeBetween(min_value=1)),
        *(_labelled(f"{c} is not null", gxe.ExpectColumnValuesToNotBeNull(column=c)) for c in required),
    ]


def _quarter_label(column: str, quarters: list[str]) -> str:
    if len(quarters) == 1:
        return f"{column} is {quarters[0]}"
    return f"{column} in {quarters[0]}..{quarters[-1]} ({len(quarters)} quarters)"


def _observation_expectations(quarters: list[str]) -> list:
    import great_expectations.expectations as gxe

    labelled = _labelled
    out = _rows_and_required("observation", REQUIRED_COLUMNS)
    out += [
        labelled(
            _quarter_label("delivery_quarter", quarters),
            gxe.ExpectColumnValuesToBeInSet(column="delivery_quarter", value_set=list(quarters)),
        ),
        labelled(
            f"stage in {{{', '.join(STAGES)}}}",
            gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=STAGES),
        ),
        labelled("value >= 0", gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
        labelled(
            "share between 0 and 100",
            gxe.ExpectColumnValuesToBeBetween(column="share", min_value=0, max_value=100),
        ),
        labelled(
            f"country_iso3 matches {ISO3_PATTERN} (nulls allowed)",
            gxe.ExpectColumnValuesToMatchRegex(column="country_iso3", regex=ISO3_PATTERN),
        ),
        labelled(
            f"period_kind in {{{', '.join(PERIOD_KINDS)}}}",
            gxe.ExpectColumnValuesToBeInSet(column="period_kind", value_set=PERIOD_KINDS),
        ),
        labelled(
            f"unit in {{{', '.join(UNITS)}}} (nulls allowed)",
            gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=UNITS),
        ),
        labelled(
            f"({', '.join(KEY_COLUMNS)}) is unique",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(KEY_COLUMNS)),
        ),
        labelled(
            "file_sha256 has 64 characters",
            gxe.ExpectColumnValueLengthsToEqual(column="file_sha256", value=64),
        ),
    ]
    return out


def _check_results_expectations(quarters: list[str]) -> list:
    import great_expectations.expectations as gxe

    labelled = _labelled
    out = _rows_and_required("check result", CHECK_RESULTS_REQUIRED)
    out += [
        labelled(
            _quarter_label("quarter", quarters),
            gxe.ExpectColumnValuesToBeInSet(column="quarter", value_set=list(quarters)),
        ),
        labelled(
            f"severity in {{{', '.join(SEVERITIES)}}}",
            gxe.ExpectColumnValuesToBeInSet(column="severity", value_set=SEVERITIES),
        ),
    ]
    return out


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with Decimal/object numeric columns as numbers (DuckDB DECIMAL may arrive as Decimal)."""
    import pandas as pd

    out = frame.copy()
    for column in NUMERIC_COLUMNS:
        if column in out.columns and out[column].dtype == object:
            try:
                out[column] = pd.to_numeric(out[column])
            except (TypeError, ValueError):
                pass  # leave it: the expectation then fails and says why
    return out


def _short(values: list, limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def _exception_message(info) -> str | None:
    """GX reports errors either flat ({raised_exception, exception_message}) or per failed metric."""
    if not isinstance(info, dict):
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            text = str(candidate.get("exception_message") or "error").strip()
            return text.splitlines()[-1] if text else "error"
    return None


def _describe_failure(suite_name: str, result) -> str:
    config = result.expectation_config
    label = (config.meta or {}).get("label") or config.type
    where = f"{suite_name}: {label} ({config.type})"
    if message := _exception_message(result.exception_info):
        return f"{where}: could not be evaluated: {message}"
    details = result.result or {}
    if "unexpected_count" in details:
        sample = details.get("partial_unexpected_list") or []
        return (
            f"{where}: {details.get('unexpected_count')} of {details.get('element_count')} rows unexpected, "
            f"e.g. {_short(sample)}"
        )
    if "observed_value" in details:
        return f"{where}: observed {details['observed_value']!r}"
    return where


def validate_quarter(
    observations: pd.DataFrame,
    check_results: pd.DataFrame | None,
    *,
    quarter: str,
    docs_dir: Path,
    results_dir: Path | None = None,
) -> GxOutcome:
    """Validate one quarter's published observations (suite "mtm_observations") and, when given, its
    quality.check_results rows (suite "mtm_check_results"); build Data Docs into `docs_dir`."""
    outcomes = validate_quarters(
        {quarter: (observations, check_results)}, docs_dir=docs_dir, results_dir=results_dir
    )
    return outcomes[quarter]


def _ephemeral_context(docs_dir: Path, results_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    stores = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    # Validation results persist as JSON: the site builder indexes (and keeps) only pages whose result
    # is in the store, so an in-memory store would delete earlier quarters' pages from the site.
    stores.stores[stores.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(results_dir),
    }
    config = DataContextConfig(
        store_backend_defaults=stores,
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _add_suite(context, name: str, expectations: list):
    import great_expectations as gx

    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for position, expectation in enumerate(expectations):
        expectation.meta = {**(expectation.meta or {}), "position": position}
        suite.add_expectation(expectation)
    return suite


def _quarters_hit(result, quarter_column: str, quarters: list[str]) -> set[str]:
    """The quarters a failed expectation's unexpected rows belong to; every quarter when GX cannot say
    (a table-level expectation, or an evaluation error)."""
    rows = (result.result or {}).get("unexpected_index_list")
    if not rows or not all(isinstance(row, dict) and quarter_column in row for row in rows):
        return set(quarters)
    return ({str(row[quarter_column]) for row in rows} & set(quarters)) or set(quarters)


def validate_quarters(
    frames: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]],
    *,
    docs_dir: Path,
    results_dir: Path | None = None,
) -> dict[str, GxOutcome]:
    """Validate the published observations (suite "mtm_observations") and, where given, the
    quality.check_results rows (suite "mtm_check_results") of one or more quarters: `frames` maps a
    quarter to both frames. Several quarters (a backfill) are validated together, as one GX run over
    their rows; a quarter fails where a failed expectation's unexpected rows belong to it, or where GX
    cannot attribute the failure to rows. Data Docs are built into `docs_dir`.

    Validation results are kept as JSON in `results_dir` (default `docs_dir / "_results"`), so the Data
    Docs site accumulates: earlier quarters' (and earlier runs') validation pages stay listed.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.core.run_identifier import RunIdentifier

    quarters = sorted(frames)
    docs_dir = Path(docs_dir).absolute()
    results_dir = Path(results_dir).absolute() if results_dir is not None else docs_dir / RESULTS_SUBDIR
    docs_dir.mkdir(parents=True, exist_ok=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    context = _ephemeral_context(docs_dir, results_dir)
    run_name = quarters[0] if len(quarters) == 1 else f"{quarters[0]}..{quarters[-1]}"
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    results = _run_suites(context, frames, quarters, run_id)
    index, pages = _build_docs(context, docs_dir, run_id)
    failed: dict[str, list[str]] = {quarter: [] for quarter in quarters}
    for suite_name, quarter_column, result in results:
        for r in sorted(result.results, key=lambda r: (r.expectation_config.meta or {}).get("position", 0)):
            if not r.success:
                for quarter in sorted(_quarters_hit(r, quarter_column, quarters)):
                    failed[quarter].append(_describe_failure(suite_name, r))  # in suite order
    evaluated = sum(len(result.results) for _, _, result in results)
    return {
        quarter: GxOutcome(
            success=not failed[quarter],
            evaluated=evaluated,
            failed=failed[quarter],
            docs_index=index,
            validation_pages=pages,
        )
        for quarter in quarters
    }


def _run_suites(context, frames: dict, quarters: list[str], run_id) -> list[tuple]:
    """Run both suites over the quarters' rows, as one validation each; (suite name, quarter column,
    result) for each suite that had rows to validate. Each result is stored (JSON) in the results store."""
    import great_expectations as gx
    import pandas as pd

    datasource = context.data_sources.add_pandas("mtm_warehouse")
    run_name = run_id.run_name
    # Both suites are always defined, so the site keeps both suite pages whichever frames are validated.
    validations = {
        "published_observations": (
            _add_suite(context, SUITE_NAME, _observation_expectations(quarters)),
            "delivery_quarter",
            [frames[q][0] for q in quarters],
        ),
        "quality_check_results": (
            _add_suite(context, CHECK_RESULTS_SUITE_NAME, _check_results_expectations(quarters)),
            "quarter",
            [frames[q][1] for q in quarters if frames[q][1] is not None],
        ),
    }
    results = []
    for asset_name, (suite, quarter_column, parts) in validations.items():
        if not parts:
            continue
        batch = datasource.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(run_name)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite.name}_{run_name}", data=batch, suite=suite)
        )
        frame = _prepare(pd.concat(parts, ignore_index=True))
        # Several quarters: GX lists the quarter of every unexpected row, to attribute failures.
        format_ = (
            {"result_format": "SUMMARY"}
            if len(quarters) == 1
            else {"result_format": "COMPLETE", "unexpected_index_column_names": [quarter_column]}
        )
        result = definition.run(batch_parameters={"dataframe": frame}, run_id=run_id, result_format=format_)
        results.append((suite.name, quarter_column, result))
    return results


def _build_docs(context, docs_dir: Path, run_id) -> tuple[Path, list[Path]]:
    """Render this run's validation pages and the suites into the Data Docs site (whose index lists
    every result kept in the store); the index and this run's pages."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    run_keys = [
        key
        for key in context.validation_results_store.list_keys()
        if key.run_id.run_name == run_id.run_name and key.run_id.run_time == run_id.run_time
    ]
    context.build_data_docs(
        site_names=[SITE_NAME],
        resource_identifiers=[
            *run_keys,
            *(ExpectationSuiteIdentifier(name=name) for name in (SUITE_NAME, CHECK_RESULTS_SUITE_NAME)),
        ],
    )
    pages = [
        Path(url2pathname(urlsplit(site["site_url"]).path))
        for key in run_keys
        for site in context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME)
    ]
    index = docs_dir / "index.html"
    if not index.is_file():
        raise RuntimeError(f"GX did not write the Data Docs index {index}")
    return index, sorted(pages)
