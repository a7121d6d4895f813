"""Agency tables laid out the way statistical offices habitually lay them out: group headers merged over
sub-columns, a year merged over its quarters, a column-numbering row and a units row under the header,
units inside header labels, CIS / non-CIS subtotal rows, share and change columns, numbering columns,
cumulative periods and other period forms, and country labels with footnote marks and official long
forms. Each workbook is built cell by cell here (synthetic figures) and read through the extract reader."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.periods import parse_period
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.sources.layouts import agrees_with_delivery, load_layouts, period_of_header
from mtm_pipeline.sources.row_labels import country_of

Q3 = "2024-Q3"
TITLE = "Въезд и выезд иностранных граждан в Республику Казахстан по странам гражданства"


def _save(workbook: openpyxl.Workbook, paths: DataPaths, source: str, quarter: str = Q3) -> Path:
    path = paths.quarter_dir(quarter) / f"{source}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _read(paths: DataPaths, source: str, quarter: str = Q3) -> dict:
    extract = read_validated_extract(paths, quarter, SOURCES[source])
    return {r.obs_id: r for r in extract.rows.itertuples()}


def _sheet(title_lines: list[str]):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Лист1"
    for line in title_lines:
        sheet.append([line])
    sheet.append([])
    return workbook, sheet


def _grouped_border_workbook(paths: DataPaths, *, title: str = "за III квартал 2024 года") -> None:
    """`Въезд` merged over `всего | в т.ч. ...`, row labels merged down, a numbering row, footnote marks."""
    workbook, sheet = _sheet([TITLE, title])
    sheet.append(["№ п/п", "Страна гражданства", "Въезд", None, "Выезд, всего"])  # row 4
    sheet.append([None, None, "всего", "в т.ч. с целью трудовой деятельности", None])  # row 5
    for cells in ("A4:A5", "B4:B5", "C4:D4", "E4:E5"):
        sheet.merge_cells(cells)
    sheet.append(["А", "Б", 1, 2, 3])  # row 6: column numbers
    sheet.append([None, "Всего", 1500, 300, 1400])  # row 7
    sheet.append([1, "Россия*", 700, 100, 650])  # row 8
    sheet.append([2, "Германия¹", 20, 5, 18])  # row 9
    sheet.append([3, "Кыргызская Республика", 80, 40, 70])  # row 10
    sheet.append([4, "Соединенные Штаты Америки", 9, None, 8])  # row 11
    sheet.append([])
    sheet.append(["* включая транзит"])
    _save(workbook, paths, "border_crossings")


def test_group_header_over_sub_columns_numbering_row_and_footnote_marks(tmp_path):
    paths = DataPaths(tmp_path / "data")
    _grouped_border_workbook(paths)
    rows = _read(paths, "border_crossings")
    assert (rows["bc_2024q3_in_total"].value, rows["bc_2024q3_in_total"].location) == (1500, "Лист1!C7")
    labour = rows["bc_2024q3_in_labour_rus"]
    assert (labour.value, labour.location, labour.purpose) == (100, "Лист1!D8", "labour")
    assert labour.published_text == "Россия* | Въезд / в т.ч. с целью трудовой деятельности | 100"
    assert rows["bc_2024q3_in_rus"].country == "Россия"  # the footnote mark is no part of the name
    assert rows["bc_2024q3_in_deu"].value == 20
    assert rows["bc_2024q3_out_kgz"].value == 70 and rows["bc_2024q3_out_kgz"].location == "Лист1!E10"
    assert rows["bc_2024q3_in_usa"].value == 9 and "bc_2024q3_in_labour_usa" not in rows
    assert set(extract_rows := rows) and all(r.row_number >= 7 for r in extract_rows.values())
    assert len(rows) == 3 * 5 - 1


def _units_row_workbook(paths: DataPaths, entries_header: str, units: list) -> None:
    workbook, sheet = _sheet([TITLE, "январь-сентябрь 2024 г.", "Дата формирования: 15.10.2024"])
    sheet.append(["№", "Страна гражданства", entries_header, "Выезд, всего"])  # row 5
    if units:
        sheet.append(units)  # row 6
    sheet.append([None, "Всего", "12,5", "11,0"])
    sheet.append([1, "Узбекистан", "7,5", "7,1"])
    sheet.append([2, "Ресей", "5,0", "3,9"])
    _save(workbook, paths, "border_crossings")


@pytest.mark.parametrize(
    ("entries_header", "units"),
    [
        ("Въезд, всего", [None, None, "тыс. человек", "тыс. человек"]),
        ("Въезд, всего, тыс. человек", []),
        ("Въезд, всего (тыс человек)", []),
        ("Кіру, барлығы, мың адам", []),
    ],
)
def test_units_row_or_unit_in_the_header_and_a_cumulative_title(tmp_path, entries_header, units):
    paths = DataPaths(tmp_path / "data")
    _units_row_workbook(paths, entries_header, units)
    rows = _read(paths, "border_crossings")
    total = rows["bc_202401_09_in_total"]
    assert total.period == "2024-01/09"  # 'Дата формирования' is not a second period
    assert total.value == 12500 and total.location in ("Лист1!C7", "Лист1!C6")
    assert rows["bc_202401_09_in_uzb"].value == 7500
    assert rows["bc_202401_09_out_rus"].value == 3900


def test_subtotal_rows_are_group_totals_and_share_and_change_columns_are_read(tmp_path):
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet(
        ["Выдача разрешений на постоянное проживание по гражданству", "за 3 квартал 2024 г."]
    )
    header = [
        "№",
        "Гражданство",
        "Выдано разрешений на постоянное проживание",
        "Удельный вес, %",
        "в % к соответствующему периоду прошлого года",
        "Количество лиц, имеющих разрешение на временное проживание",
    ]
    sheet.append(header)  # row 4
    sheet.append([None, "Итого", 1000, 100, "105,3", 5000])  # row 5
    sheet.append([None, "страны СНГ", 700, "70,0", "98,0", 4000])  # row 6
    sheet.append([1, "Узбекистан", 400, "40,0", "110,0", 2500])  # row 7
    sheet.append([2, "Қырғыз Республикасы", 300, "30,0", "90,5", 1500])  # row 8
    sheet.append([None, "другие страны", 300, "30,0", "130,4", 1000])  # row 9
    sheet.append([3, "Китай", 200, "20,0", "100,0", 600])  # row 10
    sheet.append([4, "Азербайджанская Республика", 100, "10,0", "-", 400])  # row 11
    _save(workbook, paths, "residence_permits")
    rows = _read(paths, "residence_permits")
    cis = rows["prp_2024q3_cis"]
    assert (cis.value, cis.country_group, cis.part_of, cis.parts_complete) == (
        700,
        "CIS",
        "prp_2024q3_total",
        True,
    )
    assert (cis.share, cis.change, cis.change_unit, cis.change_base_period) == (
        70.0,
        -2.0,
        "percent",
        "2023-Q3",
    )
    non_cis = rows["prp_2024q3_noncis"]
    assert (non_cis.value, non_cis.country_group, non_cis.location) == (300, "non-CIS", "Лист1!C9")
    uzb = rows["prp_2024q3_uzb"]
    assert (uzb.country_group, uzb.part_of, uzb.parts_complete, uzb.change) == (
        "CIS",
        "prp_2024q3_cis",
        False,
        10.0,
    )
    assert pd.isna(uzb.share)  # a share of the total, while the row is part of its group
    assert rows["prp_2024q3_kgz"].value == 300
    assert (
        rows["prp_2024q3_aze"].country_group == "non-CIS"
    )  # as published; the rules compare it with membership
    assert rows["prp_2024q3_total"].change == 5.3
    assert rows["trp_2024q3_cis"].value == 4000 and pd.isna(rows["trp_2024q3_cis"].share)


def test_share_column_under_a_group_header_belongs_to_its_figure(tmp_path):
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet([TITLE, "за III квартал 2024 года"])
    sheet.append(["Страна гражданства", "Въезд", None, "Выезд", None])  # row 4
    sheet.append([None, "всего", "в % к итогу", "всего", "в % к итогу"])  # row 5
    sheet.merge_cells("B4:C4")
    sheet.merge_cells("D4:E4")
    sheet.merge_cells("A4:A5")
    sheet.append(["Всего", 200, 100, 100, 100])
    sheet.append(["Узбекистан", 150, 75, 40, 40])
    sheet.append(["Другие страны", 50, 25, 60, 60])
    _save(workbook, paths, "border_crossings")
    rows = _read(paths, "border_crossings")
    assert (rows["bc_2024q3_in_uzb"].share, rows["bc_2024q3_out_uzb"].share) == (75, 40)
    assert rows["bc_2024q3_in_other"].parts_complete  # the remainder closes the breakdown
    assert rows["bc_2024q3_out_other"].share == 60


def test_year_merged_over_quarter_columns_with_the_unit_in_the_header(tmp_path):
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet(["Личные денежные переводы физических лиц по странам", "Переводы из Казахстана"])
    sheet.append(["Страна", "2023 год, тыс. долл. США", None, None, None, "2024 год", None, None])  # row 4
    sheet.append([None, "I кв.", "II кв.", "III кв.", "IV кв.", "I кв.", "II кв.", "III кв."])  # row 5
    sheet.merge_cells("B4:E4")
    sheet.merge_cells("F4:H4")
    sheet.merge_cells("A4:A5")
    sheet.append(["Всего", 100, 110, 120, 130, 140, 150, "160,5"])
    sheet.append(["Ресей", 60, 70, 80, 90, 100, 110, 120])
    sheet.append(["Прочие страны", 40, 40, 40, 40, 40, 40, "40,5"])
    sheet.append([])
    sheet.append(["Переводы в Казахстан"])
    sheet.append(["Страна", "2023 год, тыс. долл. США", None, None, None, "2024 год", None, None])
    sheet.append([None, "I кв.", "II кв.", "III кв.", "IV кв.", "I кв.", "II кв.", "III кв."])
    sheet.merge_cells("B11:E11")
    sheet.merge_cells("F11:H11")
    sheet.append(["Всего", 10, 11, 12, 13, 14, 15, 16])
    _save(workbook, paths, "remittances")
    rows = _read(paths, "remittances")
    q1 = rows["rem_2023q1_out_total"]
    assert (q1.period, q1.value, q1.location) == ("2023-Q1", 100_000, "Лист1!B6")
    assert rows["rem_2024q3_out_total"].value == 160_500
    assert rows["rem_2024q2_out_rus"].value == 110_000 and rows["rem_2024q2_out_rus"].location == "Лист1!G7"
    assert rows["rem_2024q3_in_total"].value == 16_000


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("по состоянию на 1.10.2024", "2024-10-01"),
        ("на 1 октября 2024 г.", "2024-10-01"),
    ],
)
def test_as_of_date_forms_in_the_title(tmp_path, title, period):
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet(["Численность иностранных работников", title, "Дата формирования: 15.10.2024"])
    for heading, label_header, labels in (
        ("1. По категориям разрешений", "Категория", ["первая категория", "сезонные работы"]),
        ("2. По видам экономической деятельности", "Вид экономической деятельности", ["Строительство"]),
        ("3. По странам происхождения", "Страна", ["Китай", "Другие страны"]),
    ):
        sheet.append([heading])
        sheet.append([label_header, "Количество, человек"])
        sheet.append(["Всего", 100])
        for number, label in enumerate(labels):
            sheet.append([label, 60 - 20 * number])
        sheet.append([])
    _save(workbook, paths, "labour_migration")
    rows = {r.location: r for r in _read(paths, "labour_migration").values()}
    assert {r.period for r in rows.values()} == {period}
    assert rows["Лист1!B8"].value == 60 and rows["Лист1!B8"].category == "first"
    assert rows["Лист1!B19"].value == 60 and rows["Лист1!B19"].country == "Китай"


def test_an_unknown_country_label_is_still_refused_naming_the_cell(tmp_path):
    paths = DataPaths(tmp_path / "data")
    _grouped_border_workbook(paths)
    book = openpyxl.load_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    book.active["B9"] = "Атлантида¹"
    book.save(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    with pytest.raises(ExtractError, match=r"cell B9: expected a country name.*found 'Атлантида¹'"):
        _read(paths, "border_crossings")


@pytest.mark.parametrize(
    ("label", "iso3", "name"),
    [
        ("Россия*", "RUS", "Россия"),
        ("Германия¹", "DEU", "Германия"),
        ("Китай**", "CHN", "Китай"),
        ("Соединённые Штаты Америки", "USA", "Соединённые Штаты Америки"),
        ("Соединенные Штаты Америки", "USA", "Соединенные Штаты Америки"),
        ("Кыргызская Республика", "KGZ", "Кыргызская Республика"),
        ("Қырғыз Республикасы", "KGZ", "Қырғыз Республикасы"),
        ("Азербайджанская Республика", "AZE", "Азербайджанская Республика"),
        ("Әзірбайжан Республикасы / Азербайджанская Республика", "AZE", "Әзірбайжан Республикасы"),
        ("Исламская Республика Иран", "IRN", "Исламская Республика Иран"),
        ("Федеративная Республика Германия", "DEU", "Федеративная Республика Германия"),
    ],
)
def test_country_labels_as_written(label, iso3, name):
    assert country_of(label) == (iso3, name)


@pytest.mark.parametrize("label", ["Атлантида*", "Республика", "Ресей / Қытай"])
def test_labels_that_name_no_country(label):
    assert country_of(label) is None


def test_a_sub_header_under_another_group_is_refused_not_misread(tmp_path):
    """`в т.ч. с целью трудовой деятельности` under `Выезд`: the layout has no exits by purpose."""
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet([TITLE, "за III квартал 2024 года"])
    sheet.append(["Страна гражданства", "Въезд, всего", "Выезд", None])  # row 4
    sheet.append([None, None, "всего", "в т.ч. с целью трудовой деятельности"])  # row 5
    sheet.merge_cells("C4:D4")
    sheet.append(["Всего", 200, 100, 30])
    sheet.append(["Узбекистан", 150, 40, 10])
    _save(workbook, paths, "border_crossings")
    with pytest.raises(ExtractError, match=r"cell D4: expected one of the layout's column headers"):
        _read(paths, "border_crossings")


def test_a_period_column_whose_languages_disagree_is_refused(tmp_path):
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet(["Личные денежные переводы, млн долл. США", "Переводы из Казахстана"])
    sheet.append(["Страна", "январь-сентябрь 2024 / 2024 Q3"])
    sheet.append(["Всего", "10,5"])
    sheet.append([])
    sheet.append(["Переводы в Казахстан"])
    sheet.append(["Страна", "2024 Q3"])
    sheet.append(["Всего", "1,5"])
    _save(workbook, paths, "remittances")
    with pytest.raises(
        ExtractError, match=r"cell B4: its languages state different periods \(2024-01/09, 2024-Q3\)"
    ):
        _read(paths, "remittances")


# --- the pure functions behind them ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("въезд, всего, тыс. человек", ("въезд, всего", "thousand")),
        ("въезд, всего (тыс человек)", ("въезд, всего", "thousand")),
        ("2023 год, тыс. долл. сша", ("2023 год", "thousand")),
        ("2023 год, млн. долл. сша", ("2023 год", "million")),
        ("кіру, барлығы, мың адам", ("кіру, барлығы", "thousand")),
        ("млрд долл сша", ("", "billion")),
        ("количество, единиц", ("количество", "one")),
        ("въезд, всего", ("въезд, всего", None)),
        ("удельный вес, %", ("удельный вес, %", None)),
        ("страна, тыс. и более", ("страна, тыс. и более", None)),  # not a unit phrase
    ],
)
def test_units_split_from_header_labels(label, expected):
    layout = load_layouts()[0]
    assert layout.unit_words.split(label) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["2023 год", "i кв."], "2023-Q1"),  # a year merged over its quarters
        (["2024 г.", "iii кв."], "2024-Q3"),
        (["2022 ж.", "2022 г.", "2022"], "2022"),  # one language per row
        (["январь-сентябрь 2024", "2024 q3"], None),  # the languages disagree: no period
        (["2024 год", "январь-сентябрь"], "2024-01/09"),
    ],
)
def test_period_of_a_header_over_several_rows(parts, expected):
    period = period_of_header(parts)
    assert (period.label if period else None) == expected


def test_cumulative_periods_agree_with_the_quarter_they_end_in():
    assert agrees_with_delivery(parse_period("2024-01/09"), "2024-Q3", "delivery_quarter")
    assert not agrees_with_delivery(parse_period("2024-01/06"), "2024-Q3", "delivery_quarter")
    assert agrees_with_delivery(parse_period("2024-01/06"), "2024-Q3", "not_after_delivery_quarter")
    assert not agrees_with_delivery(parse_period("2024-01/11"), "2024-Q3", "not_after_delivery_quarter")


def test_the_shared_vocabulary_is_in_every_layout():
    for layout in load_layouts():
        assert "№ п/п" in layout.ignore_columns and "страны снг" in layout.groups["CIS"]
        assert "удельный вес, %" in layout.share_columns and layout.change_written_as == "index"
        assert "дата формирования" in layout.not_period
        assert not any(c.key == "number" for t in layout.tables for c in t.columns)


def test_a_layout_may_read_changes_as_written_and_two_changes_give_two_rows(tmp_path):
    """A layout that sets `change_columns` replaces the shared one: here changes written as changes."""
    import shutil

    from mtm_pipeline.sources.layouts import LAYOUTS_DIR
    from mtm_pipeline.sources.sheets import read_sheets
    from mtm_pipeline.sources.workbook import read_layout_workbook

    layouts = tmp_path / "layouts"
    layouts.mkdir()
    shutil.copy(LAYOUTS_DIR / "residence_permits_by_citizenship.yaml", layouts)
    with (layouts / "residence_permits_by_citizenship.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "change_columns:\n  written_as: change\n"
            '  previous_quarter: ["изменение к предыдущему кварталу, %"]\n'
            '  same_period_last_year: ["изменение к III кварталу 2023 г., %"]\n'
        )
    workbook, sheet = _sheet(["Разрешения на постоянное проживание", "за III квартал 2024 года"])
    sheet.append(
        [
            "Гражданство",
            "Выдано разрешений на постоянное проживание",
            "изменение к предыдущему кварталу, %",
            "изменение к III кварталу 2023 г., %",
            "Количество лиц, имеющих разрешение на временное проживание",
        ]
    )
    sheet.append(["Итого", 100, "-5,3", "12", 50])
    sheet.append(["Узбекистан", 60, "2,0", "-1", 30])
    path = tmp_path / "residence_permits.xlsx"
    workbook.save(path)
    frame = read_layout_workbook(
        read_sheets(path, path.read_bytes()),
        SOURCES["residence_permits"],
        Q3,
        "raw/2024-Q3/residence_permits.xlsx",
        layouts_dir=layouts,
    ).set_index("obs_id")
    total = frame.loc["prp_2024q3_total"]
    assert (total["value"], total["change"], total["change_base_period"]) == ("100", "-5,3", "2024-Q2")
    second = frame.loc["prp_2024q3_total_chg_2023q3"]
    assert (second["value"], second["change"], second["change_base_period"]) == ("", "12", "2023-Q3")
    assert second["location"] == "Лист1!D5" and second["published_text"].endswith("| 12")
    assert frame.loc["prp_2024q3_uzb_chg_2023q3", "change"] == "-1"


def test_share_and_change_columns_after_period_columns(tmp_path):
    """A National Bank table: each period column followed by its share, the quarter by its change."""
    paths = DataPaths(tmp_path / "data")
    workbook, sheet = _sheet(["Личные денежные переводы физических лиц по странам, млн долл. США"])
    for heading in ("Переводы из Казахстана", "Переводы в Казахстан"):
        sheet.append([heading])
        sheet.append(
            [
                "Страна",
                "2023 год",
                "в % к итогу",
                "III кв. 2024",
                "в % к итогу",
                "в % к соответствующему периоду прошлого года",
            ]
        )
        sheet.append(["Всего", "800,0", "100", "250,0", "100", "104,2"])
        sheet.append(["Российская Федерация", "600,0", "75,0", "150,0", "60,0", "95,0"])
        sheet.append(["Прочие страны", "200,0", "25,0", "100,0", "40,0", "120,5"])
        sheet.append([])
    _save(workbook, paths, "remittances")
    rows = _read(paths, "remittances")
    rus_2023, rus_q3 = rows["rem_2023_out_rus"], rows["rem_2024q3_out_rus"]
    assert (rus_2023.value, rus_2023.share, rus_2023.location) == (600e6, 75.0, "Лист1!B6")
    assert (rus_q3.value, rus_q3.share, rus_q3.change, rus_q3.change_base_period) == (
        150e6,
        60.0,
        -5.0,
        "2023-Q3",
    )
    assert pd.isna(rus_2023.change)
    assert rows["rem_2024q3_in_total"].change == pytest.approx(4.2)
