#!/usr/bin/env python3
"""Write the Raft notebooks 05, 06 and 07 (cells only, no outputs).

Usage:
    .venv/bin/python tools/raft_notebooks.py            # writes notebooks/05-07
    .venv/bin/python tools/run_notebooks.py notebooks/05-raft-election.ipynb ...

The cells live in tools/raft_nb05.py, raft_nb06.py and raft_nb07.py (one list
of ("md" | "code", text) per notebook), so prose and code are reviewed as
Python files; then `tools/run_notebooks.py` executes them and
saves the outputs to commit. Edit the cells, regenerate, re-run. Prose quotes
numbers from the seeded runs; check them against the executed notebook.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from raft_nb05 import CELLS as NB05  # noqa: E402
from raft_nb06 import CELLS as NB06  # noqa: E402
from raft_nb07 import CELLS as NB07  # noqa: E402

#: notebook name -> its cells, (kind, text) with kind "md" or "code"
CONTENT: dict[str, list[tuple[str, str]]] = {
    "05-raft-election": NB05, "06-raft-replication": NB06, "07-raft-safety": NB07}


def cell(kind: str, text: str) -> nbformat.NotebookNode:
    """One notebook cell from dedented text."""
    source = textwrap.dedent(text).strip("\n")
    if kind == "md":
        return nbformat.v4.new_markdown_cell(source)
    return nbformat.v4.new_code_cell(source)


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A python3 notebook of ``cells`` (kind, text)."""
    nb = nbformat.v4.new_notebook(cells=[cell(kind, text) for kind, text in cells])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv: list[str]) -> int:
    """Write every notebook named in ``argv`` (default: all three)."""
    names = argv or list(CONTENT)
    for name in names:
        path = NOTEBOOKS / f"{name}.ipynb"
        nbformat.write(build(CONTENT[name]), path)
        print(f"{path}: written (run tools/run_notebooks.py on it to add outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
