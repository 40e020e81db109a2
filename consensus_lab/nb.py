"""Notebook helpers: show the library's real source code in a notebook.

Notebooks never re-implement a protocol in a cell; they *show* the code the
tests cover. ``show(VectorClock.update)`` reads the source with
:func:`inspect.getsource` and displays it as a highlighted Markdown code
block headed by its ``file:line`` (relative to the repository), so a learner
can open the same file in an editor. Only the standard library and IPython
are used; IPython is imported when something is displayed.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
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
