"""Regenerate the text part of the bad-extract corpus from data/raw/2024-Q1 (binary cases are built in
the tests). Each case is a folder bad_extracts/<case>/ holding the file(s) dropped into raw/2024-Q1/.

    .venv/bin/python -m mtm_pipeline_tests.robustness.make_corpus

The expected outcome of every case is stated in test_bad_extracts.py.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

from mtm_pipeline.sources.contract import COLUMNS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_extracts"
Q1 = HERE.parents[1] / "data" / "raw" / "2024-Q1"

Row = dict[str, str]

RUSSIAN = {
    "Uzbekistan": "Узбекистан",
    "Russian Federation": "Российская Федерация",
    "Kyrgyzstan": "Кыргызстан",
    "Tajikistan": "Таджикистан",
    "Azerbaijan": "Азербайджан",
    "Belarus": "Беларусь",
    "Armenia": "Армения",
    "China": "Китай",
    "Mongolia": "Монголия",
    "Türkiye": "Турция",
    "Georgia": "Грузия",
    "Ukraine": "Украина",
    "Turkmenistan": "Туркменистан",
    "Germany": "Германия",
    "Islamic Republic of Iran": "Иран",
    "Other countries": "Прочие страны",
}
KAZAKH = {
    "Uzbekistan": "Өзбекстан",
    "Russian Federation": "Ресей",
    "Kyrgyzstan": "Қырғызстан",
    "Tajikistan": "Тәжікстан",
    "Azerbaijan": "Әзірбайжан",
    "Belarus": "Беларусь",
    "Armenia": "Армения",
    "China": "Қытай",
    "Mongolia": "Монғолия",
    "Türkiye": "Түркия",
    "Georgia": "Грузия",
    "Ukraine": "Украина",
    "Turkmenistan": "Түрікменстан",
    "Germany": "Германия",
    "Islamic Republic of Iran": "Иран",
    "Other countries": "Басқа елдер",
}
# English names typed with Cyrillic look-alike letters (С, е, Т, і), and a Russian name with a Latin K.
LOOKALIKES = {
    "China": "\u0421hina",
    "Uzbekistan": "Uzb\u0435kistan",
    "Türkiye": "\u0422ürkiye",
    "India": "\u0456ndia",
    "Russian Federation": "Russian F\u0435deration",
    "Tajikistan": "Таджикистан",
    "Belarus": "Бeларусь",
    "Kyrgyzstan": "Kыргызстан",
}


def read(name: str) -> list[Row]:
    with (Q1 / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def to_csv(rows: list[Row], columns=COLUMNS, *, line_terminator: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator=line_terminator
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def grouped(text: str, separator: str) -> str:
    """'2975788' -> '2<sep>975<sep>788' (keeps any scale word and decimals)."""
    number, _, rest = text.partition(" ")
    whole, dot, decimals = number.partition(".")
    if not whole.isdigit() or len(whole) <= 3:
        return text
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return separator.join(groups) + dot + decimals + (" " + rest if rest else "")


def edit(rows: list[Row], obs_id: str, **changes: str) -> list[Row]:
    for row in rows:
        if row["obs_id"] == obs_id:
            row.update(changes)
            return rows
    raise KeyError(obs_id)


def map_column(rows: list[Row], column: str, fn: Callable[[str], str]) -> list[Row]:
    for row in rows:
        row[column] = fn(row[column]) if row[column] else row[column]
    return rows


Case = tuple[str, str, str | bytes]  # (case, file name in raw/2024-Q1/, contents)


def column_cases() -> list[Case]:
    """Columns missing, added, renamed or reordered."""
    extra = [dict(r, comment="checked") for r in read("emigration.csv")]
    renamed = [dict(r, Value=r["value"]) for r in read("labour_migration.csv")]
    return [
        (
            "missing_column",
            "border_crossings.csv",
            to_csv(read("border_crossings.csv"), [c for c in COLUMNS if c != "unit"]),
        ),
        ("extra_column", "emigration.csv", to_csv(extra, [*COLUMNS, "comment"])),
        (
            "renamed_column",
            "labour_migration.csv",
            to_csv(renamed, [c if c != "value" else "Value" for c in COLUMNS]),
        ),
        (
            "reordered_columns",
            "residence_permits.csv",
            to_csv(read("residence_permits.csv"), list(reversed(COLUMNS))),
        ),
    ]


def wrong_type_and_empty_cases() -> list[Case]:
    """Cells of the wrong type, and files with no rows."""
    return [
        (
            "wrong_type_value",
            "border_crossings.csv",
            to_csv(edit(read("border_crossings.csv"), "arr_2024q1_labour", value="n/a")),
        ),
        (
            "wrong_type_rank",
            "emigration.csv",
            to_csv(edit(read("emigration.csv"), "emi_2023_deu", rank="second")),
        ),
        (
            "wrong_type_date",
            "labour_migration.csv",
            to_csv(edit(read("labour_migration.csv"), "emp_2024q1_total", publication_date="March 2024")),
        ),
        (
            "publication_date_month_13",
            "emigration.csv",
            to_csv(edit(read("emigration.csv"), "emi_2023_deu", publication_date="2024-13")),
        ),
        ("header_only", "remittances.csv", ",".join(COLUMNS) + "\n"),
        ("empty_file", "remittances.csv", b""),
    ]


def impossible_value_cases() -> list[Case]:
    """Values no agency could mean: negative counts, shares above 100, a fifth quarter."""
    return [
        (
            "negative_count",
            "emigration.csv",
            to_csv(edit(read("emigration.csv"), "emi_2023_deu", value="-2283")),
        ),
        (
            "share_above_100",
            "border_crossings.csv",
            to_csv(edit(read("border_crossings.csv"), "arr_2024q1_cis_rus", share="164")),
        ),
        (
            "period_2024_q5",
            "residence_permits.csv",
            to_csv(edit(read("residence_permits.csv"), "trp_2024q1_total", period="2024-Q5")),
        ),
    ]


def thousands_separator_cases() -> list[Case]:
    """Numbers grouped by thousands as agencies write them (accepted)."""
    return [
        (
            "thousands_space",
            "border_crossings.csv",
            to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, " "))),
        ),
        (
            "thousands_nbsp",
            "border_crossings.csv",
            to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, "\u00a0"))),
        ),
        (
            "thousands_narrow_nbsp",
            "residence_permits.csv",
            to_csv(map_column(read("residence_permits.csv"), "value", lambda v: grouped(v, "\u202f"))),
        ),
        (
            "thousands_commas",
            "border_crossings.csv",
            to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, ","))),
        ),
    ]


def decimal_and_percent_cases() -> list[Case]:
    """Decimal commas, Russian scale words and percent signs (accepted)."""
    comma = read("remittances.csv")
    for column in ("value", "share", "change"):
        map_column(comma, column, lambda v: v.replace(".", ","))
    russian_scale = read("remittances.csv")
    for column in ("value", "change"):
        map_column(
            russian_scale,
            column,
            lambda v: v.replace(".", ",").replace(" million", " млн").replace(" billion", " млрд"),
        )
    percent = read("border_crossings.csv")
    map_column(percent, "share", lambda v: v + "%")
    for row in percent:
        if row["change_unit"] == "percent":
            row["change"] += "%"
    return [
        ("decimal_comma", "remittances.csv", to_csv(comma)),
        ("russian_scale_words", "remittances.csv", to_csv(russian_scale)),
        ("percent_signs", "border_crossings.csv", to_csv(percent)),
    ]


def malformed_number_cases() -> list[Case]:
    """Numbers that cannot be read without guessing (refused)."""
    return [
        (
            "bad_group_spaces",
            "border_crossings.csv",
            to_csv(edit(read("border_crossings.csv"), "arr_2024q1_total", value="29 75 788")),
        ),
        (
            "too_many_decimals",
            "border_crossings.csv",
            to_csv(edit(read("border_crossings.csv"), "arr_2024q1_cis", share="58.2345")),
        ),
        (
            "too_many_digits",
            "border_crossings.csv",
            to_csv(edit(read("border_crossings.csv"), "arr_2023q4_total", value="34051020000000001")),
        ),
    ]


def duplicate_cases() -> list[Case]:
    """A row repeated verbatim, and the same observation under a second id."""
    emigration = read("emigration.csv")
    return [
        ("duplicate_row", "emigration.csv", to_csv([*emigration, dict(emigration[3])])),
        (
            "duplicate_observation",
            "emigration.csv",
            to_csv([*emigration, dict(emigration[3], obs_id="emi_2023_pol_again")]),
        ),
    ]


def country_name_cases() -> list[Case]:
    """Country names in Russian, Kazakh, with look-alike letters, unknown, or with an apostrophe."""
    return [
        (
            "russian_country_names",
            "residence_permits.csv",
            to_csv(map_column(read("residence_permits.csv"), "country", lambda v: RUSSIAN.get(v, v))),
        ),
        (
            "kazakh_country_names",
            "residence_permits.csv",
            to_csv(map_column(read("residence_permits.csv"), "country", lambda v: KAZAKH.get(v, v))),
        ),
        (
            "lookalike_letters",
            "border_crossings.csv",
            to_csv(map_column(read("border_crossings.csv"), "country", lambda v: LOOKALIKES.get(v, v))),
        ),
        (
            "unknown_country",
            "emigration.csv",
            to_csv(edit(read("emigration.csv"), "emi_2023_usa", country="Atlantis")),
        ),
        (
            "apostrophe_country",
            "emigration.csv",
            to_csv(edit(read("emigration.csv"), "emi_2023_isr", country="Côte d'Ivoire")),
        ),
    ]


def encoding_cases() -> list[Case]:
    """Encodings other than plain UTF-8, CRLF line ends and a line separator inside a cell."""
    cp1251 = map_column(read("residence_permits.csv"), "country", lambda v: RUSSIAN.get(v, v))
    separator = edit(
        read("border_crossings.csv"),
        "arr_2024q1_total",
        published_text="a total of 2,975,788\u2028migrant arrivals",
    )
    return [
        # as Excel does: ü -> ?
        ("cp1251_encoding", "residence_permits.csv", to_csv(cp1251).encode("cp1251", errors="replace")),
        ("utf8_bom", "border_crossings.csv", b"\xef\xbb\xbf" + (Q1 / "border_crossings.csv").read_bytes()),
        (
            "utf16_encoding",
            "emigration.csv",
            (Q1 / "emigration.csv").read_text(encoding="utf-8").encode("utf-16"),
        ),
        (
            "crlf_line_endings",
            "labour_migration.csv",
            to_csv(read("labour_migration.csv"), line_terminator="\r\n"),
        ),
        ("line_separator_in_cell", "border_crossings.csv", to_csv(separator)),
    ]


def raw_lines(name: str) -> list[str]:
    """The lines of a Q1 extract as text, split on newline only."""
    return (Q1 / name).read_text(encoding="utf-8").split("\n")


def line_structure_cases() -> list[Case]:
    """Quotes left open, rows cut short or too long."""
    unclosed = raw_lines("emigration.csv")
    unclosed[4] = (
        unclosed[4].rsplit(",", 1)[0] + ',"see note'
    )  # row 5: the last cell opens a quote, never closed
    swallowing = raw_lines("emigration.csv")
    swallowing[3] = swallowing[3].rsplit(",", 1)[0] + ',"checked'  # row 4: the last cell opens a quote ...
    swallowing[7] = swallowing[7].rsplit(",", 1)[0] + ',checked"'  # ... and row 8 closes it: rows 5-7 vanish
    short = raw_lines("labour_migration.csv")
    short[2] = ",".join(next(csv.reader([short[2]]))[:12])  # row 3 cut after the value column
    long = raw_lines("labour_migration.csv")
    long[5] = long[5] + ",stray"
    return [
        ("unclosed_quote", "emigration.csv", "\n".join(unclosed)),
        ("quote_swallows_rows", "emigration.csv", "\n".join(swallowing)),
        ("short_row", "labour_migration.csv", "\n".join(short)),
        ("long_row", "labour_migration.csv", "\n".join(long)),
    ]


def file_cases() -> list[Case]:
    """Files under the wrong name or extension, and a stray backup copy."""
    return [
        ("not_really_xlsx", "labour_migration.xlsx", (Q1 / "labour_migration.csv").read_bytes()),
        ("misnamed_file", "Border_Crossings.CSV", (Q1 / "border_crossings.csv").read_bytes()),
        ("backup_copy_in_folder", "border_crossings.csv.bak", (Q1 / "border_crossings.csv").read_bytes()),
    ]


THEMES: list[Callable[[], list[Case]]] = [
    column_cases,
    wrong_type_and_empty_cases,
    impossible_value_cases,
    thousands_separator_cases,
    decimal_and_percent_cases,
    malformed_number_cases,
    duplicate_cases,
    country_name_cases,
    encoding_cases,
    line_structure_cases,
    file_cases,
]


def cases() -> dict[str, dict[str, bytes]]:
    """case -> {file name in raw/2024-Q1/: bytes}, theme by theme."""
    out: dict[str, dict[str, bytes]] = {}
    for theme in THEMES:
        for case, name, data in theme():
            out.setdefault(case, {})[name] = data.encode("utf-8") if isinstance(data, str) else data
    return out


def main() -> None:
    if CORPUS.exists():
        for folder in CORPUS.iterdir():
            if folder.is_dir():
                shutil.rmtree(folder)
    for case, files in cases().items():
        folder = CORPUS / case
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    print(f"{len(cases())} cases written to {CORPUS}")


if __name__ == "__main__":
    main()
