"""Notebook helpers: show the library's real source code in a notebook; the notebook map.

Notebooks never re-implement a protocol in a cell; they *show* the code the
tests cover. ``show(VectorClock.update)`` reads the source with
:func:`inspect.getsource` and displays it as a highlighted Markdown code
block headed by its ``file:line`` (relative to the repository), so a learner
can open the same file in an editor. Only the standard library and IPython
are used; IPython is imported when something is displayed.

``NOTEBOOKS`` is the notebook map, the one list of the notebooks in reading
order: the start-here notebook shows it with :func:`notebook_index`, and the
tests check the README's map and each notebook's "Previous:" / "Next:" links
against it (:func:`neighbours`).
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Paths are shown relative to this folder (the repository, or site-packages).
ROOT = Path(__file__).resolve().parent.parent


def _unwrap(obj: Any) -> Any:
    """The function behind a property, partial, staticmethod, classmethod or decorator."""
    if isinstance(obj, property) and obj.fget is not None:
        obj = obj.fget
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    return inspect.unwrap(obj) if callable(obj) else obj


def _qualname(obj: Any) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


def where(obj: Any) -> str:
    """``"consensus_lab/clocks/vector.py:103"``: the file and first line of ``obj``'s source."""
    target = _unwrap(obj)
    path = Path(inspect.getsourcefile(target) or inspect.getfile(target)).resolve()
    _lines, first = inspect.getsourcelines(target)
    try:
        shown = path.relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(path)
    return f"{shown}:{max(first, 1)}"


def source(obj: Any) -> str:
    """The dedented source of a function, class, method, property or module.

    Raises :class:`TypeError` with a hint for objects that have no source of
    their own (an instance, a builtin).
    """
    target = _unwrap(obj)
    try:
        return textwrap.dedent(inspect.getsource(target)).rstrip() + "\n"
    except (TypeError, OSError) as exc:
        raise TypeError(f"show() needs a function, class, method or module defined in a .py "
                        f"file, got {obj!r} ({type(obj).__name__}): {exc}") from None


def source_markdown(*objs: Any) -> str:
    """Markdown for ``objs``: per object a ``name — file:line`` line and a python code block."""
    if not objs:
        raise TypeError("show() needs at least one function, class or method")
    parts = []
    for obj in objs:
        parts.append(f"**`{_qualname(_unwrap(obj))}`** — `{where(obj)}`\n\n"
                     f"```python\n{source(obj)}```")
    return "\n\n".join(parts)


def show(*objs: Any) -> None:
    """Display the real source of each object in ``objs`` as highlighted code with its file:line.

    >>> from consensus_lab.clocks import VectorClock
    >>> show(VectorClock.update, VectorClock.happens_before)   # doctest: +SKIP
    """
    from IPython.display import display

    plain = "\n".join(f"# {where(obj)}\n{source(obj)}" for obj in objs)
    display({"text/markdown": source_markdown(*objs), "text/plain": plain}, raw=True)


# --- The notebook map ---------------------------------------------------------------------
#
# The one list of notebooks, in reading order. notebooks/00-start-here shows it as its
# index; tests/test_notebook_sources.py checks the README's "Notebook map", every
# notebook file and every "Previous:" / "Next:" link against it.


@dataclass(frozen=True, slots=True)
class Notebook:
    """One notebook of the lab: ``notebooks/<name>.ipynb``."""

    name: str
    #: short English title, as the links between notebooks name it
    title: str
    #: the chapter's section (its heading in 繁體中文)
    section: str
    #: what the learner does there
    summary: str

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def file(self) -> str:
        return f"{self.name}.ipynb"


NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook("00-start-here", "start here", "—",
             "run a first simulation, tour the player, seeds, exercises, glossary"),
    Notebook("01-consistency-models", "consistency models", "一致性光譜 · 線性一致性",
             "run one workload on stores of each strength; check histories for "
             "linearizability"),
    Notebook("02-cap", "CAP", "線性一致性的代價 (CAP)",
             "partition a CP store and an AP store side by side"),
    Notebook("03-causality", "causality", "因果一致性 · 向量時鐘",
             "Lamport and vector clocks, happens-before, causal delivery (Everest)"),
    Notebook("04-consensus-and-flp", "consensus and FLP",
             "什麼是共識? · 共識問題的形式化定義 (FLP)",
             "see why consensus is hard; watch proposers livelock"),
    Notebook("05-raft-election", "Raft leader election", "Raft: Leader 選舉",
             "terms and votes; crash or cut off the leader; split votes"),
    Notebook("06-raft-replication", "Raft log replication", "Raft: 日誌複製",
             "`SET X=5` step by step; logs by term; catch-up, snapshots"),
    Notebook("07-raft-safety", "Raft safety", "Raft: 安全性保證",
             "turn off the election restriction and lose a committed entry; Figure 8"),
    Notebook("08-paxos", "Paxos", "Paxos 算法",
             "prepare / promise / accept; duelling proposers; Multi-Paxos"),
    Notebook("09-atomic-commit", "atomic commit", "原子提交: 2PC · 3PC",
             "crash the coordinator between the phases; 3PC under a partition; sagas"),
    Notebook("10-spanner-truetime", "Spanner and TrueTime", "案例 3: Spanner",
             "TrueTime intervals and commit wait; slide ε; the anomaly without the wait"),
    Notebook("11-etcd-and-locks", "etcd and Chubby", "案例 1: Chubby · 案例 2: etcd",
             "put / get / watch / leases on our store and on a real etcd"),
    Notebook("12-exercise-consistency-choice", "exercise: pick the consistency model",
             "練習 1: 分析一致性需求", "pick a consistency model, then test your choice"),
    Notebook("13-exercise-distributed-lock", "exercise: a distributed lock",
             "練習 2: 設計分散式鎖",
             "build a lock with leases and fencing tokens; the GC-pause story"),
)

#: notebooks the README's map announces but that are not written yet
PLANNED: tuple[Notebook, ...] = (
    Notebook("14-summary", "summary", "總結 · 選擇指南",
             "the selection guide, linked to the notebooks"),
)


def notebook(name: str) -> Notebook:
    """The map's entry for ``name`` ("05-raft-election"); KeyError names the notebooks."""
    for entry in NOTEBOOKS:
        if entry.name == name:
            return entry
    raise KeyError(f"no notebook {name!r}; notebooks: {', '.join(n.name for n in NOTEBOOKS)}")


def neighbours(name: str) -> tuple[Notebook | None, Notebook | None]:
    """The notebooks before and after ``name`` in reading order (None at either end)."""
    index = NOTEBOOKS.index(notebook(name))
    before = NOTEBOOKS[index - 1] if index > 0 else None
    after = NOTEBOOKS[index + 1] if index + 1 < len(NOTEBOOKS) else None
    return before, after


def notebook_index(current: str | None = None) -> str:
    """The map as a Markdown table with links; ``current`` is shown in bold, unlinked."""
    rows = ["| Notebook | Chapter section | What you do there | Status |", "|---|---|---|---|"]
    for entry in NOTEBOOKS:
        cell = f"**{entry.name}**" if entry.name == current else f"[{entry.name}]({entry.file})"
        rows.append(f"| {cell} | {entry.section} | {entry.summary} | available |")
    for entry in PLANNED:
        rows.append(f"| {entry.name} | {entry.section} | {entry.summary} | planned |")
    return "\n".join(rows)
