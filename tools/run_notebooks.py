#!/usr/bin/env python3
"""Execute notebooks top to bottom and save them in place, outputs included, for committing.

Usage:
    .venv/bin/python tools/run_notebooks.py                 # every notebooks/*.ipynb
    .venv/bin/python tools/run_notebooks.py notebooks/03-causality.ipynb ...

Each notebook runs in a fresh `python3` kernel (this interpreter's, so the venv's)
with its own directory as the working directory and a 120 s limit per cell.
Widget state is saved in the notebook metadata, so committed widgets render.
A notebook with an error output (outside cells tagged `raises-exception`) is
reported and NOT saved; the exit status is then 1.
tests/test_notebooks.py uses the same functions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 120
KERNEL_NAME = "python3"


def notebook_paths(args: list[str]) -> list[Path]:
    """The notebooks named in `args`, or every notebooks/*.ipynb in order."""
    return [Path(arg) for arg in args] if args else sorted(NOTEBOOKS.glob("*.ipynb"))


def execute_notebook(path: Path) -> nbformat.NotebookNode:
    """Run `path` top to bottom in a fresh kernel and return it with outputs (not saved)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.resolve().parent)}},
    )
    client.execute()
    return nb


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """One line per error output, "cell N: Name: message", skipping `raises-exception` cells."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                found.append(f"cell {number}: {output.ename}: {output.evalue}")
    return found


def main(argv: list[str] | None = None) -> int:
    """Execute and save each notebook; return 1 if any had errors."""
    status = 0
    for path in notebook_paths(sys.argv[1:] if argv is None else argv):
        nb = execute_notebook(path)
        errors = error_outputs(nb)
        if errors:
            status = 1
            print(f"{path}: NOT saved, errors:\n  " + "\n  ".join(errors), file=sys.stderr)
            continue
        nbformat.write(nb, path)
        print(f"{path}: executed and saved")
    return status


if __name__ == "__main__":
    sys.exit(main())
