"""Every number in the generated narrative is found again in the observations, formatted the same way.

The checker below is independent of the report code: it parses the Markdown, pulls out every number of
the key findings and sections 2 to 7, and for each one looks for an observation (in the section's
measures) whose value, share or stated change, formatted here at its published precision, is exactly
that text. The observation must also fit its context: its reference period is named in the section,
its country is named in the sentence, numbers follow the order in which their countries are named, and
an unsigned change agrees with the words around it ("less", "declined", "more"...). A number marked computed
(\u2020) must be a derived figure (published.derived_figures) and an unmarked one a published observation; a
change "computed from the two figures" is recomputed from the values of the two figures its derived row names
as inputs. The other marks after a number (* corrected, \u2021 flagged by a failed check) are read too: a
corrected number must be a corrected observation; when the flagged figures are given (obs_id and facet), a
number is marked flagged if and only if it is one of them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import pytest

from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline_tests.report import COUNTS_ONLY_QUARTER, counts_only_data_dir, derived_for, observations_for

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
ORDINALS = {1: ("first",), 2: ("second",), 3: ("third",), 4: ("fourth", "last")}
SECTION_MEASURES = {
    "2.1": {("border_crossings", "in")},
    "2.2": {("border_crossings", "out")},
    "3": {("trp_holders", None), ("trp_issued", None)},
    "4": {("prp_issued", None)},
    "5": {
        ("foreign_workers", None),
        ("employers_recruiting", None),
        ("work_permit_quota", None),
        ("work_permit_quota_share_of_labour_force", None),
    },
    "6": {("emigrants", None)},
    "7.1": {("personal_remittances", "out")},
    "7.2": {("personal_remittances", "in")},
}
NEGATIVE = re.compile(r"\b(less|fewer|lower|decrease|decreased|decline|declined|down)\b")
POSITIVE = re.compile(r"\b(more|higher|increase|increased|rose|up)\b")
NUMBER = re.compile(
    r"(?<![\w.,])([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\s(million|billion|thousand)\b)?(?:%|\stimes)?(\*)?"
    r"(\u2020)?(\u2021)?%?"
)


# ---------------------------------------------------------------- formatting, written again for the test


def _decimals(step) -> int:
    if step is None or (isinstance(step, float) and math.isnan(step)) or step >= 1:
        return 0
    return max(0, -Decimal(repr(float(step))).normalize().as_tuple().exponent)


def _scaled(value: float, step: float) -> set[str]:
    out = set()
    for scale, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        d = _decimals(step / scale)
        if abs(value) >= scale and d <= 3:
            out.add(f"{abs(value) / scale:,.{d}f} {word}")
    return out


def expected_texts(number: float, step, unit: str | None) -> set[str]:
    """How a published figure may be written: exact counts with separators, rounded ones with a scale word."""
    step = 1.0 if step is None or (isinstance(step, float) and math.isnan(step)) else float(step)
    if unit == "USD":
        return _scaled(number, step)
    if step > 1:
        return _scaled(number, step)
    return {f"{abs(number):,.{_decimals(step)}f}"}


@dataclass(frozen=True)
class Candidate:
    row: dict
    facet: str  # value | share | change
    signed: str | None  # '+1.0', '-12.6' for changes
    sign: int


def candidates_of(rows: list[dict]) -> dict[str, list[Candidate]]:
    out: dict[str, list[Candidate]] = {}
    for row in rows:
        if _num(row["value"]) is not None:
            unit = row["unit"]
            texts = (
                {f"{row['value']:.{_decimals(row['value_precision'])}f}"}
                if unit == "percent"
                else expected_texts(row["value"], row["value_precision"], unit)
            )
            for t in texts:
                out.setdefault(t, []).append(Candidate(row, "value", None, 0))
        if _num(row["share"]) is not None:
            out.setdefault(f"{row['share']:.{_decimals(row['share_precision'])}f}", []).append(
                Candidate(row, "share", None, 0)
            )
        change = _num(row["change"])
        if change is not None and row["change_unit"] != "direction":
            sign = (change > 0) - (change < 0)
            if row["change_unit"] == "absolute":
                texts = expected_texts(
                    change, row["change_precision"], "USD" if row["unit"] == "USD" else None
                )
            else:
                texts = {f"{abs(change):.{_decimals(row['change_precision'])}f}"}
            for t in texts:
                signed = ("-" if sign < 0 else "+") + t
                out.setdefault(t, []).append(Candidate(row, "change", signed, sign))
                out.setdefault(signed, []).append(Candidate(row, "change", signed, sign))
    return out


def _num(x):
    if x is None:
        return None
    try:
        return None if pd.isna(x) else float(x)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- reading the Markdown


def period_mentions(label: str) -> list[str]:
    if re.fullmatch(r"\d{4}-Q[1-4]", label):
        year, q = label[:4], int(label[-1])
        return [f"{o} quarter of {year}" for o in ORDINALS[q]]
    if re.fullmatch(r"\d{4}", label):
        return [label]
    y, m, d = label.split("-")
    return [f"{int(d)} {MONTHS[int(m) - 1]} {y}"]


def mentioned(label: str, text: str) -> bool:
    return any(label == p for p, _ in period_spans(text, [label]))


def period_spans(text: str, labels) -> list[tuple[str, tuple[int, int]]]:
    """(period, span) of every mention of the given periods; a year inside 'quarter of 2023' or a date is not
    a mention of the year."""
    found, taken = [], []
    for label in sorted(set(labels), key=lambda x: (len(x) == 4, x)):  # quarters and dates before years
        for phrase in period_mentions(label):
            for m in re.finditer(rf"(?<![\d-]){re.escape(phrase)}(?![\d-])", text):
                if not any(a <= m.start() and m.end() <= b for a, b in taken):
                    taken.append((m.start(), m.end()))
                    found.append((label, (m.start(), m.end())))
    return found


def nearest_period(spans, start: int, end: int) -> str | None:
    """The period named closest before a number in its sentence, else the closest after it."""
    before = [(s[1], p) for p, s in spans if s[1] <= start]
    if before:
        return max(before)[1]
    after = [(s[0], p) for p, s in spans if s[0] >= end]
    return min(after)[1] if after else None


def narrative(md: str) -> list[tuple[str, str]]:
    """(section key, paragraph text) of the key findings and sections 2 to 7, footnotes and escapes
    removed."""
    body = md[md.index("## II. Key Findings") : md.index("## 8. Revised Figures")]
    section, out = "II", []
    for block in body.split("\n\n"):
        block = block.strip()
        if block.startswith("#"):
            m = re.match(r"#+\s+([\dI]+(?:\.\d+)?)", block)
            section = m.group(1).rstrip(".") if m else section
            continue
        if not block or block.startswith(("![", "**", "|", "*Source", "*\u2020", "*\u2021", "*\\*")):
            continue
        if block.startswith("*") and not block.startswith("*\\") and block.endswith("*"):
            block = block[1:-1]
        text = re.sub(r"^(?:\d+\.|-)\s+", "", block, flags=re.MULTILINE)  # list markers
        text = re.sub(r"\[\^\d+\]", "", text)
        text = re.sub(r"\\([\\`*_\[\]<>|#])", r"\1", text)
        out.append((section, text))
    return out


def measures_for(section: str) -> set | None:
    if section in SECTION_MEASURES:
        return SECTION_MEASURES[section]
    top = section.split(".")[0]
    return SECTION_MEASURES.get(top) or (
        SECTION_MEASURES.get(f"{top}.1", set()) | SECTION_MEASURES.get(f"{top}.2", set()) or None
    )


def strip_non_figures(text: str, ages: list[str]) -> str:
    """Blank out numbers that are not figures: dates, 'Q1 2024', 'Table 1', age groups like '15+'."""
    text = re.sub(rf"\b\d{{1,2}} ({'|'.join(MONTHS)}) \d{{4}}\b", lambda m: " " * len(m.group()), text)
    text = re.sub(r"\bQ[1-4] \d{4}\b", lambda m: " " * len(m.group()), text)
    text = re.sub(r"\b(Table|Figure|Annex|Section) \d+(\.\d+)?", lambda m: " " * len(m.group()), text)
    for age in ages:
        text = text.replace(age, " " * len(age))
    return text


@dataclass
class _Figures:
    """The observations and derived rows a narrative is checked against, and what its text can name."""

    rows: list[dict]
    published: dict[tuple, dict]  # (delivery_quarter, obs_id) -> published observation
    every: dict[tuple, dict]  # (delivery_quarter, obs_id) -> observation or derived row
    years: set[str]
    ages: list[str]
    countries: list[str]
    periods: set[str]


def _figures(observations: pd.DataFrame, derived: pd.DataFrame | None) -> _Figures:
    """Observation and derived rows as dicts (missing labels None), with the years, ages, countries and
    periods they name (longest names first)."""
    rows = [{**r, "computed": False} for r in observations.to_dict("records")]
    if derived is not None and not derived.empty:
        rows += [
            _exact({**r, "computed": True, "corrected_fields": None}) for r in derived.to_dict("records")
        ]
    published = {(r["delivery_quarter"], r["obs_id"]): r for r in rows if not r["computed"]}
    every = {(r["delivery_quarter"], r["obs_id"]): r for r in rows}
    for row in rows:
        for key in ("direction", "country_name", "age_group"):
            if isinstance(row.get(key), float):
                row[key] = None
    years = {p[:4] for r in rows for p in (r["period"], r.get("change_base_period")) if isinstance(p, str)}
    ages = sorted({r["age_group"] for r in rows if r.get("age_group")}, key=len, reverse=True)
    countries = sorted({r["country_name"] for r in rows if r.get("country_name")}, key=len, reverse=True)
    periods = {p for r in rows for p in (r["period"], r.get("change_base_period")) if isinstance(p, str)}
    return _Figures(rows, published, every, years, ages, countries, periods)


@dataclass
class _Sentence:
    """One sentence of a section, with what its numbers are matched against."""

    section: str
    text: str
    context: str  # the whole text of the top-level section
    scope: list[dict]  # the rows of the section's measures
    table: dict  # token -> candidates, from candidates_of(scope)
    clean: str = ""
    mentions: dict[str, int] | None = None
    spans: list | None = None


def check_narrative(
    md: str,
    observations: pd.DataFrame,
    flagged: set[tuple[str, str]] | None = None,
    derived: pd.DataFrame | None = None,
) -> tuple[int, list[str]]:
    """(numbers checked, problems) for the narrative of a report built from `observations` and `derived`
    (published.derived_figures rows); `flagged`: the (obs_id, facet) that failed checks are about, facet
    value | share | change."""
    figures = _figures(observations, derived)
    problems, checked = [], 0
    paragraphs = narrative(md)
    section_text: dict[str, str] = {}
    for section, text in paragraphs:
        section_text[section.split(".")[0]] = section_text.get(section.split(".")[0], "") + "\n" + text
    for section, paragraph in paragraphs:
        measures = measures_for(section)
        scope = [r for r in figures.rows if measures is None or (r["measure"], r["direction"]) in measures]
        table = candidates_of(scope)
        context = section_text[section.split(".")[0]]
        for text in re.split(r"(?<=\.)\s+(?=[A-Z])|\n", paragraph):
            sentence = _Sentence(section, text, context, scope, table)
            sentence_checked, sentence_problems = _check_sentence(sentence, figures, flagged)
            checked += sentence_checked
            problems += sentence_problems
    return checked, problems


def _check_sentence(
    s: _Sentence, figures: _Figures, flagged: set[tuple[str, str]] | None
) -> tuple[int, list[str]]:
    """(numbers checked, problems) for the numbers of one sentence, left to right."""
    s.clean = strip_non_figures(s.text, figures.ages)
    s.mentions = _country_mentions(s.text, figures.countries)
    s.spans = period_spans(s.text, figures.periods)
    problems, checked = [], 0
    pointer, previous_end = -1, 0
    for m in NUMBER.finditer(s.clean):
        number, scale, _corrected, computed, _flag = m.group(1, 2, 3, 4, 5)
        if not scale and re.fullmatch(r"\d{4}", number) and number in figures.years:
            continue  # a year
        checked += 1
        token = number + (f" {scale}" if scale else "")
        after = s.clean[m.end() : m.end() + 40]
        if re.match(r"\s*per cent(?: \w+)?(?:,| \()\s*computed", after):
            if not computed or not _computed_ok(token, s.scope, figures.published):
                problems.append(
                    f"[{s.section}] computed {token!r} does not follow from the figures in: {s.text}"
                )
            previous_end = m.end()
            continue
        found = _candidates_in_context(s, token, m, previous_end, figures, flagged)
        if found and all(c.row.get("country_name") for c in found):
            ordered = sorted(found, key=lambda c: s.mentions[c.row["country_name"]])
            after_pointer = [c for c in ordered if s.mentions[c.row["country_name"]] >= pointer]
            if not after_pointer:
                problems.append(
                    f"[{s.section}] {token!r} is out of the order its countries are named in: {s.text}"
                )
            else:
                pointer = s.mentions[after_pointer[0].row["country_name"]]
        if not found:
            problems.append(f"[{s.section}] {token!r} matches no observation in context: {s.text}")
        previous_end = m.end()
    return checked, problems


def _candidates_in_context(
    s: _Sentence,
    token: str,
    m: re.Match,
    previous_end: int,
    figures: _Figures,
    flagged: set[tuple[str, str]] | None,
) -> list:
    """The candidates for `token` that fit the sentence: words around it, countries named, computed and
    corrected marks, the period named next to it and (when given) the flagged mark."""
    _number, _scale, corrected, computed, flag = m.group(1, 2, 3, 4, 5)
    found = [
        c for c in s.table.get(token, []) if _fits(c, token, s.text, s.context, s.clean, m, previous_end)
    ]
    found = [c for c in found if not c.row.get("country_name") or c.row["country_name"] in s.mentions]
    found = [c for c in found if c.row["computed"] == bool(computed)]
    found = [c for c in found if not c.row["computed"] or _recomputes(c, figures.every)]
    named = nearest_period(s.spans, m.start(), m.end())
    if named is not None:  # a value or share belongs to the period the sentence names next to it
        found = [c for c in found if c.facet == "change" or c.row["period"] == named]
    if corrected:
        found = [c for c in found if c.row.get("corrected_fields")]
    if flagged is not None:
        found = [c for c in found if ((c.row["obs_id"], c.facet) in flagged) == bool(flag)]
    return found


def _country_mentions(sentence: str, countries: list[str]) -> dict[str, int]:
    """Country -> rank of its first mention in the sentence (longest names first, no overlaps)."""
    taken, spans = [], {}
    for name in countries:
        label = "other countries" if name == "Other countries" else name
        for m in re.finditer(re.escape(label), sentence):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                taken.append((m.start(), m.end()))
                spans.setdefault(name, m.start())
    order = sorted(spans, key=spans.get)
    return {name: i for i, name in enumerate(order)}


def _fits(c: Candidate, token: str, sentence: str, context: str, clean: str, m, previous_end: int) -> bool:
    row = c.row
    if not mentioned(row["period"], context):
        return False
    if c.facet == "change":
        if not mentioned(row["change_base_period"], context):
            return False
        if token[0] in "+-":
            return token == c.signed
        words_after = clean[m.end() : m.end() + 25]
        words_before = clean[previous_end : m.start()]
        sign = _sign(words_after, first=True) or _sign(words_before, first=False)
        return sign in (0, c.sign)
    return token[0] not in "+-"


def _sign(text: str, first: bool) -> int:
    hits = [(x.start(), -1) for x in NEGATIVE.finditer(text)] + [
        (x.start(), 1) for x in POSITIVE.finditer(text)
    ]
    if not hits:
        return 0
    return sorted(hits)[0 if first else -1][1]


def _exact(row: dict) -> dict:
    """A derived figure whose interval is a point is that point (the DECIMAL column keeps four decimals)."""
    for name in ("value", "share", "change"):
        low, high = _num(row.get(f"{name}_low")), _num(row.get(f"{name}_high"))
        if _num(row.get(name)) is not None and low is not None and low == high:
            row[name] = low
    return row


def _inputs(row: dict, by_id: dict) -> list[dict] | None:
    """The rows a derived figure names as its inputs (None if one is not in the warehouse)."""
    out = []
    for lineage in str(row["input_obs_ids"]).split(","):
        quarter, _, obs_id = lineage.strip().rpartition("/")
        found = by_id.get((quarter or row["delivery_quarter"], obs_id))
        if found is None:
            return None
        out.append(found)
    return out


def _within(x: float, low, high) -> bool:
    return _num(low) is not None and _num(high) is not None and low - 1e-9 <= x <= high + 1e-9


def _recomputes(c: Candidate, by_id: dict) -> bool:
    """A derived figure in the text follows from the values of the figures it names as inputs: a share of a
    total, a group total, a country's share of its group, a group's share, a change."""
    row, inputs = c.row, _inputs(c.row, by_id)
    if inputs is None or any(_num(i.get("value")) is None for i in inputs):
        return False
    values = [float(i["value"]) for i in inputs]
    kind = row["derivation"]
    if c.facet == "change":
        return len(values) == 2 and _within(
            (values[0] / values[1] - 1) * 100, row["change_low"], row["change_high"]
        )
    if c.facet == "value" and kind in ("group_total", "year_sum"):
        return _within(sum(values), row["value_low"], row["value_high"])
    if c.facet == "share" and kind == "share_of_total":
        return len(values) == 2 and _within(values[0] / values[1] * 100, row["share_low"], row["share_high"])
    if c.facet == "share" and kind == "group_share":
        return _within(sum(values[:-1]) / values[-1] * 100, row["share_low"], row["share_high"])
    if c.facet == "share" and kind == "share_within_group":
        own = [float(i["value"]) for i in inputs if i.get("country_iso3") == row["country_iso3"]]
        return len(own) == 1 and _within(own[0] / sum(values) * 100, row["share_low"], row["share_high"])
    return False  # a derived figure of a kind this check cannot recompute is not accepted


def _computed_ok(token: str, scope: list[dict], published: dict) -> bool:
    """A change computed from two figures is a derived per cent change written at its precision, and
    (a / b - 1) x 100 of the values of the two published figures it names as inputs lies in its interval."""
    for r in scope:
        if not r["computed"] or r.get("change_unit") != "percent" or _num(r.get("change")) is None:
            continue
        if f"{abs(r['change']):.{_decimals(r['change_precision'])}f}" != token:
            continue
        ids = [x.strip() for x in str(r["input_obs_ids"]).split(",")]
        inputs = [
            published.get((q or r["delivery_quarter"], obs)) for q, _, obs in (i.rpartition("/") for i in ids)
        ]
        if len(inputs) != 2 or None in inputs:
            continue
        now, base = inputs
        change = (float(now["value"]) / float(base["value"]) - 1) * 100
        if r["change_low"] - 1e-9 <= change <= r["change_high"] + 1e-9:
            return True
    return False


# ---------------------------------------------------------------- the tests


def markdown_for(quarter: str, observations: pd.DataFrame, derived: pd.DataFrame | None = None) -> str:
    store = FactStore.from_observations(observations, derived=derived)
    doc, _ = compose_quarterly(QuarterlySource(quarter, store, pd.DataFrame(), pd.DataFrame()))
    return render_markdown(doc)


@pytest.fixture(scope="module")
def q1():
    obs = observations_for("2024-Q1")
    derived = derived_for(obs)
    return obs, markdown_for("2024-Q1", obs, derived), derived


def test_every_number_in_the_q1_narrative_comes_from_the_observations(q1):
    obs, md, derived = q1
    checked, problems = check_narrative(md, obs, derived=derived)
    assert problems == []
    assert checked >= 120  # the narrative is full of figures; a parser that finds none must not pass


def test_the_q1_text_opens_as_the_published_report_does(q1):
    obs, md, _ = q1
    total = obs[(obs.obs_id == "arr_2024q1_total")].iloc[0]
    base = obs[(obs.obs_id == "arr_2023q4_total")].iloc[0]
    assert (
        f"The National Border Service of Kazakhstan reported a total of {total.value:,.0f} migrant arrivals "
        f"in the first quarter of 2024, which is {abs(total.change)} per cent less than in the last quarter "
        f"of 2023 ({base.value:,.0f} migrants)"
    ) in md
    assert (
        "The National Bank of Kazakhstan has not yet published data for the first quarter of 2024; this "
        "section uses 2023 annual data" in md
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2,975,788 migrant arrivals", "2,975,789 migrant arrivals"),  # a wrong digit
        ("12.6 per cent less", "12.6 per cent more"),  # a wrong direction
        (
            "64 per cent from the Russian Federation, 27.4 per cent from Uzbekistan",
            "27.4 per cent from the Russian Federation, 64 per cent from Uzbekistan",
        ),  # swapped countries
        ("883.5 million USD", "883.6 million USD"),  # a wrong amount
        ("(2.7 million migrants)", "(2.70 million migrants)"),  # a digit the source did not publish
        ("45.2 per cent (2,602 migrants) from Uzbekistan", "45.2 per cent (2,602 migrants) from Kyrgyzstan"),
        (
            "a total of 2,975,788 migrant arrivals",
            "a total of 3,405,102 migrant arrivals",
        ),  # the base period's figure
    ],
)
def test_the_check_fails_when_a_number_is_wrong(q1, old, new):
    obs, md, derived = q1
    assert old in md
    _, problems = check_narrative(md.replace(old, new, 1), obs, derived=derived)
    assert problems


def test_every_number_in_the_q2_narrative_comes_from_the_observations():
    obs = observations_for("2024-Q1", "2024-Q2")
    derived = derived_for(obs)
    md = markdown_for("2024-Q2", obs, derived)
    checked, problems = check_narrative(md, obs, derived=derived)
    assert problems == []
    assert checked >= 20
    assert "34.5\u2020 per cent more, computed from the two figures" in md
    for old, new in (
        ("34.5\u2020 per cent more, computed", "35.4\u2020 per cent more, computed"),
        ("34.5\u2020 per cent more, computed", "34.5 per cent more, computed"),
    ):
        _, problems = check_narrative(md.replace(old, new), obs, derived=derived)
        assert problems


@pytest.fixture(scope="module")
def counts_only():
    obs = observations_for("2024-Q1", "2024-Q2", COUNTS_ONLY_QUARTER, data_dir=counts_only_data_dir())
    derived = derived_for(obs)
    return obs, markdown_for(COUNTS_ONLY_QUARTER, obs, derived), derived


def test_every_number_of_a_counts_only_quarter_recomputes_from_the_warehouse(counts_only):
    """A quarter delivered as counts only, after the two real ones: its shares, group totals, rankings and
    changes are derived figures, each stated where the Q1 2024 report states the published ones."""
    obs, md, derived = counts_only
    checked, problems = check_narrative(md, obs, derived=derived)
    assert problems == []
    assert checked >= 150
    marked = len(re.findall("\u2020", md.split("## 8. Revised Figures")[0]))
    assert marked >= 100  # shares, group splits and changes, all marked as computed


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        (
            r"(\d+\.\d)\u2020 per cent of total arrivals",
            "\\1 per cent of total arrivals",
        ),  # a computed share unmarked
        (
            r"of these, (\d+)\.(\d)\u2020 per cent",
            "of these, 1\\1.\\2\u2020 per cent",
        ),  # a wrong derived share
        (
            r"(\d+)\u2020 per cent (less|more) \(computed",
            "\\1.5\u2020 per cent \\2 (computed",
        ),  # a wrong change
    ],
)
def test_the_check_fails_on_a_wrong_derived_figure(counts_only, pattern, replacement):
    obs, md, derived = counts_only
    changed = re.sub(pattern, replacement, md, count=1)
    assert changed != md
    _, problems = check_narrative(changed, obs, derived=derived)
    assert problems


def test_the_check_fails_when_a_derived_figure_does_not_follow_from_its_inputs(counts_only):
    """Text and warehouse agree, but the derived figure is not what its inputs give: found."""
    obs, _, derived = counts_only
    wrong = derived.copy()
    row = (
        (wrong.derivation == "group_share")
        & (wrong.country_group == "CIS")
        & (wrong.direction == "in")
        & (wrong.measure == "border_crossings")
        & (wrong.delivery_quarter == COUNTS_ONLY_QUARTER)
    )
    assert row.sum() == 1
    wrong.loc[row, ["share", "share_low", "share_high"]] = 70.0
    md = markdown_for(COUNTS_ONLY_QUARTER, obs, wrong)
    assert "70.0\u2020 per cent of total arrivals" in md
    _, problems = check_narrative(md, obs, derived=wrong)
    assert any("70.0" in p for p in problems)
