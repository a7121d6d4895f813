"""Suggested corrections: for the failing findings of a stage, the edits of published figures that would
make the figures agree, ranked for a reviewer; never applied (a reviewer accepts one into
data/corrections/<quarter>.csv). Pure functions, no Dagster.

- search.py: the bounded search (candidates tried on their finding, then every rule on the rows around)
- typing_errors.py, signs.py, swaps.py, share_bases.py, pinned_values.py: one generator per kind of edit
- ranking.py: suggestions grouped and ranked, their evidence in words, findings no edit explains
"""

from mtm_pipeline.checks.suggest.ranking import Suggestions, suggest_corrections

__all__ = ["Suggestions", "suggest_corrections"]
