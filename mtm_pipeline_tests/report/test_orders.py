"""Every order the report states comes from the ranks published or derived in the warehouse.

- No code of the report sorts, or takes the largest or smallest of, figure values, shares or changes.
- Where the derived ranks are rank_uncertain (the published precision allows another order), the text says
  the order is not certain instead of naming one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline_tests.report import derived_for, frame

REPORT = Path(__file__).resolve().parents[2] / "mtm_pipeline" / "report"
FIGURE_ATTRIBUTES = {"value", "share", "change", "point"}  # (`changes` is a list of them)
ORDERING_CALLS = {"sorted", "max", "min", "sort", "sort_values", "nlargest", "nsmallest", "most_common"}
NOT_CERTAIN = "not certain within the published precision"


def _orderings_of_figures(source: str) -> list[int]:
    """Lines of calls that order or pick the extreme of figure values (an attribute value, share, change)."""
    tree = ast.parse(source)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}  # key=a named function
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in ORDERING_CALLS:
            continue
        inside = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(node.func, ast.Attribute):
            inside.append(node.func.value)
        inside += [functions[n.id] for n in list(inside) if isinstance(n, ast.Name) and n.id in functions]
        if _figure_attributes(inside):
            found.append(node.lineno)
    return found


def _figure_attributes(nodes: list[ast.AST]) -> set[str]:
    """Figure attributes read in these nodes, other than to test whether there is one (`f.value is None`)."""
    presence = set()
    for part in nodes:
        for n in ast.walk(part):
            if isinstance(n, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot)) for op in n.ops):
                presence |= {id(a) for a in [n.left, *n.comparators]}
    return {
        a.attr
        for part in nodes
        for a in ast.walk(part)
        if isinstance(a, ast.Attribute) and a.attr in FIGURE_ATTRIBUTES and id(a) not in presence
    }


def test_the_check_finds_a_sort_of_figure_values():
    assert _orderings_of_figures("x = sorted(facts, key=lambda f: -f.value)") == [1]
    assert _orderings_of_figures("top = max(facts, key=lambda f: f.share)") == [1]
    assert _orderings_of_figures("pairs.sort(key=lambda fc: abs(fc[1].value))") == [1]
    assert _orderings_of_figures("def k(f):\n    return -f.share\n\nx = sorted(facts, key=k)") == [4]
    assert _orderings_of_figures("x = sorted(facts, key=lambda f: f.rank)") == []
    assert _orderings_of_figures("x = max(periods, key=lambda p: (p.end, head.value is not None))") == []


def test_no_code_of_the_report_orders_figure_values():
    found = {
        f"{path.relative_to(REPORT)}:{line}"
        for path in REPORT.rglob("*.py")
        for line in _orderings_of_figures(path.read_text(encoding="utf-8"))
    }
    assert found == set()


# ---------------------------------------------------------------- rank_uncertain in the text

ARR = {"source": "border_crossings", "measure": "border_crossings", "direction": "in", "unit": "persons"}


def _markdown(rows: pd.DataFrame) -> str:
    store = FactStore.from_observations(rows, derived=derived_for(rows))
    doc, _ = compose_quarterly(QuarterlySource("2024-Q1", store, pd.DataFrame(), pd.DataFrame()))
    return render_markdown(doc)


def _arrivals(shares: dict[str, tuple[str, float]]) -> pd.DataFrame:
    rows = [
        {**ARR, "obs_id": "t", "value": 1000000.0, "value_precision": 1.0},
        {**ARR, "obs_id": "non", "country_group": "non-CIS", "share": 40.0, "share_precision": 0.1},
    ]
    rows[1]["part_of"] = "t"
    for iso, (name, share) in shares.items():
        rows.append(
            {
                **ARR,
                "obs_id": f"non_{iso.lower()}",
                "country_iso3": iso,
                "country_name": name,
                "country": name,
                "country_group": "non-CIS",
                "share": share,
                "share_precision": 0.1,
                "part_of": "non",
                "parts_complete": False,
            }
        )
    return frame(*rows)


def _finding(md: str, start: str) -> str:
    return next(line for line in md.splitlines() if start in line)


def test_the_top_three_are_named_in_order_when_the_ranks_are_certain():
    md = _markdown(
        _arrivals(
            {"CHN": ("China", 28.5), "TUR": ("Türkiye", 8.9), "IND": ("India", 7.7), "USA": ("USA", 7.0)}
        )
    )
    line = _finding(md, "top three")
    assert "China, Türkiye and India are the top three countries of origin among non-CIS" in line
    assert NOT_CERTAIN not in line


def test_an_uncertain_order_is_said_instead_of_named():
    """Türkiye and India are both published as 8.9 per cent: their order is not known."""
    md = _markdown(
        _arrivals(
            {"CHN": ("China", 28.5), "TUR": ("Türkiye", 8.9), "IND": ("India", 8.9), "USA": ("USA", 7.0)}
        )
    )
    line = _finding(md, "top three")
    assert "are the top three countries of origin among non-CIS countries" in line
    assert line.rstrip().endswith(f"; the order is {NOT_CERTAIN}.")


def test_an_uncertain_membership_of_the_top_three_is_said():
    """India and the USA tie for third place: which three are the top three is not known."""
    md = _markdown(
        _arrivals(
            {"CHN": ("China", 28.5), "TUR": ("Türkiye", 8.9), "IND": ("India", 7.0), "USA": ("USA", 7.0)}
        )
    )
    line = _finding(md, "among non-CIS")
    assert "China, Türkiye, India and USA are the countries of origin with the most arrivals" in line
    assert "top three, and their order, is " + NOT_CERTAIN in line


REM = {
    "source": "remittances",
    "measure": "personal_remittances",
    "direction": "in",
    "unit": "USD",
    "period": "2023",
    "value_precision": 1e5,
}


def _remittances(changes: dict[str, float]) -> pd.DataFrame:
    rows = [{**REM, "obs_id": "t", "value": 300e6}]
    for i, (name, change) in enumerate(changes.items()):
        rows.append(
            {
                **REM,
                "obs_id": f"c{i}",
                "country_iso3": name[:3].upper(),
                "country_name": name,
                "country": name,
                "value": 10e6 * (i + 1),
                "part_of": "t",
                "change": change,
                "change_precision": 0.1,
                "change_unit": "percent",
                "change_base_period": "2022",
            }
        )
    return frame(*rows)


def test_the_largest_changes_come_from_their_ranks():
    md = _markdown(
        _remittances({"Aland": 60.9, "Borduria": 7.8, "Carpania": -78.5, "Dalmia": -67.1, "Elbonia": -2.6})
    )
    line = _finding(md, "the largest increases")
    assert "the largest increases were for Aland (+60.9%) and Borduria (+7.8%)" in line
    assert "the largest declines were for Carpania (-78.5%) and Dalmia (-67.1%)." in line
    assert NOT_CERTAIN not in line


def test_tied_changes_are_not_given_an_order():
    md = _markdown(_remittances({"Aland": 60.9, "Carpania": -59.4, "Dalmia": -59.4, "Elbonia": -2.6}))
    line = _finding(md, "the largest declines")
    assert (
        "the largest declines were for Carpania (-59.4%) and Dalmia (-59.4%) (the order is " + NOT_CERTAIN
        in line
    )


EMI = {
    "source": "emigration",
    "measure": "emigrants",
    "unit": "persons",
    "agency": "Bureau of National Statistics",
}


def _emigrants(values: dict[str, float], precision: float) -> pd.DataFrame:
    rows = [{**EMI, "obs_id": "t", "value": 10000.0, "value_precision": 1.0}]
    for i, (name, value) in enumerate(values.items()):
        rows.append(
            {
                **EMI,
                "obs_id": f"e{i}",
                "country_iso3": name[:3].upper(),
                "country_name": name,
                "country": name,
                "value": value,
                "value_precision": precision,
                "part_of": "t",
                "parts_complete": False,
            }
        )
    return frame(*rows)


def test_the_primary_destination_is_named_only_when_its_rank_is_certain():
    certain = _finding(
        _markdown(_emigrants({"Aland": 3400.0, "Borduria": 600.0}, 1.0)), "primary destination"
    )
    assert "Aland was the primary destination" in certain
    assert "The second most popular destination was Borduria: 600." in certain
    md = _markdown(
        _emigrants({"Aland": 3400.0, "Borduria": 3400.0, "Carpania": 600.0}, 100.0)
    )  # 3.4 thousand
    assert "primary destination" not in md and "second most popular" not in md
    line = _finding(md, "seeking permanent residence went to")
    assert f"and Carpania: 600; the order is {NOT_CERTAIN}." in line
