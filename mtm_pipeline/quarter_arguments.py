"""Quarter keys given on the command line (`cli run`, `suggestions show|accept`), checked before anything
is staged, written or added to the Dagster instance.

A key is exactly `YYYY-Qn` with n from 1 to 4, as the quarter's folder in raw/ is named: no spaces around
it, no path (`../../etc`), no quarter 5. A key the command line refuses names what is wrong and what to
type instead; a well-formed key with no folder in raw/ is refused too, listing the quarters delivered.
"""

from __future__ import annotations

import re

from mtm_pipeline.ingest import discover_quarters
from mtm_pipeline.periods import is_quarter_key
from mtm_pipeline.settings import DataPaths

_NUMBERED = re.compile(r"[0-9]{4}-Q[0-9]+", re.ASCII)
EXAMPLE = "2024-Q1"


class QuarterArgumentError(ValueError):
    """A quarter key on the command line that is malformed, or names no delivered quarter."""


def key_problem(text: str) -> str | None:
    """What is wrong with `text` as a quarter key (None when it is one), for the user to read."""
    if is_quarter_key(text):
        return None
    if text.strip() != text:
        return f"{text!r} has spaces around it: give the key alone, like {text.strip() or EXAMPLE}"
    if any(mark in text for mark in ("/", "\\", "..")) or text.startswith("~"):
        return f"{text!r} is a path: give a quarter key like {EXAMPLE} (the name of a folder in raw/)"
    if _NUMBERED.fullmatch(text):
        return f"{text!r} is not a quarter: a year has quarters Q1 to Q4"
    return f"{text!r} is not a quarter key: use YYYY-Qn with n from 1 to 4, like {EXAMPLE}"


def check_quarter_keys(texts: list[str]) -> list[str]:
    """The keys, each once and in the order given; QuarterArgumentError naming every malformed one."""
    problems = [problem for text in texts if (problem := key_problem(text))]
    if problems:
        raise QuarterArgumentError("\n".join(problems))
    return list(dict.fromkeys(texts))


def check_delivered(quarters: list[str], paths: DataPaths) -> None:
    """QuarterArgumentError when a quarter has no folder in raw/ (listing the quarters that have one)."""
    delivered, _ = discover_quarters(paths)
    unknown = [quarter for quarter in quarters if quarter not in delivered]
    if unknown:
        folders = ", ".join(f"raw/{quarter}/" for quarter in unknown)
        have = ", ".join(delivered) or "none"
        raise QuarterArgumentError(
            f"no quarter folder {folders} in {paths.root}: the quarters delivered are {have}. "
            "Put the quarter's extracts in its folder, or check MTM_DATA_DIR."
        )


def delivered_quarter_keys(texts: list[str], paths: DataPaths) -> list[str]:
    """The command line's quarter keys, well formed and each with its folder in raw/ (else an error)."""
    quarters = check_quarter_keys(texts)
    check_delivered(quarters, paths)
    return quarters


def invalid_partition_keys(keys: list[str]) -> list[str]:
    """Partition keys that are not quarter keys (left in an instance by an earlier, unchecked command)."""
    return [key for key in keys if not is_quarter_key(key)]
