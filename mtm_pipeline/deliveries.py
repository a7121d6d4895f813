"""What has been delivered to raw/: content fingerprints per quarter, and sources missing from a quarter."""

from __future__ import annotations

import hashlib
import json

from mtm_pipeline.ingest import discover_quarters
from mtm_pipeline.narrative_text import NarrativeError, narrative_files
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import EXTENSIONS
from mtm_pipeline.sources.reader import file_sha256


def quarter_files(paths: DataPaths, quarter: str) -> dict[str, str]:
    """Extract file name -> SHA-256 for one quarter folder (only files named like a source)."""
    folder = paths.quarter_dir(quarter)
    names = {f"{spec.file_stem}{ext}" for spec in SOURCES.values() for ext in EXTENSIONS}
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir()) if p.name in names and p.is_file()}


def fingerprint(files: dict[str, str]) -> str:
    """One hash for a quarter's delivered content: same files, same bytes -> same fingerprint."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def delivered_fingerprints(paths: DataPaths) -> dict[str, str]:
    quarters, _ = discover_quarters(paths)
    return {q: fingerprint(files) for q in quarters if (files := quarter_files(paths, q))}


def narrative_fingerprints(paths: DataPaths) -> dict[str, str]:
    """One hash per quarter (of raw/) for the analyst's Markdown files in narrative/<quarter>/, where it has
    any. A folder that would be refused gets the hash of its reason, so the report runs and says it, and the
    other quarters are watched as before."""
    quarters, _ = discover_quarters(paths)
    out = {}
    for quarter in quarters:
        try:
            folder = paths.confine(paths.narrative / quarter)
            files = {p.name: file_sha256(p) for p in narrative_files(folder, f"narrative/{quarter}")}
        except (ValueError, NarrativeError) as refused:
            files = {"refused": str(refused)}
        if files:
            out[quarter] = fingerprint(files)
    return out


def missing_sources(paths: DataPaths, quarter: str, expected: list[str] | None = None) -> list[str]:
    """Expected sources (default: all five) with no extract in raw/<quarter>/."""
    expected = expected or list(SOURCES)
    folder = paths.quarter_dir(quarter)
    present = {p.stem for p in folder.iterdir()} if folder.is_dir() else set()
    return [source for source in expected if SOURCES[source].file_stem not in present]
