"""One notion of a missing cell, as the derived stage and the report read warehouse frames."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from mtm_pipeline.cells import missing_as_none
from mtm_pipeline.report.facts import clean as report_cell


@pytest.mark.parametrize(
    "cell",
    [
        None,
        pd.NA,
        pd.NaT,
        float("nan"),
        np.float64("nan"),
        np.float32("nan"),
        np.datetime64("NaT"),
        Decimal("NaN"),
    ],
)
def test_every_kind_of_missing_cell_is_none(cell):
    assert missing_as_none(cell) is None
    assert report_cell(cell) is None


@pytest.mark.parametrize("cell", [0, 0.0, False, "a", " a ", [float("nan"), 1.0], Decimal("1.5")])
def test_a_present_cell_is_kept(cell):
    assert missing_as_none(cell) is cell
    assert report_cell(cell) is cell


def test_blank_text_is_missing_only_when_asked():
    for text in ("", "  ", np.str_("")):
        assert missing_as_none(text) is text
        assert missing_as_none(text, blank_text=True) is None
        assert report_cell(text) is None


def test_numpy_scalars_become_python_scalars_only_when_asked():
    for cell, plain in ((np.int64(3), 3), (np.float64(2.5), 2.5), (np.bool_(True), True)):
        assert type(missing_as_none(cell)) is type(cell)
        converted = missing_as_none(cell, python_scalars=True)
        assert converted == plain and type(converted) is type(plain)
        assert type(report_cell(cell)) is type(plain)
    stamp = pd.Timestamp("2024-03-31")
    assert report_cell(stamp) is stamp
