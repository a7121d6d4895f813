"""The import contracts in pyproject.toml ([tool.importlinter]): data flows one way (sources -> conformed
stages -> checks -> derived figures -> report -> operations) and the stages do not import Dagster.

The contracts are checked by import-linter's own command, `lint-imports`, as CI would; the second test
proves they can fail: a copy of the package with one backward import and one Dagster import in a stage
is refused, naming both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mtm_pipeline

PACKAGE = Path(mtm_pipeline.__file__).parent
CONFIG = PACKAGE.parent / "pyproject.toml"


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` over the package found in `root`, with the project's contracts and no cache."""
    command = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(command), "--config", str(CONFIG), "--no-cache", "--no-logo"],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_its_import_contracts():
    result = _lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_backward_import_and_dagster_in_a_stage_break_the_contracts(tmp_path):
    copy = tmp_path / "mtm_pipeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # A source (the first stage) reaching into the report (a later stage), and a derivation using Dagster.
    with (copy / "sources" / "contract.py").open("a", encoding="utf-8") as module:
        module.write("\nfrom mtm_pipeline.report import build  # noqa: E402,F401\n")
    with (copy / "derive" / "shares.py").open("a", encoding="utf-8") as module:
        module.write("\nimport dagster  # noqa: E402,F401\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "0 kept, 2 broken" in result.stdout, result.stdout
    assert "mtm_pipeline.sources.contract -> mtm_pipeline.report.build" in result.stdout
    assert "mtm_pipeline.derive.shares -> dagster" in result.stdout


def test_every_module_of_the_package_has_a_layer(tmp_path):
    """The layers contract is exhaustive: a new top-level module must be given its place."""
    copy = tmp_path / "mtm_pipeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (copy / "unplaced.py").write_text('"""A module nobody placed in a layer."""\n', encoding="utf-8")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "mtm_pipeline.unplaced" in result.stdout + result.stderr
