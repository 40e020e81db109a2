#!/usr/bin/env python3
"""Build the notebooks from their sources: notebooks/NN-name.py -> notebooks/NN-name.ipynb.

Usage (``make notebooks`` and ``make notebooks NB=05-raft-election`` call the first):
    .venv/bin/python tools/build_notebooks.py [NAME ...]       # write, execute, save
    .venv/bin/python tools/build_notebooks.py --check [NAME ...]  # only say which are stale

Each notebook has a jupytext "py:percent" source beside it, ``notebooks/NN-name.py``:
that text file is what contributors edit and review. Building one notebook

1. reads the source (cells, tags, the kernelspec in its header),
2. executes it top to bottom in a fresh ``python3`` kernel (this interpreter's, so
   the venv's, importing this checkout's consensus_lab) with notebooks/ as the
   working directory and 120 s per cell, storing the widget state so committed
   widgets render,
3. writes ``NN-name.ipynb`` with those outputs -- unless a cell not tagged
   ``raises-exception`` produced an error, a cell timed out or the kernel died:
   then nothing is written, the problem is printed, the other notebooks are still
   built and the exit status is 1.

NAME may be a notebook's full name or its number ("05"); several may be given.
Cell ids are derived from each cell's text, so rebuilding an unchanged source
gives the same cells; widget model ids are renumbered in reading order
(:func:`stable_widget_ids`) and outputs tidied (:func:`tidy_outputs`), so a
rebuild only changes outputs that really differ (the wall-clock times of the
real etcd runs, say).
tests/test_notebook_sources.py uses :func:`stale` to fail when a source and its
notebook disagree; tests/test_notebooks.py uses :func:`execute` and
:func:`error_outputs`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
CELL_TIMEOUT_S = 120
KERNEL_NAME = "python3"
SOURCE_FORMAT = "py:percent"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: kept in the .ipynb so JupyterLab (with jupytext) saves edits to the source too
PAIRING = {"formats": "ipynb,py:percent",
           "notebook_metadata_filter": "-jupytext.text_representation"}


def source_of(notebook: Path) -> Path:
    """notebooks/NN-name.ipynb -> notebooks/NN-name.py."""
    return notebook.with_suffix(".py")


def notebook_of(source: Path) -> Path:
    """notebooks/NN-name.py -> notebooks/NN-name.ipynb."""
    return source.with_suffix(".ipynb")


def names(folder: Path = NOTEBOOKS) -> list[str]:
    """Every NN-name that has a source or a notebook in ``folder``, in order."""
    found = {p.stem for p in folder.glob("[0-9][0-9]-*.py")}
    found |= {p.stem for p in folder.glob("[0-9][0-9]-*.ipynb")}
    return sorted(found)


def fix_command(name: str) -> str:
    """The command that rebuilds one notebook from its source."""
    return f"make notebooks NB={name}"


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook a source describes: its cells (ids derived from them) and metadata."""
    nb = jupytext.read(source, fmt=SOURCE_FORMAT)
    nb.metadata["jupytext"] = dict(PAIRING)
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
    return nb


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    """What must agree between a source and its notebook: per cell its type, text and tags."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def stale(source: Path, notebook: Path | None = None) -> str | None:
    """None when ``notebook`` has exactly the cells of ``source``; else what differs.

    The message names the notebook, the first cell that differs (1-based, as
    JupyterLab counts) and the command that rebuilds it.
    """
    notebook = notebook or notebook_of(source)
    name = source.stem
    fix = f"edit {source.name} if needed, then run `{fix_command(name)}` and commit both files"
    if not source.exists():
        return f"{notebook.name} has no source {source.name}; notebooks are built from sources"
    if not notebook.exists():
        return f"{source.name} has no notebook {notebook.name}; {fix}"
    want = cells(read_source(source))
    have = cells(nbformat.read(notebook, as_version=4))
    for number, (w, h) in enumerate(zip(want, have, strict=False), start=1):
        if w != h:
            part = ("type" if w[0] != h[0] else "text" if w[1] != h[1] else "tags")
            first = (w[1] if w[1] != h[1] else "").strip().splitlines() or [""]
            return (f"{notebook.name} is stale: cell {number} ({part}) differs from "
                    f"{source.name} (source cell starts {first[0][:60]!r}); {fix}")
    if len(want) != len(have):
        return (f"{notebook.name} is stale: {len(have)} cells, {source.name} has "
                f"{len(want)}; {fix}")
    return None


def execute(nb: nbformat.NotebookNode, cwd: Path = NOTEBOOKS) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel with ``cwd`` as working directory (in place).

    The kernel imports ``consensus_lab`` from this checkout (its folder goes first
    on PYTHONPATH), whichever checkout the venv was installed from.
    """
    path = os.environ.get("PYTHONPATH", "")
    if str(REPO) not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), path) if p)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd.resolve())}},
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


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Replace the kernel's random widget model ids by ids derived from ``name`` and order.

    A widget's id is a fresh UUID in every kernel, so without this every rebuild
    would rewrite the whole stored widget state. Models are numbered in the order a
    reader meets them: the widget views in cell order, then, depth first, the models
    each one refers to (``IPY_MODEL_<id>``, attributes in sorted order); models no
    view reaches come last, ordered by their content (ids left out). In place; returns ``nb``.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if not state:
        return nb
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in order or model_id not in state:
            return
        order.append(model_id)
        text = json.dumps(state[model_id].get("state", {}), sort_keys=True)
        for ref in re.findall(r"IPY_MODEL_([0-9a-f]+)", text):
            visit(ref)

    shape: dict[str, str] = {}

    def canonical(model_id: str, seen: frozenset[str] = frozenset()) -> str:
        """The model's state with every reference replaced by the referred model's shape."""
        if model_id not in shape:
            if model_id in seen or model_id not in state:
                return "<ref>"
            text = json.dumps(state[model_id], sort_keys=True)
            shape[model_id] = re.sub(r"IPY_MODEL_([0-9a-f]+)",
                                     lambda m: canonical(m.group(1), seen | {model_id}), text)
        return shape[model_id]

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])
    referenced = {ref for m in state
                  for ref in re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[m]))}
    for roots in ([m for m in state if m not in referenced], list(state)):
        for model_id in sorted(set(roots) - set(order), key=canonical):
            visit(model_id)
    new = {old: uuid.uuid5(uuid.NAMESPACE_URL, f"consensus-lab/{name}/{n}").hex
           for n, old in enumerate(order)}

    def rename(value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith("IPY_MODEL_") and value[10:] in new:
                return "IPY_MODEL_" + new[value[10:]]
            return new.get(value, value)
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        return value

    nb.metadata["widgets"][WIDGET_STATE]["state"] = {
        new[m]: rename(state[m]) for m in order}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                view["model_id"] = new.get(view["model_id"], view["model_id"])
    return nb


#: "<graphviz.graphs.Digraph at 0x7fc66f7ed510>": a memory address, new in every kernel
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
#: a pandas Styler table's random id, "T_5b4b5" in its HTML and CSS
STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"])")


