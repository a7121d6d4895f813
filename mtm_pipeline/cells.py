"""Cells of warehouse frames as plain Python values: one notion of a missing cell for every layer."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def missing_as_none(x: Any, *, blank_text: bool = False, python_scalars: bool = False) -> Any:
    """None for every kind of missing cell (None, NaN, pd.NA, NaT, a numpy NaN or NaT), else the cell.

    blank_text:     text that is empty or only spaces is missing too.
    python_scalars: a numpy scalar comes back as the Python scalar (numpy.int64(3) -> 3).
    """
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    kind = type(x)  # the common cells first, without pd.isna: derivations read thousands of them
    if kind is str:
        return None if blank_text and not x.strip() else x
    if kind is float:
        return None if math.isnan(x) else x
    if kind is int or kind is bool:
        return x
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):  # a list or array: not one missing cell
        pass
    if isinstance(x, str):  # numpy.str_ and other kinds of text
        return None if blank_text and not x.strip() else x
    if python_scalars and hasattr(x, "item"):
        return x.item()
    return x
