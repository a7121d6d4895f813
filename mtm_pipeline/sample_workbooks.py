"""Sample agency workbooks with synthetic figures, one per table shape the layouts describe.

No real agency workbook is in the repository: these samples show what each layout reads (titles, headers
in Russian, Kazakh and English, total rows first or last, remainder rows, blank rows, notes under the
table, numbers as numeric cells or as text with spaces) and feed the tests. The figures are invented,
deterministic for a quarter, and consistent: parts add up to their totals.

    python -m mtm_pipeline.sample_workbooks --out DIR --quarter 2024-Q3

writes DIR/<quarter>/<source>.xlsx for the five sources (never into data/raw/: these are not deliveries).
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

from mtm_pipeline.periods import parse_quarter_key, previous_quarter, quarter_range

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

# Countries as an agency would write them: (Russian, Kazakh).
COUNTRIES = [
    ("Узбекистан", "Өзбекстан"),
    ("Российская Федерация", "Ресей Федерациясы"),
    ("Кыргызстан", "Қырғызстан"),
    ("Таджикистан", "Тәжікстан"),
    ("Китай", "Қытай"),
    ("Турция", "Түркия"),
    ("Азербайджан", "Әзірбайжан"),
    ("Германия", "Германия"),
    ("Индия", "Үндістан"),
    ("Беларусь", "Беларусь"),
]


def _rng(quarter: str, shape: str) -> random.Random:
    return random.Random(f"{quarter}/{shape}")


def _quarter_title(quarter: str) -> str:
    year, q = quarter.split("-Q")
    return f"за {ROMAN[int(q)]} квартал {year} года"


def _workbook(quarter: str):
    import openpyxl

    workbook = openpyxl.Workbook()
    # Saved by the agency some weeks after the quarter ended (what publication_date is read from).
    saved = datetime.combine(parse_quarter_key(quarter).end + timedelta(days=40), datetime.min.time())
    workbook.properties.created = workbook.properties.modified = saved
    return workbook


def save_workbook(workbook, path: Path) -> Path:
    """Save, then put back the date the agency saved it: openpyxl stamps 'modified' with the current time."""
    import io
    import re
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    saved = workbook.properties.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + saved.encode(), data)
            target.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
    return path


def border_crossings(path: Path, quarter: str) -> Path:
    """Shape (a): entries, entries for work and exits by country of citizenship, numeric cells, total last."""
    from openpyxl.styles import Alignment, Font

    rng = _rng(quarter, "border/standard")  # the seed of every sample so far: the same figures
    workbook = _workbook(quarter)
    sheet = workbook.active
    sheet.title = "Лист1"
    sheet["A1"] = "Въезд и выезд иностранных граждан в Республику Казахстан по странам гражданства"
    sheet["A1"].font = Font(bold=True)
    sheet["A2"] = _quarter_title(quarter)
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("A2:E2")
    sheet.append([])
    sheet.append(
        [
            "№",
            "Страна гражданства",
            "Въезд, всего",
            "в том числе с целью трудовой деятельности",
            "Выезд, всего",
        ]
    )
    for cell in sheet[4]:
        cell.alignment = Alignment(wrap_text=True)
    rows = []
    for name in [ru for ru, _ in COUNTRIES[:8]]:
        entries = rng.randint(20_000, 1_200_000)
        labour, exits = entries * rng.randint(5, 40) // 100, int(entries * rng.uniform(0.85, 1.1))
        rows.append((name, entries, labour, exits))
    unlisted = [rng.randint(5_000, 60_000) for _ in range(3)]  # countries the table does not list
    totals = [sum(r[i] for r in rows) + unlisted[i - 1] for i in (1, 2, 3)]
    body = [(index, name, *numbers) for index, (name, *numbers) in enumerate(rows, start=1)]
    body.append(("", "Всего", *totals))
    for row in body:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row][2:5]:
            cell.number_format = "#,##0"
    sheet.append([])
    sheet.append(["Примечание: данные Пограничной службы КНБ РК; пересечения границы, а не число лиц."])
    return save_workbook(workbook, path)


def remittances(path: Path, quarter: str, *, quarter_style: str = "roman", sheets: bool = False) -> Path:
    """Shape (b): outflow and inflow blocks (or sheets), countries as rows, the last six quarters as
    columns."""
    quarters = quarter_range(_back(quarter, 5), quarter)
    workbook = _workbook(quarter)
    first = workbook.active
    first.title = "Переводы" if not sheets else "Из Казахстана"
    blocks = [("Переводы из Казахстана", "out", first)]
    if sheets:
        blocks.append(("Переводы в Казахстан", "in", workbook.create_sheet("В Казахстан")))
    else:
        blocks.append(("Переводы в Казахстан", "in", first))
    countries = [ru for ru, _ in (COUNTRIES[1], COUNTRIES[0], COUNTRIES[4], COUNTRIES[5], COUNTRIES[2])]
    for heading, direction, sheet in blocks:
        if sheet.max_row == 1:
            sheet["A1"] = "Личные денежные переводы физических лиц по странам, млн долл. США"
            sheet.append(["(по данным платёжного баланса)"])
        sheet.append([])
        sheet.append([heading])
        header = ["Страна", *(_quarter_label(q, quarter_style) for q in quarters)]
        sheet.append(header)
        table = []
        for name in countries:
            table.append([name, *(_remittance(quarter, q, name, direction) for q in quarters)])
        other = ["Прочие страны", *(_remittance(quarter, q, "other", direction) for q in quarters)]
        totals = ["Всего", *(round(sum(r[i] for r in table) + other[i], 1) for i in range(1, len(header)))]
        for row in [totals, *table, other]:
            sheet.append(row)
            for cell in sheet[sheet.max_row][1:]:
                cell.number_format = "0.0"
    first.append([])
    first.append(["* Данные за последние кварталы предварительные и могут быть пересмотрены."])
    return save_workbook(workbook, path)


def _back(quarter: str, steps: int) -> str:
    for _ in range(steps):
        quarter = previous_quarter(quarter)
    return quarter


def _quarter_label(quarter: str, style: str) -> str:
    year, q = quarter.split("-Q")
    return {
        "roman": f"{ROMAN[int(q)]} кв. {year}",
        "q": f"{year} Q{q}",
        "kazakh": f"{year} ж. {ROMAN[int(q)]} тоқсан",
    }[style]


def _remittance(delivery: str, quarter: str, country: str, direction: str) -> float:
    """Million USD to one decimal; the delivery quarter's own figure is preliminary and revised in the
    next."""
    base = _rng("level", f"rem/{country}/{direction}").uniform(5, 80 if direction == "out" else 35)
    base *= _rng(quarter, f"rem/{country}/{direction}").uniform(0.9, 1.1)
    if quarter == delivery:  # preliminary: the next delivery states the final figure
        base *= _rng(delivery, f"prelim/{country}/{direction}").uniform(0.95, 1.05)
    return round(base, 1)


def emigration(path: Path, quarter: str, *, one_cell_headers: bool = False) -> Path:
    """Shape (c): emigrants by destination and by education (aged 15+), headers in Kazakh, Russian and
    English (three rows, or one cell with line breaks), years as columns."""
    year = int(quarter[:4])
    years = [year - 2, year - 1]
    workbook = _workbook(quarter)
    sheet = workbook.active
    sheet.title = "Эмиграция"
    sheet["A1"] = "Тұрақты тұруға кеткен Қазақстан Республикасы азаматтары"
    sheet["A2"] = "Эмиграция граждан Республики Казахстан на постоянное место жительства"
    sheet["A3"] = "Emigration of citizens of the Republic of Kazakhstan for permanent residence"
    rng = _rng(quarter, "emigration")

    def header(label: tuple[str, str, str]) -> None:
        year_labels = [(f"{y} ж.", f"{y} г.", f"{y}") for y in years]
        if one_cell_headers:
            sheet.append(["\n".join(label), *("\n".join(y) for y in year_labels)])
        else:
            for i in range(3):
                sheet.append([label[i], *(y[i] for y in year_labels)])

    sheet.append([])
    sheet.append(["Баратын елдер бойынша / по странам выбытия / by country of destination"])
    header(("Баратын елі", "Страна выбытия", "Country of destination"))
    destinations = ["Российская Федерация", "Германия", "Беларусь", "США", "Израиль", "Канада"]
    rows = [[name, *(rng.randint(40, 9_000) for _ in years)] for name in destinations]
    other = ["Басқа елдер / Другие страны / Other countries", *(rng.randint(50, 400) for _ in years)]
    total = ["Барлығы\nВсего\nTotal", *(sum(r[i] for r in rows) + other[i] for i in (1, 2))]
    for row in [total, *rows, other]:
        sheet.append(row)
    sheet.append([])
    sheet.append(
        [
            (
                "Білімі бойынша, 15 жастан асқандар / по образованию, в возрасте 15 лет и старше / "
                "by education, aged 15 and over"
            )
        ]
    )
    header(("Білімі", "Образование", "Education"))
    levels = [
        ("Жоғары", "Высшее", "Higher"),
        ("Техникалық және кәсіптік", "Техническое и профессиональное", "Technical and vocational"),
        ("Жалпы орта", "Общее среднее", "General secondary"),
        ("Негізгі орта", "Основное среднее", "Basic secondary"),
    ]
    level_rows = [[" / ".join(level), *(rng.randint(100, 4_000) for _ in years)] for level in levels]
    sheet.append(["Барлығы / Всего / Total", *(sum(r[i] for r in level_rows) for i in (1, 2))])
    for row in level_rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["Ескерту / Примечание / Note: деректер ішкі істер органдарының мәліметтері бойынша."])
    return save_workbook(workbook, path)


def residence_permits(path: Path, quarter: str) -> Path:
    """Shape (d): PRP issued and TRP holders by citizenship with a 'Прочие страны' row, total last."""
    rng = _rng(quarter, "permits")
    workbook = _workbook(quarter)
    sheet = workbook.active
    sheet.title = "РВП и ПМЖ"
    sheet["A1"] = (
        "Выдача разрешений на постоянное проживание и количество иностранцев, имеющих разрешение на "
        "временное проживание, по гражданству"
    )
    sheet["A2"] = _quarter_title(quarter)
    sheet.append([])
    sheet.append(
        [
            "№",
            "Гражданство",
            "Выдано разрешений на постоянное проживание",
            "Количество лиц, имеющих разрешение на временное проживание",
        ]
    )
    names = [
        "Республика Узбекистан",
        "Российская Федерация",
        "Кыргызская Республика",
        "Таджикистан",
        "Китайская Народная Республика",
        "Монголия",
        "Туркменистан",
    ]
    rows = [
        [i, name, rng.randint(30, 2_500), rng.randint(800, 60_000)] for i, name in enumerate(names, start=1)
    ]
    other = ["", "Прочие страны", rng.randint(50, 300), rng.randint(1_000, 5_000)]
    total = ["", "Итого", *(sum(r[i] for r in rows) + other[i] for i in (2, 3))]
    for row in [*rows, other, total]:
        sheet.append(row)
    sheet.append([])
    sheet.append(["Источник: Комитет миграционной службы МВД РК."])
    return save_workbook(workbook, path)


def labour_migration(path: Path, quarter: str) -> Path:
    """Shape (e): foreign workers as of the day after the quarter, three tables on one sheet, each under
    its own heading (categories, economic activities, countries), one total stated three times."""
    rng = _rng(quarter, "labour")
    as_of = parse_quarter_key(quarter).end + timedelta(days=1)
    workbook = _workbook(quarter)
    sheet = workbook.active
    sheet.title = "ИРС"
    sheet["A1"] = "Численность иностранных работников, привлечённых работодателями по разрешениям"
    sheet["A2"] = f"по состоянию на {as_of.day} {MONTHS_GENITIVE[as_of.month - 1]} {as_of.year} года"
    categories = [
        "Первая категория (руководители и их заместители)",
        "Вторая категория (руководители структурных подразделений)",
        "Третья категория (специалисты)",
        "Четвёртая категория (квалифицированные рабочие)",
        "Сезонные работы",
        "Внутрикорпоративный перевод",
    ]
    by_category = [rng.randint(200, 5_000) for _ in categories]
    total = sum(by_category)
    sectors = [
        "Строительство",
        "Обрабатывающая промышленность",
        "Горнодобывающая промышленность и разработка карьеров",
        "Сельское, лесное и рыбное хозяйство",
        "Деятельность в области административного и вспомогательного обслуживания",
    ]
    by_sector = _split(rng, total, len(sectors) + 1)
    countries = ["Китай", "Узбекистан", "Турция", "Индия"]
    by_country = _split(rng, total, len(countries) + 1)
    blocks = [
        ("1. По категориям разрешений", "Категория", categories, by_category, None),
        (
            "2. По видам экономической деятельности",
            "Вид экономической деятельности",
            sectors,
            by_sector[:-1],
            ("Прочие виды деятельности", by_sector[-1]),
        ),
        (
            "3. По странам происхождения",
            "Страна",
            countries,
            by_country[:-1],
            ("Другие страны", by_country[-1]),
        ),
    ]
    for heading, label, names, numbers, remainder in blocks:
        sheet.append([])
        sheet.append([heading])
        sheet.append([label, "Количество, человек"])
        sheet.append(["Всего", total])
        for name, number in zip(names, numbers, strict=True):
            sheet.append([name, number])
        if remainder:
            sheet.append(list(remainder))
    sheet.append([])
    sheet.append(["Примечание: по данным информационной системы «Иностранная рабочая сила»."])
    return save_workbook(workbook, path)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


WRITERS = {
    "border_crossings": border_crossings,
    "remittances": remittances,
    "emigration": emigration,
    "residence_permits": residence_permits,
    "labour_migration": labour_migration,
}


def write_samples(out: Path, quarter: str) -> list[Path]:
    """One sample workbook per source for the delivery quarter: out/<quarter>/<source>.xlsx."""
    parse_quarter_key(quarter)
    return [writer(out / quarter / f"{source}.xlsx", quarter) for source, writer in WRITERS.items()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", required=True, type=Path, help="folder to write <quarter>/<source>.xlsx into"
    )
    parser.add_argument("--quarter", required=True, help="delivery quarter, e.g. 2024-Q3")
    args = parser.parse_args(argv)
    repository_raw = Path(__file__).resolve().parents[1] / "data" / "raw"
    if args.out.resolve() == repository_raw or repository_raw in args.out.resolve().parents:
        parser.error(
            f"{args.out} is the repository's data/raw/: sample figures are synthetic, never deliveries"
        )
    for path in write_samples(args.out, args.quarter):
        print(path)


if __name__ == "__main__":
    main()
