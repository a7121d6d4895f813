"""Agency tables as delivered: the layout format, periods in words, and reading a workbook by its layout.

The Border Service workbook of the "done when" case is built here cell by cell (not by the sample
generator), so the figures it must yield are written in the test.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.periods import parse_period
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.sources.layouts import (
    agrees_with_delivery,
    label_matches,
    label_parts,
    language_parts,
    load_layouts,
    normalise_label,
    parse_layout,
    periods_in_text,
)

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("за III квартал 2024 года", ["2024-Q3"]),
        ("итоги III квартала 2024 года", ["2024-Q3"]),  # genitive of the third quarter
        ("за 3 квартал 2024 года", ["2024-Q3"]),
        ("за 3 квартала 2024 года", ["2024-01/09"]),  # three quarters: January to September
        ("за 2 квартала 2024", ["2024-01/06"]),
        ("0000", []),  # no year of the calendar: never a period, never a crash
        ("январь-сентябрь 0000", []),
        ("I кв. 2023", ["2023-Q1"]),
        ("2023 Q1", ["2023-Q1"]),
        ("2024 ж. I тоқсан", ["2024-Q1"]),
        ("январь-март 2024 г.", ["2024-Q1"]),
        ("по состоянию на 1 октября 2024 года", ["2024-10-01"]),
        ("на 01.07.2024", ["2024-07-01"]),
        ("2024 жылғы 1 шілдедегі жағдай бойынша", ["2024-07-01"]),
        ("2022 ж.\n2022 г.\n2022", ["2022"]),
        ("за 2023 год", ["2023"]),
        ("за январь-июнь 2024 года", ["2024-01/06"]),  # months from January: a period of its own
        ("январь-сентябрь 2024 г.", ["2024-01/09"]),
        ("за 9 месяцев 2024 года", ["2024-01/09"]),
        ("қаңтар-қыркүйек 2024", ["2024-01/09"]),
        ("2024 жылғы қаңтар-қыркүйек", ["2024-01/09"]),
        ("I полугодие 2024 г.", ["2024-01/06"]),
        ("январь-декабрь 2023 года", ["2023"]),
        ("за третий квартал 2024 года", ["2024-Q3"]),
        ("3 квартал 2024 г.", ["2024-Q3"]),
        ("2024 жылғы III тоқсан", ["2024-Q3"]),
        ("2024 жылғы үшінші тоқсан", ["2024-Q3"]),
        ("III тоқсан 2024 ж.", ["2024-Q3"]),
        ("на 1 октября 2024 г.", ["2024-10-01"]),
        ("по состоянию на 1.10.2024", ["2024-10-01"]),
        ("Въезд и выезд иностранных граждан", []),
    ],
)
def test_periods_in_words(text, expected):
    assert [p.label for p in periods_in_text(text)] == expected


def test_period_agreement_with_the_delivery_folder():
    q3 = "2024-Q3"
    assert agrees_with_delivery(parse_period("2024-Q3"), q3, "delivery_quarter")
    assert not agrees_with_delivery(parse_period("2024-Q2"), q3, "delivery_quarter")
    assert agrees_with_delivery(
        parse_period("2024-10-01"), q3, "delivery_quarter"
    )  # stock at the quarter's end
    assert not agrees_with_delivery(parse_period("2024-07-01"), q3, "delivery_quarter")
    assert agrees_with_delivery(parse_period("2023-Q1"), q3, "not_after_delivery_quarter")
    assert not agrees_with_delivery(parse_period("2024-Q4"), q3, "not_after_delivery_quarter")
    assert not agrees_with_delivery(parse_period("2024"), q3, "not_after_delivery_quarter")


def test_labels_match_ignoring_case_spaces_line_breaks_and_languages():
    labels = frozenset(normalise_label(x) for x in ["Въезд, всего", "Кіру, барлығы", "Entries, total"])
    assert label_matches("ВЪЕЗД,\nвсего", labels)
    assert label_matches("  Въезд,  всего ", labels)
    assert label_matches(f"Въезд,{NBSP}всего", labels)
    assert label_matches(["кіру, барлығы", "въезд, всего"], labels)  # a header over two rows
    assert not label_matches("Прибытие, всего", labels)
    assert not label_matches("Въезд, всего / Прибытие", labels)  # every language part must match


def test_one_splitter_for_header_labels_and_country_names():
    from mtm_pipeline.sources.row_labels import country_of

    for separator in ("\n", "\r\n", "\r", "\u2028", " / ", " | "):
        label = f"Өзбекстан{separator}Узбекистан"
        assert language_parts(label) == ["Өзбекстан", "Узбекистан"]  # as spelled, for the country look-up
        assert label_parts(label) == ["өзбекстан", "узбекистан"]
        assert country_of(label) == ("UZB", "Өзбекстан")
    assert language_parts(" Ресей  Федерациясы \r\n\r\nРоссия ") == ["Ресей  Федерациясы", "Россия"]
    assert country_of("Ресей  Федерациясы\nРоссия") == ("RUS", "Ресей Федерациясы")
    assert country_of("Өзбекстан\rТурция") is None  # parts naming different countries name none


def test_every_source_has_a_layout_and_the_files_follow_the_format():
    layouts = load_layouts()
    assert {layout.source for layout in layouts} == set(SOURCES)
    assert all(layout.tables for layout in layouts)


def test_a_layout_that_breaks_the_format_is_named():
    with pytest.raises(ValueError, match="rows.dimension must be one of"):
        parse_layout(
            "broken",
            {
                "source": "x",
                "obs_id_prefix": "x",
                "unit": "persons",
                "period": {"from": "title"},
                "tables": [
                    {
                        "name": "t",
                        "columns": [{"key": "c", "labels": ["C"]}],
                        "rows": {"column": "c", "dimension": "planet"},
                        "figures": [{"column": "c", "measure": "m"}],
                    }
                ],
            },
        )


# --- the Border Service case --------------------------------------------------------------------------------

Q3 = "2024-Q3"
# Total first, a blank row, Kazakh and Russian names, numbers as text with space separators.
BORDER_ROWS = [
    ("", "Всего", f"2 510{NBSP}004", "612 300", f"2{NNBSP}398 777"),
    (1, "Қытай", "181 220", "20 011", "176 004"),
    (2, "Узбекистан", f"1{NBSP}020 500", "400 200", "990 120"),
    (),
    (3, "Түркия", "77 915", "9 050", "80 002"),
    (4, "Индия", "25 380", "6 100", "24 900"),
    (5, "Ресей Федерациясы", "701 000", "101 000", "699 500"),
]


def border_workbook(
    path: Path, *, entries_header: str = "Въезд,\nвсего", title: str = "за III квартал 2024 года"
):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Лист1"
    sheet["A1"] = "Въезд и выезд иностранных граждан в Республику Казахстан по странам гражданства"
    sheet["A2"] = title
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(
        [
            "№",
            "Страна гражданства",
            entries_header,
            "в том числе с целью трудовой деятельности",
            "Выезд, всего",
        ]
    )
    for row in BORDER_ROWS:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["Примечание: оперативные данные."])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


@pytest.fixture
def border_delivery(tmp_path) -> DataPaths:
    paths = DataPaths(tmp_path / "data")
    border_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    return paths


def _rows(extract):
    return {r.obs_id: r for r in extract.rows.itertuples()}


def test_border_service_workbook_loads_with_figures_and_cell_lineage(border_delivery):
    extract = read_validated_extract(border_delivery, Q3, SOURCES["border_crossings"])
    rows = _rows(extract)
    assert len(rows) == 18  # 3 columns x (total + 5 countries)
    total_in, china_in = rows["bc_2024q3_in_total"], rows["bc_2024q3_in_chn"]
    assert (total_in.value, total_in.location) == (2510004, "Лист1!C5")
    assert (china_in.value, china_in.country, china_in.location) == (181220, "Қытай", "Лист1!C6")
    assert china_in.part_of == "bc_2024q3_in_total" and not china_in.parts_complete  # no remainder row
    assert rows["bc_2024q3_in_uzb"].value == 1020500 and rows["bc_2024q3_in_uzb"].location == "Лист1!C7"
    assert rows["bc_2024q3_in_tur"].location == "Лист1!C9"  # after the blank row 8
    assert rows["bc_2024q3_in_rus"].country == "Ресей Федерациясы"
    labour = rows["bc_2024q3_in_labour_total"]
    assert (labour.value, labour.purpose, labour.part_of, labour.location) == (
        612300,
        "labour",
        "bc_2024q3_in_total",
        "Лист1!D5",
    )
    assert rows["bc_2024q3_out_total"].value == 2398777 and rows["bc_2024q3_out_total"].location == "Лист1!E5"
    assert rows["bc_2024q3_out_ind"].value == 24900
    assert china_in.published_text == "Қытай | Въезд, всего | 181 220"
    assert china_in.period == Q3 and china_in.direction == "in" and china_in.unit == "crossings"
    assert china_in.agency == "National Border Service of Kazakhstan"
    assert "border_crossings.xlsx" in china_in.publication
    assert set(extract.rows["row_number"]) == {5, 6, 7, 9, 10, 11}


def test_country_labels_split_by_carriage_returns_are_read(tmp_path):
    """Kazakh and Russian names in one cell split by '\\r\\n', as Excel writes it in the sheet's XML
    ('_x000D_' and a line feed), or by a lone carriage return ('&#13;'): every part names the same country,
    and the name kept is the first, as spelled."""
    paths = DataPaths(tmp_path / "data")
    path = border_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.active["B7"] = "Өзбекстан_x000D_\nУзбекистан"  # openpyxl writes the text as given
    workbook.active["B9"] = "Түркия\rТурция"
    workbook.save(path)
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"]
    assert sheet_xml.count(b"\r") == 1  # written as is by openpyxl: an XML parser would read it as '\n'
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace(b"\r", b"&#13;")
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    from mtm_pipeline.sources.sheets import read_sheets

    cells = read_sheets(path, path.read_bytes()).sheets[0]
    assert (cells.text(7, 2), cells.text(9, 2)) == ("Өзбекстан\nУзбекистан", "Түркия\rТурция")
    rows = _rows(read_validated_extract(paths, Q3, SOURCES["border_crossings"]))
    uzbekistan, turkiye = rows["bc_2024q3_in_uzb"], rows["bc_2024q3_in_tur"]
    assert (uzbekistan.country, uzbekistan.value, uzbekistan.location) == ("Өзбекстан", 1020500, "Лист1!C7")
    assert uzbekistan.published_text == "Өзбекстан Узбекистан | Въезд, всего | 1\u00a0020 500"
    assert (turkiye.country, turkiye.value, turkiye.location) == ("Түркия", 77915, "Лист1!C9")
    assert turkiye.published_text == "Түркия Турция | Въезд, всего | 77 915"


def test_renamed_header_is_refused_naming_sheet_and_cell(tmp_path):
    paths = DataPaths(tmp_path / "data")
    border_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx", entries_header="Прибытие, всего")
    with pytest.raises(ExtractError) as caught:
        read_validated_extract(paths, Q3, SOURCES["border_crossings"])
    text = str(caught.value)
    assert "sheet 'Лист1', cell C4" in text
    assert "expected the column header 'Въезд, всего'" in text and "found 'Прибытие, всего'" in text
    assert "raw/2024-Q3/border_crossings.xlsx" in text and "nothing from this file was loaded" in text


def test_title_period_that_disagrees_with_the_folder_is_refused(tmp_path):
    paths = DataPaths(tmp_path / "data")
    border_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx", title="за II квартал 2024 года")
    with pytest.raises(
        ExtractError, match="states the period 2024-Q2, which disagrees with the delivery quarter"
    ):
        read_validated_extract(paths, Q3, SOURCES["border_crossings"])


def contract_workbook(paths: DataPaths) -> None:
    """2024-Q1's emigration extract as an .xlsx in the observation contract (a header row, then the rows)."""
    import csv

    from mtm_pipeline.sources.contract import COLUMNS
    from mtm_pipeline_tests.conftest import RAW

    workbook = openpyxl.Workbook()
    workbook.active.append(list(COLUMNS))
    with (RAW / "2024-Q1" / "emigration.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            workbook.active.append([row[c] for c in COLUMNS])
    paths.quarter_dir("2024-Q1").mkdir(parents=True)
    workbook.save(paths.quarter_dir("2024-Q1") / "emigration.xlsx")


def test_contract_workbook_keeps_working(tmp_path):
    """An .xlsx in the observation contract is read as before, not by a layout."""
    paths = DataPaths(tmp_path / "data")
    contract_workbook(paths)
    extract = read_validated_extract(paths, "2024-Q1", SOURCES["emigration"])
    assert len(extract.rows) == 12 and "emi_2023_isr" in set(extract.rows["obs_id"])


def test_contract_workbook_text_with_excels_carriage_return_is_decoded(tmp_path):
    """Excel saves a carriage return typed in a cell as '_x000D_': the contract reader reads the character,
    as the layout reader does, and a literal '_x000D_' (saved as '_x005F_x000D_') stays as written."""
    from mtm_pipeline.sources.contract import COLUMNS

    paths = DataPaths(tmp_path / "data")
    contract_workbook(paths)
    path = paths.quarter_dir("2024-Q1") / "emigration.xlsx"
    workbook = openpyxl.load_workbook(path)
    text_column = list(COLUMNS).index("published_text") + 1
    workbook.active.cell(2, text_column, "First line_x000D_\nsecond line")
    workbook.active.cell(3, text_column, "A literal _x005F_x000D_ in the text")
    workbook.save(path)
    texts = read_validated_extract(paths, "2024-Q1", SOURCES["emigration"]).rows["published_text"].tolist()
    assert texts[0] == "First line\r\nsecond line"
    assert texts[1] == "A literal _x000D_ in the text"


def test_a_delivered_workbook_is_parsed_once(tmp_path, monkeypatch):
    """Recognising the file, reading its sheets and reading it as the contract share one parse, with
    formulas or without: each cell's formula and saved result are read from the same stored cell."""
    paths = DataPaths(tmp_path / "data")
    contract_workbook(paths)
    parses = []
    load_workbook = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: parses.append(k) or load_workbook(*a, **k))
    assert len(read_validated_extract(paths, "2024-Q1", SOURCES["emigration"]).rows) == 12
    assert len(parses) == 1
    parses.clear()
    border_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    read_validated_extract(paths, Q3, SOURCES["border_crossings"])
    assert len(parses) == 1
    workbook = openpyxl.load_workbook(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    workbook.active["C5"] = "=SUM(C6:C11)"  # no saved result: refused, which takes seeing the formula
    workbook.save(paths.quarter_dir(Q3) / "border_crossings.xlsx")
    parses.clear()
    with pytest.raises(ExtractError, match="cell C5: expected a value, found a formula =SUM"):
        read_validated_extract(paths, Q3, SOURCES["border_crossings"])
    assert [k.get("read_only") for k in parses] == [True]


# --- a new shape is a layout file, no code ------------------------------------------------------------------

NEW_LAYOUT = """
source: residence_permits
obs_id_prefix: trp_issued
unit: permits
period: {from: title, agree: not_after_delivery_quarter}
tables:
  - name: issued_by_country
    columns:
      - {key: country, labels: [Страна]}
      - {key: issued, labels: [Выдано разрешений на временное проживание]}
    rows: {column: country, dimension: country}
    figures:
      - {column: issued, measure: trp_issued}
"""


def _trp_issued_workbook(path: Path) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Выдача разрешений на временное проживание за 2023 год"])
    sheet.append(["Страна", "Выдано разрешений на временное проживание"])
    sheet.append(["Итого", 314741])
    sheet.append(["Узбекистан", 212445])
    sheet.append(["Россия", 68743])
    workbook.save(path)
    return path.read_bytes()


def test_a_new_shape_is_a_new_layout_file(tmp_path):
    from mtm_pipeline.sources.sheets import read_sheets
    from mtm_pipeline.sources.workbook import read_layout_workbook

    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "trp_issued_by_country.yaml").write_text(NEW_LAYOUT, encoding="utf-8")
    path = tmp_path / "residence_permits.xlsx"
    frame = read_layout_workbook(
        read_sheets(path, _trp_issued_workbook(path)),
        SOURCES["residence_permits"],
        "2024-Q1",
        "raw/2024-Q1/residence_permits.xlsx",
        layouts_dir=layouts,
    )
    rows = frame.set_index("obs_id")
    assert rows.loc["trp_issued_2023_uzb", ["value", "period", "location", "part_of"]].tolist() == [
        "212445",
        "2023",
        "Sheet!B4",
        "trp_issued_2023_total",
    ]
    assert rows.loc["trp_issued_2023_total", "value"] == "314741"


