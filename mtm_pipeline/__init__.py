"""Kazakhstan Migration Situation Report pipeline: agency extracts -> validated DuckDB warehouse -> report."""
