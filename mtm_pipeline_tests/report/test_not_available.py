"""What the report says is not available is not in the warehouse: every delivered breakdown is stated.

The checker below reads every sentence of sections 2 to 7 that says a figure or a breakdown is missing ("Not
available for ...", "No figure for ... is available for comparison", "No breakdown of ... by country ...",
"has not yet published data for ...", ...), works out what it says is missing (the section's measure, the
period, and which figures: the total, the CIS / non-CIS figures, the breakdown by country, by CIS or non-CIS
country, by sector, category, education or purpose), and looks for it in the observations and the derived
figures the report was built from. A sentence of that kind the checker cannot read is a problem too, so a new
wording cannot slip past it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pytest

from mtm_pipeline.periods import parse_period, parse_quarter_key
from mtm_pipeline.report.narrative import CATEGORY_WORDS
from mtm_pipeline_tests.report import COUNTS_ONLY_QUARTER, counts_only_data_dir, derived_for, observations_for
from mtm_pipeline_tests.report.test_report_numbers import MONTHS, markdown_for

# The measure (and direction) a section's headline is about, by section number.
SECTION_MEASURE = {
    "2.1": ("border_crossings", "in"),
    "2.2": ("border_crossings", "out"),
    "3": ("trp_holders", None),
    "7": ("personal_remittances", None),  # both directions
    "4": ("prp_issued", None),
    "5": ("foreign_workers", None),
    "6": ("emigrants", None),
    "7.1": ("personal_remittances", "out"),
    "7.2": ("personal_remittances", "in"),
}
MISSING = re.compile(
    r"not available|no figures? (?:for|of)|no breakdown|not yet published|has not delivered"
    r"|were delivered for",
    re.IGNORECASE,
)
ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4}
_Q = r"(?:first|second|third|fourth|last)"
QUARTERS = re.compile(rf"({_Q}(?:(?:, | and ){_Q})*) quarters? of (\d{{4}})")
DATE = re.compile(rf"(\d{{1,2}}) ({'|'.join(MONTHS)}) (\d{{4}})")
YEAR = re.compile(r"(?<![\d-])(\d{4})(?![\d-])")
DIMS = ("country_iso3", "country_group", "purpose", "category", "sector", "education", "age_group")


@dataclass(frozen=True)
class Claim:
    """What a sentence says is missing: kind of figures of a measure (and direction) in a period."""

    sentence: str
    measure: str
    direction: str | None
    period: str
    kind: str  # headline | groups | countries | countries:CIS | countries:non-CIS | <dimension> | any


def periods_in(text: str) -> list[str]:
    """The periods a text names, as period labels ('2024-Q3', '2024-10-01', '2023')."""
    out, rest = [], text
    for m in re.finditer(r"the four quarters of (\d{4})", text):
        out += [f"{m.group(1)}-Q{q}" for q in range(1, 5)]
        rest = rest.replace(m.group(0), " ")
    for m in QUARTERS.finditer(rest):
        out += [f"{m.group(2)}-Q{ORDINAL[o]}" for o in re.findall(_Q, m.group(1))]
        rest = rest.replace(m.group(0), " ")
    for m in DATE.finditer(rest):
        out.append(f"{m.group(3)}-{MONTHS.index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}")
        rest = rest.replace(m.group(0), " ")
    out += YEAR.findall(rest)
    return out


def _kinds(items: str) -> list[str]:
    """The kinds of figures an enumeration of missing components names."""
    kinds = []
    items, _, categories = items.partition(" in the permit categories for ")
    if categories:  # '..., the numbers of foreign workers in the permit categories for <A>, <B> and <C>'
        kinds += [f"category:{code}" for code, words in CATEGORY_WORDS.items() if words in categories]
        items = re.sub(r"(?:(?:, | and )?the numbers of [^,]*)$", "", items)
    for item in re.split(r", (?:and )?| and (?=the )", items):
        if "total number" in item or "total volume" in item:
            kinds.append("headline")
        elif "stated purpose" in item:
            kinds.append("purpose")
        elif "CIS and non-CIS figures" in item:
            kinds.append("groups")
        elif "by sector" in item:
            kinds.append("sector")
        elif "by education" in item:
            kinds.append("education")
        elif re.search(r"by (?:CIS|non-CIS)? ?(?:and by (?:non-)?CIS )?country", item):
            groups = re.findall(r"by (non-CIS|CIS)\b", item)
            kinds += [f"countries:{g}" for g in groups] or ["countries"]
        elif item.strip():
            kinds.append(f"unread:{item.strip()}")
    return kinds


def claims_of(sentence: str, section: str, quarter: str) -> list[Claim]:
    """What one sentence of a section says is missing ([] with an unread claim where it cannot be read)."""
    measure, direction = SECTION_MEASURE.get(
        section, SECTION_MEASURE.get(section.split(".")[0], (None, None))
    )
    text = re.sub(r"\(latest[^)]*\)", "", sentence)  # where it is available, not a claim
    if "employers" in text:
        measure, direction = "employers_recruiting", None

    def claims(kinds, periods):
        return [Claim(sentence, measure, direction, p, k) for p in periods for k in kinds]

    if m := re.match(r"Not available (?:for|as of) (.*?): (.*)\.$", text):
        return claims(_kinds(m.group(2)), periods_in(m.group(1)))
    if m := re.search(r"No figures? for (.*?) (?:is|are) available for comparison", text):
        return claims(["headline"], periods_in(m.group(1)))
    if m := re.search(r"no figure for (.*?) is available", text):
        return claims(["headline"], periods_in(m.group(1)))
    if m := re.search(r"No breakdown of .* by country is available for (.*)\.", text):
        return claims(["countries"], periods_in(m.group(1)))
    if m := re.search(
        r"No figures of .* for nationals of (non-CIS|CIS) countries are available for (.*)\.", text
    ):
        return claims([f"countries:{m.group(1)}", f"group:{m.group(1)}"], periods_in(m.group(2)))
    if m := re.search(r"No figures of holders were delivered for (.*?);", text):
        return claims(["headline"], periods_in(m.group(1)))
    if m := re.search(r"has not yet published data for (.*?);", text):
        return claims(["any"], [quarter])
    if re.search(r"has not delivered any data on", text):
        return claims(["any"], [quarter])
    if m := re.search(r"is not available for (.*?);", text):
        return claims(["headline"], [quarter])
    return [Claim(sentence, measure, direction, "", "unread")]


def unavailability_claims(md: str, quarter: str) -> list[Claim]:
    """The claims of every sentence of sections 2 to 7 that says something is missing."""
    body = md[md.index("## 2. Migration") : md.index("## 8. Revised Figures")]
    section, out = None, []
    for block in body.split("\n\n"):
        block = block.strip()
        if m := re.match(r"#+\s+(\d+(?:\.\d+)?)", block):
            section = m.group(1)
            continue
        text = re.sub(r"\[\^\d+\]", "", block).strip("*")
        for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", text):
            if MISSING.search(sentence):
                out += claims_of(sentence, section, quarter)
    return out


def _within(label: str, quarter: str) -> bool:
    p, q = parse_period(label), parse_quarter_key(quarter)
    if p.kind == "date":
        return q.start < p.start <= q.end + pd.Timedelta(days=1)
    return q.start <= p.start and p.end <= q.end


def held(claim: Claim, warehouse: pd.DataFrame, quarter: str) -> bool:
    """The warehouse holds a figure (value or share) of the kind the claim says is missing."""
    rows = warehouse[warehouse["measure"] == claim.measure]
    if claim.direction is not None:
        rows = rows[rows["direction"] == claim.direction]
    rows = rows[rows["value"].notna() | rows["share"].notna()]
    if claim.kind == "any":
        return any(_within(str(p), quarter) for p in rows["period"].unique())
    rows = rows[rows["period"] == claim.period]
    filled = {d: rows[d].notna() for d in DIMS}
    if claim.kind == "headline":
        return bool((~pd.concat(filled, axis=1).any(axis=1)).any())
    if claim.kind == "groups" or claim.kind.startswith("group:"):
        group = claim.kind.split(":")[1] if ":" in claim.kind else None
        found = rows[filled["country_group"] & ~filled["country_iso3"]]
        return bool((found["country_group"] == group).any() if group else len(found))
    if claim.kind.startswith("countries"):
        found = rows[filled["country_iso3"] & (rows["country_iso3"] != "ZZZ")]
        if ":" in claim.kind:
            group = claim.kind.split(":")[1]
            member = found["cis_member"].map(lambda m: None if pd.isna(m) else ("CIS" if m else "non-CIS"))
            found = found[(found["country_group"] == group) | (member == group)]
        return bool(len(found))
    if claim.kind.startswith("category:"):
        return bool((rows["category"] == claim.kind.split(":")[1]).any())
    return bool(filled[claim.kind].any())


def problems_of(md: str, quarter: str, warehouse: pd.DataFrame) -> tuple[list[Claim], list[str]]:
    claims = unavailability_claims(md, quarter)
    problems = []
    for claim in claims:
        if (
            claim.kind.startswith("unread")
            or claim.measure is None
            or (claim.kind != "any" and not claim.period)
        ):
            problems.append(f"cannot read what is missing: {claim.sentence!r} ({claim.kind})")
        elif held(claim, warehouse, quarter):
            problems.append(
                f"{claim.kind} of {claim.measure} {claim.period} is in the warehouse: {claim.sentence!r}"
            )
    return claims, problems


def _warehouse(observations: pd.DataFrame, derived: pd.DataFrame, quarter: str) -> pd.DataFrame:
    rows = pd.concat([observations, derived], ignore_index=True)
    return rows[rows["delivery_quarter"] <= quarter]


@pytest.fixture(scope="module")
def counts_only():
    obs = observations_for("2024-Q1", "2024-Q2", COUNTS_ONLY_QUARTER, data_dir=counts_only_data_dir())
    derived = derived_for(obs)
    return markdown_for(COUNTS_ONLY_QUARTER, obs, derived), _warehouse(obs, derived, COUNTS_ONLY_QUARTER)


def test_periods_and_components_are_read():
    assert periods_in("the third and last quarters of 2023 and the second quarter of 2024") == [
        "2023-Q3",
        "2023-Q4",
        "2024-Q2",
    ]
    assert periods_in("as of 1 October 2024, 2023") == ["2024-10-01", "2023"]
    assert periods_in("the four quarters of 2023") == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    assert _kinds(
        "the total number of foreign workers and the numbers of foreign workers in the permit categories for "
        "specialists (third category) and seasonal work"
    ) == ["category:third", "category:seasonal", "headline"]
    assert _kinds(
        "the breakdown of permits by CIS and by non-CIS country and the CIS and non-CIS figures of permits"
    ) == [
        "countries:CIS",
        "countries:non-CIS",
        "groups",
    ]


def test_nothing_the_counts_only_warehouse_holds_is_called_not_available(counts_only):
    md, warehouse = counts_only
    claims, problems = problems_of(md, COUNTS_ONLY_QUARTER, warehouse)
    assert problems == []
    assert len(claims) >= 5  # the quarter lacks earlier periods' figures: sentences the check read


@pytest.mark.parametrize("quarter", ["2024-Q1", "2024-Q2"])
def test_nothing_a_real_quarter_holds_is_called_not_available(quarter):
    quarters = ("2024-Q1",) if quarter == "2024-Q1" else ("2024-Q1", "2024-Q2")
    obs = observations_for(*quarters)
    derived = derived_for(obs)
    claims, problems = problems_of(
        markdown_for(quarter, obs, derived), quarter, _warehouse(obs, derived, quarter)
    )
    assert problems == []
    assert claims


@pytest.mark.parametrize(
    ("section", "sentence"),
    [
        ("### 2.1 Migration Inflow", "No figure for the second quarter of 2024 is available for comparison."),
        (
            "## 4. Permanent",
            (
                "*No figures of permanent residence permits for nationals of CIS countries are "
                "available for the third quarter of 2024.*"
            ),
        ),
        (
            "## 4. Permanent",
            (
                "*Not available for the third quarter of 2024: the breakdown of permits by non-CIS "
                "country (latest: the first quarter of 2024).*"
            ),
        ),
        ("## 5. Labour", "*Not available as of 1 October 2024: the breakdown of foreign workers by sector.*"),
        (
            "## 6. Emigration",
            "*Not available for the third quarter of 2024: the breakdown of emigrants by education level.*",
        ),
        (
            "### 7.1 Personal",
            (
                "*Not available for the third quarter of 2024: the breakdown of remittances sent from "
                "Kazakhstan by country.*"
            ),
        ),
        ("### 7.2 Personal", "No data is not available in words the check does not know."),
    ],
)
def test_the_check_finds_a_false_not_available(counts_only, section, sentence):
    md, warehouse = counts_only
    start = md.index(section)
    end = md.index("\n\n", md.index("\n\n", start) + 2)
    changed = md[:end] + "\n\n" + sentence + md[end:]
    _, problems = problems_of(changed, COUNTS_ONLY_QUARTER, warehouse)
    assert len(problems) >= 1


def test_a_counts_only_quarter_states_the_permanent_residence_permits_by_country_with_shares(counts_only):
    """Section 4 names every delivered country (and the rest) with its share of its CIS / non-CIS group, as
    derived in the warehouse, and its count."""
    md, warehouse = counts_only
    section = md[md.index("## 4. Permanent") : md.index("## 5. Labour")]
    mine = warehouse[warehouse["delivery_quarter"] == COUNTS_ONLY_QUARTER]
    delivered = mine[
        (mine["measure"] == "prp_issued") & mine["country_iso3"].notna() & (mine["stage"] == "corrected")
    ]
    shares = mine[mine["derivation"] == "share_within_group"].set_index("obs_id")
    assert len(delivered) >= 10
    for row in delivered.itertuples():
        share = shares.loc[f"drv_share_in_group_{row.obs_id}"]
        decimals = max(0, -int(f"{share.share_precision:e}".split("e")[1]))
        name = "other countries" if row.country_iso3 == "ZZZ" else row.country_name
        stated = f"{share.share:.{decimals}f}\u2020 per cent ({row.value:,.0f} migrants) from "
        assert re.search(re.escape(stated) + r"(the )?" + re.escape(name), section), (stated, name)
