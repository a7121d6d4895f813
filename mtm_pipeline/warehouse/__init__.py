"""DuckDB warehouse access: table definitions, connections, atomic writes."""

from mtm_pipeline.warehouse.connection import WarehouseLockTimeout, connect, quote_ident
from mtm_pipeline.warehouse.load import replace_rows

__all__ = ["WarehouseLockTimeout", "connect", "quote_ident", "replace_rows"]
