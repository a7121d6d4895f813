"""Small helpers for asset metadata (plain Python types only: Dagster rejects numpy scalars)."""

import pandas as pd

OWNERS = ["team:mtm-data"]


def markdown_preview(frame: pd.DataFrame, columns: list[str], limit: int = 10) -> str:
    """A Markdown table of the first rows, for the asset's metadata in the UI."""
    shown = frame[columns].head(limit).astype(object).where(frame[columns].head(limit).notna(), "")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
        for row in shown.itertuples(index=False)
    ]
    return "\n".join(lines)
