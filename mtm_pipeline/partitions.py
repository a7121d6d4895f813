"""Delivery quarters ('2024-Q1', ...) as dynamic partitions: a new folder in raw/ adds one."""

import warnings

import dagster as dg

# Asset checks carry the quarter partitions so the UI shows each quarter's result; Dagster 1.13 marks
# partitioned checks as a preview and would warn in every process that loads the definitions.
warnings.filterwarnings("ignore", message=r".*partitions_def on an AssetCheckSpec.*")
# Likewise the quarter assets' single-run backfill policy (one run over a range of quarters) is in beta.
warnings.filterwarnings("ignore", message=r".*`backfill_policy` of function `asset`.*")

QUARTERS_NAME = "quarter"
quarter_partitions = dg.DynamicPartitionsDefinition(name=QUARTERS_NAME)
