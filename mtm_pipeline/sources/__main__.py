"""Commands on delivered files: `python -m mtm_pipeline.sources explain FILE [--source S] [--quarter Q]`
shows how a file would be read, without loading anything (docs/explain.md); it exits 1 when the file
would be refused and 2 when it cannot be explained as given."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mtm_pipeline.sources.explain import ExplainError, explain


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit status: 0 read, 1 refused, 2 wrong arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m mtm_pipeline.sources", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("explain", help="show how a delivered file would be read, loading nothing")
    command.add_argument("file", type=Path)
    command.add_argument("--source", help="the source (default: from the file name, e.g. border_crossings)")
    command.add_argument("--quarter", help="the delivery quarter (default: the file's folder, e.g. 2024-Q3)")
    options = parser.parse_args(argv)
    try:
        explanation = explain(options.file, options.source, options.quarter)
    except ExplainError as error:
        print(f"{options.file}: {error}", file=sys.stderr)
        return 2
    try:
        print(explanation.text())
    except BrokenPipeError:  # the output piped into a pager or `head` that stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stays open until the interpreter exits
    return 1 if explanation.refused else 0


if __name__ == "__main__":
    sys.exit(main())
