"""Delivery quarters ('2024-Q1', ...) as dynamic partitions: a new folder in raw/ adds one."""

import dagster as dg

QUARTERS_NAME = "quarter"
quarter_partitions = dg.DynamicPartitionsDefinition(name=QUARTERS_NAME)
