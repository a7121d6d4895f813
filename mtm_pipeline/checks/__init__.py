"""Consistency checks of published figures and the reviewed corrections applied between stages.

- intervals.py: interval arithmetic for figures published at a precision.
- findings.py: Finding, the result of one rule evaluation, and how figures are written in it.
- rules/: RULES and evaluate_rules (generic, precision-aware rules over the long-format observations),
  one module per concern (observations, look-ups, wording of findings, the rules by what they check).
- corrections.py: load_corrections / apply_corrections (data/corrections/<quarter>.csv).
"""
