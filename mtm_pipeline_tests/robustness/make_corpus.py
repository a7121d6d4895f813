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


def cases() -> dict[str, dict[str, bytes]]:
    """case -> {file name in raw/2024-Q1/: bytes}."""
    out: dict[str, dict[str, bytes]] = {}

    def put(case: str, name: str, data: str | bytes) -> None:
        out.setdefault(case, {})[name] = data.encode("utf-8") if isinstance(data, str) else data

    # --- columns
    put(
        "missing_column",
        "border_crossings.csv",
        to_csv(read("border_crossings.csv"), [c for c in COLUMNS if c != "unit"]),
    )
    extra = [dict(r, comment="checked") for r in read("emigration.csv")]
    put("extra_column", "emigration.csv", to_csv(extra, [*COLUMNS, "comment"]))
    renamed = [dict(r, Value=r["value"]) for r in read("labour_migration.csv")]
    put(
        "renamed_column",
        "labour_migration.csv",
        to_csv(renamed, [c if c != "value" else "Value" for c in COLUMNS]),
    )
    put(
        "reordered_columns",
        "residence_permits.csv",
        to_csv(read("residence_permits.csv"), list(reversed(COLUMNS))),
    )
    # --- wrong types
    put(
        "wrong_type_value",
        "border_crossings.csv",
        to_csv(edit(read("border_crossings.csv"), "arr_2024q1_labour", value="n/a")),
    )
    put(
        "wrong_type_rank",
        "emigration.csv",
        to_csv(edit(read("emigration.csv"), "emi_2023_deu", rank="second")),
    )
    put(
        "wrong_type_date",
        "labour_migration.csv",
        to_csv(edit(read("labour_migration.csv"), "emp_2024q1_total", publication_date="March 2024")),
    )
    put(
        "publication_date_month_13",
        "emigration.csv",
        to_csv(edit(read("emigration.csv"), "emi_2023_deu", publication_date="2024-13")),
    )
    # --- empty
    put("header_only", "remittances.csv", ",".join(COLUMNS) + "\n")
    put("empty_file", "remittances.csv", b"")
    # --- impossible values
    put(
        "negative_count",
        "emigration.csv",
        to_csv(edit(read("emigration.csv"), "emi_2023_deu", value="-2283")),
    )
    put(
        "share_above_100",
        "border_crossings.csv",
        to_csv(edit(read("border_crossings.csv"), "arr_2024q1_cis_rus", share="164")),
    )
    put(
        "period_2024_q5",
        "residence_permits.csv",
        to_csv(edit(read("residence_permits.csv"), "trp_2024q1_total", period="2024-Q5")),
    )
    # --- numbers as agencies write them (accepted)
    put(
        "thousands_space",
        "border_crossings.csv",
        to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, " "))),
    )
    put(
        "thousands_nbsp",
        "border_crossings.csv",
        to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, "\u00a0"))),
    )
    put(
        "thousands_narrow_nbsp",
        "residence_permits.csv",
        to_csv(map_column(read("residence_permits.csv"), "value", lambda v: grouped(v, "\u202f"))),
    )
    put(
        "thousands_commas",
        "border_crossings.csv",
        to_csv(map_column(read("border_crossings.csv"), "value", lambda v: grouped(v, ","))),
    )
    comma = read("remittances.csv")
    for column in ("value", "share", "change"):
        map_column(comma, column, lambda v: v.replace(".", ","))
    put("decimal_comma", "remittances.csv", to_csv(comma))
    russian_scale = read("remittances.csv")
    for column in ("value", "change"):
        map_column(
            russian_scale,
            column,
            lambda v: v.replace(".", ",").replace(" million", " млн").replace(" billion", " млрд"),
        )
    put("russian_scale_words", "remittances.csv", to_csv(russian_scale))
    percent = read("border_crossings.csv")
    map_column(percent, "share", lambda v: v + "%")
    for row in percent:
        if row["change_unit"] == "percent":
            row["change"] += "%"
    put("percent_signs", "border_crossings.csv", to_csv(percent))
    put(
        "bad_group_spaces",
        "border_crossings.csv",
        to_csv(edit(read("border_crossings.csv"), "arr_2024q1_total", value="29 75 788")),
    )
    put(
        "too_many_decimals",
        "border_crossings.csv",
        to_csv(edit(read("border_crossings.csv"), "arr_2024q1_cis", share="58.2345")),
    )
    put(
        "too_many_digits",
        "border_crossings.csv",
        to_csv(edit(read("border_crossings.csv"), "arr_2023q4_total", value="34051020000000001")),
    )
    # --- duplicates
    emigration = read("emigration.csv")
    put("duplicate_row", "emigration.csv", to_csv([*emigration, dict(emigration[3])]))
    put(
        "duplicate_observation",
        "emigration.csv",
        to_csv([*emigration, dict(emigration[3], obs_id="emi_2023_pol_again")]),
    )
    # --- country names
    put(
        "russian_country_names",
        "residence_permits.csv",
        to_csv(map_column(read("residence_permits.csv"), "country", lambda v: RUSSIAN.get(v, v))),
    )
    put(
        "kazakh_country_names",
        "residence_permits.csv",
        to_csv(map_column(read("residence_permits.csv"), "country", lambda v: KAZAKH.get(v, v))),
    )
    put(
        "lookalike_letters",
        "border_crossings.csv",
        to_csv(map_column(read("border_crossings.csv"), "country", lambda v: LOOKALIKES.get(v, v))),
    )
    put(
        "unknown_country",
        "emigration.csv",
        to_csv(edit(read("emigration.csv"), "emi_2023_usa", country="Atlantis")),
    )
    put(
        "apostrophe_country",
        "emigration.csv",
        to_csv(edit(read("emigration.csv"), "emi_2023_isr", country="Côte d'Ivoire")),
    )
    # --- encodings and line structure
    cp1251 = map_column(read("residence_permits.csv"), "country", lambda v: RUSSIAN.get(v, v))
    put(
        "cp1251_encoding", "residence_permits.csv", to_csv(cp1251).encode("cp1251", errors="replace")
    )  # as Excel does: ü -> ?
    put("utf8_bom", "border_crossings.csv", b"\xef\xbb\xbf" + (Q1 / "border_crossings.csv").read_bytes())
    put(
        "utf16_encoding",
        "emigration.csv",
        (Q1 / "emigration.csv").read_text(encoding="utf-8").encode("utf-16"),
    )
    put(
        "crlf_line_endings",
        "labour_migration.csv",
        to_csv(read("labour_migration.csv"), line_terminator="\r\n"),
    )
    separator = edit(
        read("border_crossings.csv"),
        "arr_2024q1_total",
        published_text="a total of 2,975,788\u2028migrant arrivals",
    )
    put("line_separator_in_cell", "border_crossings.csv", to_csv(separator))
    lines = (Q1 / "emigration.csv").read_text(encoding="utf-8").split("\n")
    lines[4] = lines[4].rsplit(",", 1)[0] + ',"see note'  # row 5: the last cell opens a quote, never closed
    put("unclosed_quote", "emigration.csv", "\n".join(lines))
    lines = (Q1 / "emigration.csv").read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3].rsplit(",", 1)[0] + ',"checked'  # row 4: the last cell opens a quote ...
    lines[7] = lines[7].rsplit(",", 1)[0] + ',checked"'  # ... and row 8 closes it: rows 5-7 would vanish
    put("quote_swallows_rows", "emigration.csv", "\n".join(lines))
    short = (Q1 / "labour_migration.csv").read_text(encoding="utf-8").split("\n")
    short[2] = ",".join(next(csv.reader([short[2]]))[:12])  # row 3 cut after the value column
    put("short_row", "labour_migration.csv", "\n".join(short))
    long = (Q1 / "labour_migration.csv").read_text(encoding="utf-8").split("\n")
    long[5] = long[5] + ",stray"
    put("long_row", "labour_migration.csv", "\n".join(long))
    # --- files
    put("not_really_xlsx", "labour_migration.xlsx", (Q1 / "labour_migration.csv").read_bytes())
    put("misnamed_file", "Border_Crossings.CSV", (Q1 / "border_crossings.csv").read_bytes())
    put("backup_copy_in_folder", "border_crossings.csv.bak", (Q1 / "border_crossings.csv").read_bytes())
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
