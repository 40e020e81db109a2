"""Each notebook is built from its jupytext source, and the links between them follow the map.

notebooks/NN-name.py (py:percent) is what contributors edit; `make notebooks NB=NN-name`
writes and executes notebooks/NN-name.ipynb from it. These tests need no kernel: they
compare the cells (type, text, tags) of each source with its committed notebook, and
check the "Previous:" / "Next:" links, the README's notebook map and the index in
00-start-here against ``consensus_lab.nb.NOTEBOOKS``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from build_notebooks import NOTEBOOKS, names, read_source, stale

from consensus_lab import nb as nbmap

README = NOTEBOOKS.parent / "README.md"
#: "Next: [05 · Raft](05-raft-election.ipynb)", the label and the link may be split by a
#: line break or bold markers
NAV_LINK = re.compile(r"\b(Next|Previous)\b:\s*\**\s*\[([^\]]*)\]\(([^)\s]+)\)", re.IGNORECASE)
#: every Markdown link to a notebook, inline or as a reference definition
NOTEBOOK_LINK = re.compile(r"\[([^\]]*)\](?:\(|:\s*)([0-9][0-9]-[^)\s#]*\.ipynb)")


def _markdown(name: str) -> list[str]:
    """The markdown cells of a notebook, as its source has them."""
    book = read_source(NOTEBOOKS / f"{name}.py")
    return [cell.source for cell in book.cells if cell.cell_type == "markdown"]


def test_every_notebook_has_a_source_and_every_source_a_notebook() -> None:
    sources = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.py")}
    notebooks = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")}
    assert sources, "no notebook sources in notebooks/"
    assert notebooks - sources == set(), "notebooks without a source (notebooks/NN-name.py)"
    assert sources - notebooks == set(), (
        "sources without a notebook: run `make notebooks NB=NAME` and commit the .ipynb")


@pytest.mark.parametrize("name", names())
def test_notebook_has_the_cells_of_its_source(name: str) -> None:
    """Same cells, in order: type, text and tags (a stale .ipynb names the fix)."""
    problem = stale(NOTEBOOKS / f"{name}.py")
    assert problem is None, problem


def test_a_changed_source_makes_its_notebook_stale(tmp_path: Path) -> None:
    """The parity check has teeth: one changed line in a source is reported, with the fix."""
    name = "05-raft-election"
    source, notebook = tmp_path / f"{name}.py", tmp_path / f"{name}.ipynb"
    shutil.copy(NOTEBOOKS / f"{name}.py", source)
    shutil.copy(NOTEBOOKS / f"{name}.ipynb", notebook)
    assert stale(source, notebook) is None

    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = next(i for i, line in enumerate(lines) if line.startswith("show("))
    lines[changed] = lines[changed].replace("show(", "show( ", 1)
    source.write_text("".join(lines), encoding="utf-8")
    problem = stale(source, notebook)
    assert problem is not None
    assert f"{name}.ipynb is stale: cell " in problem and "(text)" in problem
    assert f"make notebooks NB={name}" in problem

    source.write_text("".join(lines[:changed] + ["# %% tags=[\"raises-exception\"]\n"]
                              + lines[changed:]), encoding="utf-8")
    assert "stale" in (stale(source, notebook) or "")
    assert "has no notebook" in (stale(source, tmp_path / "missing.ipynb") or "")


def test_the_map_lists_exactly_the_notebooks_in_notebooks() -> None:
    assert [entry.name for entry in nbmap.NOTEBOOKS] == names()
    assert all(entry.number == f"{i:02d}" for i, entry in enumerate(nbmap.NOTEBOOKS))


def test_readme_notebook_map_follows_the_map() -> None:
    """The README's "Notebook map" table: the available notebooks in order, then the planned."""
    text = README.read_text(encoding="utf-8")
    table = text.split("## Notebook map", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([0-9][0-9]-[^`]+)` \|.*\| (\w+) \|$", table, re.MULTILINE)
    assert [n for n, status in rows if status == "available"] == [
        e.name for e in nbmap.NOTEBOOKS]
    assert [n for n, status in rows if status != "available"] == [e.name for e in nbmap.PLANNED]


def test_start_here_index_shows_every_notebook() -> None:
    """00-start-here shows the map (computed from NOTEBOOKS) with a link to each notebook."""
    book = nbformat.read(NOTEBOOKS / "00-start-here.ipynb", as_version=4)
    assert any("notebook_index(" in c.source for c in book.cells if c.cell_type == "code")
    shown = "".join(str(out.get("data", {}).get("text/markdown", ""))
                    for c in book.cells if c.cell_type == "code" for out in c.outputs)
    for entry in nbmap.NOTEBOOKS[1:]:
        assert f"]({entry.file})" in shown, f"00-start-here's index has no link to {entry.name}"


@pytest.mark.parametrize("name", [e.name for e in nbmap.NOTEBOOKS])
def test_previous_and_next_links_point_at_the_neighbours(name: str) -> None:
    """Every "Previous:" / "Next:" link goes to the notebook before / after in the map."""
    before, after = nbmap.neighbours(name)
    found: dict[str, list[str]] = {"next": [], "previous": []}
    for text in _markdown(name):
        for label, _text, target in NAV_LINK.findall(text):
            found[label.lower()].append(target.split("#")[0])
    for label, neighbour in (("previous", before), ("next", after)):
        if neighbour is None:
            assert not found[label], f"{name} is at an end of the map but links {label}: {found}"
        else:
            assert found[label], f"{name} has no '{label.title()}:' link to {neighbour.file}"
            wrong = [t for t in found[label] if t != neighbour.file]
            assert not wrong, f"{name}: '{label.title()}:' links {wrong}, not {neighbour.file}"


@pytest.mark.parametrize("name", [e.name for e in nbmap.NOTEBOOKS])
def test_links_to_notebooks_target_existing_files_with_matching_numbers(name: str) -> None:
    """A link names an existing notebook, and a link text "05 · ..." goes to 05-*.ipynb."""
    for text in _markdown(name):
        for label, target in NOTEBOOK_LINK.findall(text):
            assert (NOTEBOOKS / target).exists(), f"{name} links to missing {target}"
            number = re.match(r"\W*([0-9][0-9])\b", label)
            assert number is None or target.startswith(number.group(1)), (
                f"{name}: link [{label}] goes to {target}")


def _widget_notebook(ids: list[str]) -> nbformat.NotebookNode:
    """A notebook showing one box (ids[0]) holding a button (ids[1]), plus a loose layout."""
    box, button, layout = ids
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("box", id="box")])
    book.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "<Box at 0x7f00aa>",
                              "application/vnd.jupyter.widget-view+json": {"model_id": box}})]
    book.cells[0].outputs += [nbformat.v4.new_output("stream", name="stdout", text=t)
                              for t in ("a\n", "b\n")]
    book.cells[0].outputs.append(nbformat.v4.new_output("display_data", data={
        "text/html": f'<style>#T_{box}_row0 {{}}</style><table id="T_{box}">'}))
    book.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        layout: {"model_name": "LayoutModel", "state": {}},
        button: {"model_name": "ButtonModel", "state": {"layout": f"IPY_MODEL_{layout}"}},
        box: {"model_name": "BoxModel", "state": {"children": [f"IPY_MODEL_{button}"]}},
    }, "version_major": 2, "version_minor": 0}}
    return book


def test_rebuilt_outputs_do_not_depend_on_the_kernels_random_ids() -> None:
    """Widget ids renumbered in reading order; streams merged; addresses, table ids masked."""
    from build_notebooks import stable_widget_ids, tidy_outputs

    first = stable_widget_ids(tidy_outputs(_widget_notebook(["aa111", "bb222", "cc333"])), "x")
    second = stable_widget_ids(tidy_outputs(_widget_notebook(["ff999", "0e000", "7d777"])), "x")
    assert nbformat.writes(first) == nbformat.writes(second)
    outputs = first.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "stream", "display_data"]
    assert 'id="T_00001"' in outputs[2].data["text/html"]
    assert outputs[1].text == "a\nb\n" and outputs[0].data["text/plain"] == "<Box at 0x…>"
    state = first.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    box_id = outputs[0].data["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert list(state)[0] == box_id and state[box_id]["model_name"] == "BoxModel"
