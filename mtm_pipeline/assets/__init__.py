"""Dagster assets: thin wrappers over the pure steps in mtm_pipeline.ingest, .conform and .warehouse."""
