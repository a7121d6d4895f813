"""Suggested corrections: for the failing findings of a stage, the edits of published figures that would
make the figures agree, ranked for a reviewer; never applied (a reviewer accepts one into
data/corrections/<quarter>.csv). Pure functions, no Dagster.

The kinds of edit follow Statistics Netherlands' deductive correction methods (deducorrect / deductive:
typing errors within one restricted Damerau-Levenshtein edit, sign flips and interchanged values under the
rules; rounding differences treated apart from errors) and the ranking errorlocate's principle of changing
as few fields as possible (Fellegi and Holt), by single edits and by sets of up to three edits. Unlike
those, every figure stands for its interval of rounding (the checks' intervals), and every suggestion says
in words what it undoes and which findings pass.

- search.py: the bounded search of single edits, then of sets where single edits leave findings unexplained
- trials.py: the two tests an edit (or a set of edits) goes through, on the stage or an edited copy
- sets.py: sets of up to three edits that together explain a group of findings (Fellegi and Holt)
- typing_errors.py, signs.py, swaps.py, share_bases.py, pinned_values.py: one generator per kind of edit
- order.py, ranking.py, wording.py: suggestions ranked, their evidence in words, findings no edit explains
"""

from mtm_pipeline.checks.suggest.ranking import Suggestions, suggest_corrections

__all__ = ["Suggestions", "suggest_corrections"]