def test_a_workbook_matching_two_layouts_is_refused(tmp_path):
    from mtm_pipeline.sources.sheets import read_sheets
    from mtm_pipeline.sources.workbook import read_layout_workbook

    layouts = tmp_path / "layouts"
    layouts.mkdir()
    for name in ("first", "second"):
        (layouts / f"{name}.yaml").write_text(NEW_LAYOUT, encoding="utf-8")
    path = tmp_path / "residence_permits.xlsx"
    with pytest.raises(ExtractError, match="matches several layouts: first, second"):
        read_layout_workbook(
            read_sheets(path, _trp_issued_workbook(path)),
            SOURCES["residence_permits"],
            "2024-Q1",
            "raw/2024-Q1/residence_permits.xlsx",
            layouts_dir=layouts,
        )


def test_an_agency_table_saved_as_csv_is_read_by_its_layout(tmp_path):
    """The same Border Service table, saved as CSV UTF-8: cells named on a sheet called after the file."""
    import csv

    paths = DataPaths(tmp_path / "data")
    folder = paths.quarter_dir(Q3)
    folder.mkdir(parents=True)
    with (folder / "border_crossings.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Въезд и выезд иностранных граждан в Республику Казахстан по странам гражданства"])
        writer.writerow(["за III квартал 2024 года"])
        writer.writerow([])
        writer.writerow(
            [
                "№",
                "Страна гражданства",
                "Въезд,\nвсего",
                "в том числе с целью трудовой деятельности",
                "Выезд, всего",
            ]
        )
        for row in BORDER_ROWS:
            writer.writerow(list(row))
    rows = _rows(read_validated_extract(paths, Q3, SOURCES["border_crossings"]))
    assert (rows["bc_2024q3_in_chn"].value, rows["bc_2024q3_in_chn"].location) == (
        181220,
        "border_crossings!C6",
    )
    assert rows["bc_2024q3_out_total"].value == 2398777


def test_sample_workbooks_command_writes_one_workbook_per_source(tmp_path, capsys):
    from mtm_pipeline import sample_workbooks
    from mtm_pipeline_tests.conftest import RAW

    sample_workbooks.main(["--out", str(tmp_path), "--quarter", "2024-Q3"])
    assert sorted(p.name for p in (tmp_path / "2024-Q3").iterdir()) == sorted(f"{s}.xlsx" for s in SOURCES)
    with pytest.raises(SystemExit):
        sample_workbooks.main(["--out", str(RAW), "--quarter", "2024-Q3"])
    assert "never deliveries" in capsys.readouterr().err
    assert not (RAW / "2024-Q3").exists()
