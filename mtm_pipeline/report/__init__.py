"""The quarterly Kazakhstan Migration Situation Report, generated from warehouse observations.

Every number in the text, tables and charts comes from one resolved set of facts (report.facts), so the
three can never disagree. The report states figures and computes none: a share, group total, ranking or change
that no source published comes from the derived stage (published.derived_figures) and is marked computed. Pure
modules (facts, format, figures_data, narrative, tables, document) hold no heavy imports; matplotlib, fpdf2
and openpyxl are imported inside the functions that render.

Entry points: report.inputs.load_report_inputs, report.build.build_quarterly_report and
report.build.build_trend_report.
"""
