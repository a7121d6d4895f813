"""Helpers shared by tests that run the pipeline in-process."""

from __future__ import annotations

import dagster as dg

from mtm_pipeline.definitions import quarter_assets
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.resources import WarehouseResource


def materialize_quarters(warehouse: WarehouseResource, quarters, instance: dg.DagsterInstance) -> dict:
    """Materialise every quarter asset for each quarter, in-process, into the warehouse file."""
    instance.add_dynamic_partitions(
        QUARTERS_NAME, sorted({q for q in quarters if not instance.has_dynamic_partition(QUARTERS_NAME, q)})
    )
    results = {}
    for quarter in quarters:  # in order, repeats allowed (a re-run)
        results[quarter] = dg.materialize(
            quarter_assets,
            partition_key=quarter,
            instance=instance,
            resources={"warehouse": warehouse},
            raise_on_error=False,
        )
    return results
