"""Inputs that must never be misread nor exhaust the machine, and refusals that teach: each is refused
through the pipeline with the file, the sheet and the cell (or row), and the warehouse is unchanged.

Every case starts from a warehouse with 2024-Q3 loaded from the sample workbooks (one load per module,
copied per case), changes one delivered file, reads it as ingest does (the message), then re-materialises
the quarter's extracts and delivered stage and compares every table's checksum as
test_bad_workbooks.py does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline_tests.robustness import extreme_workbooks
from mtm_pipeline_tests.robustness.helpers import (
    DELIVERED_ASSETS,
    checksums,
    materialise,
    rows_of,
    sample_quarter_loaded,
    step_failures,
)

Q3 = "2024-Q3"
STAGING, CHECKS = "staging.extract_rows", "quality.check_results"


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    change: Callable[[Path], Path]  # changes raw/2024-Q3/<source>.xlsx; returns the delivered file
    message: tuple[str, ...]  # fragments the error must contain


def _cells(**values) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        workbook = openpyxl.load_workbook(path)
        for cell, value in values.items():
            workbook.active[cell] = value
        sample_workbooks.save_workbook(workbook, path)
        return path

    return change


def _in_place(edit: Callable[[Path], None]) -> Callable[[Path], Path]:
    return lambda path: edit(path) or path


def _semicolon_csv(path: Path) -> Path:
    """The sample table saved as CSV the way Excel does in Russian regional settings: ';' between cells."""
    rows = openpyxl.load_workbook(path).active.iter_rows(values_only=True)
    text = "\n".join(";".join("" if v is None else str(v) for v in row) for row in rows)
    path.unlink()
    delivered = path.with_suffix(".csv")
    delivered.write_text(text + "\n", encoding="utf-8")
    return delivered


CASES = [
    Case(
        "encrypted_workbook",
        "border_crossings",
        _in_place(extreme_workbooks.encrypted_workbook),
        ("the workbook is encrypted with a password", "remove the password"),
    ),
    Case(
        "semicolon_csv",
        "border_crossings",
        _semicolon_csv,
        ("row 1: the file separates its cells with ';' (semicolons), not commas", "comma delimited"),
    ),
    Case(
        "comma_thousands_or_decimal",
        "remittances",
        _cells(B7="71,3", C7="2,700"),
        (
            "sheet 'Переводы', cell C7: the figure '2,700' could be read with a decimal comma",
            "as the file writes figures elsewhere (e.g. Переводы!B7 '71,3')",
        ),
    ),
    Case(
        "header_languages_state_different_periods",
        "remittances",
        _cells(G5="январь-сентябрь 2024 / 2024 Q3"),
        ("sheet 'Переводы', cell G5: its languages state different periods (2024-01/09, 2024-Q3)",),
    ),
    Case(
        "title_languages_state_different_periods",
        "border_crossings",
        _cells(A2="за январь-сентябрь 2024 года\nза III квартал 2024 года"),
        (
            "sheet 'Лист1', cell A2: expected the reference period in the title",
            "found several: 2024-01/09, 2024-Q3",
        ),
    ),
    Case(
        "cell_at_xfd1048576",
        "border_crossings",
        _in_place(extreme_workbooks.far_cell),
        ("sheet 'Лист1', cell XFD1048576: a cell with content, far beyond any agency table",),
    ),
    Case(
        "million_empty_rows",
        "border_crossings",
        _in_place(extreme_workbooks.million_empty_rows),
        ("sheet 'Лист1', cell A20001: an empty formatted cell, far beyond any agency table",),
    ),
    Case(
        "huge_dimension_ref",
        "border_crossings",
        _in_place(extreme_workbooks.huge_dimension),
        ("sheet 'Лист1', cell XFD1048576: the sheet declares its extent as A1:XFD1048576",),
    ),
    Case(
        "no_layout_names_the_closest",
        "border_crossings",
        _cells(B4="Страна", C4="Прибытие, всего", E4="Убытие всего"),
        (
            "matches no layout of source 'border_crossings'",
            "Closest: layout 'border_crossings_by_citizenship', compared with sheet 'Лист1', header row 4",
            "sheet 'Лист1', cell B4: expected the column header 'Страна гражданства'",
            "found 'Страна'",
            "expected the column header 'Въезд, всего'",
            "found no such column (looked in A4:E4; the likest cell, C4, says 'Прибытие, всего')",
            "sheet 'Лист1', cell E4: expected the column header 'Выезд, всего'",
        ),
    ),
    Case(
        "title_period_named_by_its_cell",
        "border_crossings",
        _cells(A2="за II квартал 2024 года"),
        ("row 2: sheet 'Лист1', cell A2: the title states the period 2024-Q2",),
    ),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder with the 2024-Q3 sample workbooks and a warehouse with that quarter loaded."""
    return sample_quarter_loaded(tmp_path_factory.mktemp("refused"), Q3)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_with_its_cell_and_warehouse_unchanged(case: Case, template, tmp_path, monkeypatch):
    source_data, source_warehouse = template
    data = tmp_path / "data"
    shutil.copytree(source_data, data)
    path = tmp_path / "mtm.duckdb"
    shutil.copyfile(source_warehouse, path)
    before, before_checks = checksums(path), rows_of(path, CHECKS)
    before_staging = rows_of(path, STAGING, exclude=("loaded_at",))
    delivered = case.change(data / "raw" / Q3 / f"{case.source}.xlsx")
    monkeypatch.setenv("MTM_DATA_DIR", str(data))

    with pytest.raises(ExtractError) as caught:
        read_validated_extract(DataPaths(data), Q3, SOURCES[case.source])
    text = str(caught.value)
    for fragment in case.message:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert f"raw/{Q3}/{delivered.name}" in text and "nothing from this file was loaded" in text

    result = materialise(WarehouseResource(path=str(path)), Q3, assets=DELIVERED_ASSETS)
    assert not result.success
    assert case.message[0] in step_failures(result)
    after = checksums(path)
    for table, checksum in before.items():
        if table not in (STAGING, CHECKS):
            assert after[table] == checksum, f"{table} changed although the file was refused"
    added = rows_of(path, CHECKS) - before_checks
    assert added and not before_checks - rows_of(path, CHECKS)
    for row in (json.loads(r) for r in added.elements()):
        assert row["passed"] is False and row["rule"] == "extract_contract" and row["source"] == case.source
    assert rows_of(path, STAGING, exclude=("loaded_at",)) == before_staging
