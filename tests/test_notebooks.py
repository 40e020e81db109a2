"""Notebooks run top to bottom from their sources and are committed with clean-run outputs.

Execution uses tools/build_notebooks.py (fresh `python3` kernel from the venv,
cwd = notebooks/, 120 s per cell) on the cells of notebooks/NN-name.py, and
never writes anything back. tests/test_notebook_sources.py checks that each
.ipynb has the cells of its source.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from build_notebooks import NOTEBOOKS, error_outputs, execute, fix_command, read_source, source_of

pytestmark = pytest.mark.notebook


def _notebook_params() -> list:
    """One param per notebooks/*.ipynb, or a single skipped param when there are none."""
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks in notebooks/ yet"))]
    return [pytest.param(path, id=path.name) for path in paths]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", _notebook_params())
def test_notebook_runs_without_errors(path: Path) -> None:
    """Every code cell of the source runs; no error output outside `raises-exception` cells."""
    errors = error_outputs(execute(read_source(source_of(path))))
    assert not errors, f"{path.name} raised:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", _notebook_params())
def test_notebook_committed_with_outputs(path: Path) -> None:
    """Non-empty code cells carry execution counts 1, 2, 3, ... from one clean run."""
    nb = nbformat.read(path, as_version=4)
    counts = [
        cell.execution_count
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name} is not saved from a clean top-to-bottom run (execution counts {counts}); "
        f"run `{fix_command(path.stem)}` and commit it"
    )
