"""Agency tables with the habits of statistical offices, through the whole pipeline in-process: a Border
Service table with group headers, a column-numbering row, CIS / non-CIS subtotal rows, share and change
columns; a National Bank table with cumulative periods (January-June, January-September) whose third
quarter is computed in the derived stage from both cells and stated in the report marked computed."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import duckdb
import openpyxl
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.report.format import COMPUTED_MARK
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.helpers import materialize_quarters

Q3 = "2024-Q3"
REMITTANCE_ROWS = [  # country, January-June, January-September (thousand USD)
    ("Всего", "1 200,5", "2 000,0"),
    ("Российская Федерация", "700,0", "1 150,5"),
    ("Узбекистан", "300,5", "500,0"),
    ("Прочие страны", "200,0", "349,5"),
]


def _border_workbook(path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Лист1"
    sheet.append(["Въезд иностранных граждан в Республику Казахстан по странам гражданства"])
    sheet.append(["за третий квартал 2024 года"])
    sheet.append(["Дата формирования: 15.10.2024"])
    sheet.append(["№", "Страна гражданства", "Въезд", None, None, None, "Выезд, всего"])  # row 4
    sheet.append(
        [
            None,
            None,
            "всего",
            "в т.ч. с целью трудовой деятельности",
            "Удельный вес, %",
            "в % к предыдущему кварталу",
        ]
    )
    for cells in ("A4:A5", "B4:B5", "C4:F4", "G4:G5"):
        sheet.merge_cells(cells)
    sheet.append(["А", "Б", 1, 2, 3, 4, 5])  # row 6
    sheet.append([None, "Всего", 10000, 2000, 100, "104,2", 9500])  # row 7
    sheet.append([None, "страны СНГ", 7000, 1500, "70,0", "101,0", 6800])  # row 8
    sheet.append([1, "Узбекистан", 4000, 1000, "40,0", "99,5", 3900])  # row 9
    sheet.append([2, "Кыргызская Республика", 3000, 500, "30,0", "103,4", 2900])  # row 10
    sheet.append([None, "дальнее зарубежье", 3000, 500, "30,0", "112,0", 2700])  # row 11
    sheet.append([3, "Китай*", 2000, 300, "20,0", "115,0", 1800])  # row 12
    sheet.append([4, "Германия¹", 1000, 200, "10,0", "106,4", 900])  # row 13
    sheet.append([])
    sheet.append(["* включая Гонконг; ¹ синтетические данные"])
    workbook.save(path)


def _remittance_workbook(path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Переводы"
    sheet.append(["Личные денежные переводы физических лиц по странам, тыс. долл. США"])
    for block, heading in enumerate(("Переводы из Казахстана", "Переводы в Казахстан")):
        sheet.append([])
        sheet.append([heading])
        sheet.append(["Страна", "январь-июнь 2024 г.", "январь-сентябрь 2024 г."])
        for country, half, nine in REMITTANCE_ROWS:
            sheet.append([country, half, nine] if block == 0 else [country, "1,0", "2,0"])
    workbook.save(path)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("structures") / "data"
    folder = root / "raw" / Q3
    sample_workbooks.write_samples(root / "raw", Q3)
    _border_workbook(folder / "border_crossings.xlsx")
    _remittance_workbook(folder / "remittances.xlsx")
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("MTM_DATA_DIR", str(root))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        results = materialize_quarters(warehouse, [Q3], instance)
        yield warehouse, results[Q3], root


def _rows(warehouse, sql, params=()):
    with duckdb.connect(warehouse.path, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_the_quarter_materialises(loaded):
    _, result, _ = loaded
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures


def test_group_totals_shares_and_changes_are_published_with_their_cells(loaded):
    warehouse, _, _ = loaded
    rows = {
        r[0]: tuple(float(x) if isinstance(x, Decimal) else x for x in r[1:])
        for r in _rows(
            warehouse,
            "SELECT obs_id, value, share, change, change_base_period, country_group, part_of, location "
            "FROM published.observations WHERE stage = 'corrected' AND source = 'border_crossings'",
        )
    }
    assert rows["bc_2024q3_in_cis"] == (7000, 70.0, 1.0, "2024-Q2", "CIS", "bc_2024q3_in_total", "Лист1!C8")
    assert rows["bc_2024q3_in_noncis"][0] == 3000 and rows["bc_2024q3_in_noncis"][4] == "non-CIS"
    assert rows["bc_2024q3_in_chn"][4:] == ("non-CIS", "bc_2024q3_in_noncis", "Лист1!C12")
    assert rows["bc_2024q3_in_total"][2] == pytest.approx(4.2)
    assert rows["bc_2024q3_in_labour_kgz"][0] == 500 and rows["bc_2024q3_in_labour_kgz"][-1] == "Лист1!D10"
    assert rows["bc_2024q3_out_deu"][0] == 900


def test_the_rules_compare_group_totals_with_their_members_and_the_total(loaded):
    warehouse, _, _ = loaded
    results = _rows(
        warehouse,
        "SELECT rule, passed, subject FROM quality.check_results WHERE quarter = ? "
        "AND stage = 'corrected' AND subject LIKE '%bc_2024q3_in%'",
        [Q3],
    )
    rules = {(rule, passed) for rule, passed, _ in results}
    assert ("group_totals_add_up", True) in rules
    assert any(rule == "parts_sum_to_total" and "bc_2024q3_in_cis" in subject for rule, _, subject in results)
    assert all(passed for rule, passed, _ in results if rule in ("group_totals_add_up", "parts_sum_to_total"))
    shares = [(passed, subject) for rule, passed, subject in results if rule == "share_matches_ratio"]
    assert any("bc_2024q3_in_cis" in subject for _, subject in shares) and all(p for p, _ in shares)


def test_cumulative_periods_load_and_their_difference_is_the_third_quarter(loaded):
    warehouse, _, _ = loaded
    published = dict(
        _rows(
            warehouse,
            "SELECT obs_id, period FROM published.observations WHERE stage = 'corrected' "
            "AND obs_id IN ('rem_202401_06_out_total', 'rem_202401_09_out_total')",
        )
    )
    assert published == {"rem_202401_06_out_total": "2024-01/06", "rem_202401_09_out_total": "2024-01/09"}
    derived = _rows(
        warehouse,
        "SELECT obs_id, value, value_low, value_high, value_precision, input_obs_ids FROM "
        "published.derived_figures WHERE derivation = 'quarter_from_cumulative' AND period = '2024-Q3' "
        "AND direction = 'out' AND country IS NULL AND country_group IS NULL",
    )
    assert len(derived) == 1
    obs_id, value, low, high, precision, inputs = derived[0]
    assert obs_id == "drv_2024q3_rem_202401_09_out_total"
    assert float(value) == pytest.approx(799_500) and float(precision) == 1000  # an interval 200 wide
    assert (float(low), float(high)) == (pytest.approx(799_400), pytest.approx(799_600))
    assert inputs.split(",") == ["rem_202401_09_out_total", "rem_202401_06_out_total"]
    cells = dict(
        _rows(
            warehouse,
            "SELECT obs_id, location FROM published.observations "
            "WHERE stage = 'corrected' AND obs_id IN (?, ?)",
            inputs.split(","),
        )
    )
    assert cells == {"rem_202401_09_out_total": "Переводы!C5", "rem_202401_06_out_total": "Переводы!B5"}


def test_the_report_states_the_computed_quarter_marked_computed(loaded):
    _, _, root = loaded
    report = (root / "reports" / Q3 / "report.md").read_text(encoding="utf-8")
    section = report[report.index("7. Personal Remittances") :]
    assert f"in the third quarter of 2024 was 0.799 million{COMPUTED_MARK} USD" in section
    assert f"| Russian Federation | – | – | 0.451{COMPUTED_MARK} |" in section