def _number_tables(html: str, tables: dict[str, int]) -> str:
    """``html`` with each Styler id replaced by its number in ``tables`` (new ids added)."""
    for table_id in STYLER_ID.findall(html):
        tables.setdefault(table_id, len(tables) + 1)
    return STYLER_ID.sub(lambda m: f"T_{tables[m.group(1)]:05d}", html)


def tidy_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make the outputs of the same run the same text: merge streams, drop addresses.

    The kernel flushes a long print in chunks at moments that vary from run to
    run, so consecutive stdout (or stderr) outputs of a cell are joined into one,
    as a reader sees them. An object shown as a picture keeps a plain-text
    fallback with its memory address; the address becomes ``0x…``. A styled
    pandas table gets a random id; tables are numbered instead (``T_00001`` …,
    distinct within the notebook so each keeps its own CSS). In place; returns ``nb``.
    """
    tables: dict[str, int] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list[Any] = []
        for output in cell.outputs:
            last = merged[-1] if merged else None
            if (output.output_type == "stream" and last is not None
                    and last.output_type == "stream" and last.name == output.name):
                last.text += output.text
                continue
            data = output.get("data", {})
            if len(data) > 1 and isinstance(data.get("text/plain"), str):
                data["text/plain"] = ADDRESS.sub(" at 0x…>", data["text/plain"])
            html = data.get("text/html")
            if isinstance(html, str) and STYLER_ID.search(html):
                data["text/html"] = _number_tables(html, tables)
            merged.append(output)
        cell.outputs = merged
    return nb


def build(source: Path) -> list[str]:
    """Write, execute and save the notebook of ``source``; return its errors (then not saved)."""
    nb = execute(read_source(source), source.resolve().parent)
    errors = error_outputs(nb)
    if not errors:
        nbformat.write(stable_widget_ids(tidy_outputs(nb), source.stem), notebook_of(source))
    return errors


def _resolve(arg: str) -> Path:
    """A source path from "05-raft-election", "05", "notebooks/05-raft-election.ipynb" or ".py"."""
    path = Path(arg)
    stem = path.name.removesuffix(".ipynb").removesuffix(".py")
    folder = path.parent if path.parent != Path(".") else NOTEBOOKS
    if not (folder / f"{stem}.py").exists():
        matches = [n for n in names(folder) if n.startswith(f"{stem}-")]
        if len(matches) == 1:
            stem = matches[0]
    return folder / f"{stem}.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="NN-name (default: every notebook)")
    parser.add_argument("--check", action="store_true",
                        help="do not execute; report notebooks that disagree with their source")
    args = parser.parse_args(argv)
    sources = [_resolve(n) for n in args.names] or [NOTEBOOKS / f"{n}.py" for n in names()]
    status = 0
    if args.check:
        for source in sources:
            problem = stale(source)
            if problem:
                status = 1
                print(problem, file=sys.stderr)
        return status
    for source in sources:
        if not source.exists():
            print(f"{source}: no such source (names: {', '.join(names())})", file=sys.stderr)
            status = 1
            continue
        started = time.monotonic()
        try:
            errors = build(source)
        except Exception as exc:  # a cell timeout or a dead kernel: report, go on
            errors = [f"{type(exc).__name__}: {exc}".splitlines()[0]]
        took = time.monotonic() - started
        if errors:
            status = 1
            print(f"{source.name}: NOT saved ({took:.0f} s), errors:\n  " + "\n  ".join(errors),
                  file=sys.stderr)
        else:
            print(f"{notebook_of(source).name}: built from {source.name} and executed "
                  f"({took:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
