"""Turning diagrams into SVG, with or without a system Graphviz.

Theory of operation
-------------------
The ``graphviz`` Python package builds DOT source and runs an executable to
lay it out; which executable is read, at call time, from
``graphviz.backend.dot_command.DOT_BINARY`` (default ``dot`` on ``PATH``).
Learners who installed only the pip packages (macOS, Windows) have no
``dot``, but they do have the ``graphviz-pure`` wheel: one executable that
takes dot's flags and renders the same features (HTML-like labels, neato
with pinned positions, dashed and coloured edges) to SVG or PNG.

:func:`ensure_backend` keeps a system ``dot`` when there is one and
otherwise points ``DOT_BINARY`` at ``graphviz-pure`` (looked up next to the
running Python, in the scripts directory, then on ``PATH``). It never raises
because ``dot`` is missing; only :func:`to_svg` raises
:class:`GraphvizUnavailable`, with the command that fixes it, when neither
executable exists. ``consensus_lab.viz`` calls :func:`ensure_backend` on
import, so a ``graphviz.Digraph`` displayed directly in a notebook renders too.

Diagrams we draw ourselves (the space-time diagram) are :class:`SvgDiagram`
values: SVG text that displays inline in Jupyter, scrolling sideways when it
is wider than the notebook instead of shrinking to an unreadable size.
"""

from __future__ import annotations

import logging
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz
from graphviz.backend import dot_command

log = logging.getLogger(__name__)

PURE_NAME = "graphviz-pure"
BACKENDS = ("auto", "dot", "pure")


class GraphvizUnavailable(RuntimeError):
    """Neither a system ``dot`` nor the ``graphviz-pure`` executable was found."""


def find_graphviz_pure() -> Path | None:
    """The ``graphviz-pure`` executable of this environment, or None."""
    exe = PURE_NAME + (".exe" if sys.platform == "win32" else "")
    candidates = [Path(sys.executable).parent / exe]
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(Path(scripts) / exe)
    for path in candidates:
        if path.is_file():
            return path
    found = shutil.which(PURE_NAME)
    return Path(found) if found else None


def ensure_backend(prefer: str = "auto") -> str:
    """Make ``graphviz`` render; returns the executable it will run.

    ``prefer="auto"`` keeps an explicitly chosen ``DOT_BINARY``, else a
    system ``dot``, else ``graphviz-pure``. ``"dot"`` and ``"pure"`` force one
    (``"pure"`` falls back to ``dot`` if the wheel is missing).
    """
    if prefer not in BACKENDS:
        raise ValueError(f"prefer must be one of {', '.join(BACKENDS)}, got {prefer!r}")
    current = str(dot_command.DOT_BINARY)
    if prefer == "auto" and current != "dot":
        return current
    pure = find_graphviz_pure() if prefer != "dot" else None
    if prefer == "pure" and pure is not None:
        dot_command.DOT_BINARY = pure
        return str(pure)
    if prefer == "dot" or shutil.which("dot"):
        dot_command.DOT_BINARY = Path("dot")
        return "dot"
    if pure is None:
        log.warning("no Graphviz found: diagrams need `dot` or `pip install graphviz-pure`")
        return current
    dot_command.DOT_BINARY = pure
    return str(pure)


def strip_prolog(svg: str) -> str:
    """The SVG text from ``<svg`` on (drops the XML declaration and DOCTYPE)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def to_svg(diagram: Any) -> str:
    """SVG text of a ``graphviz`` graph, an :class:`SvgDiagram` or SVG text."""
    if isinstance(diagram, str):
        return strip_prolog(diagram)
    if isinstance(diagram, SvgDiagram):
        return diagram.data
    if isinstance(diagram, graphviz.Digraph | graphviz.Graph):
        ensure_backend()
        try:
            svg = diagram.pipe(format="svg", encoding="utf-8", quiet=True)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizUnavailable(
                "cannot render: no `dot` on PATH and no graphviz-pure; run "
                "`pip install graphviz-pure` (or install Graphviz)"
            ) from exc
        return strip_prolog(svg)
    raise TypeError(f"cannot render {type(diagram).__name__} as SVG; expected a graphviz "
                    "graph, an SvgDiagram or SVG text")


@dataclass(frozen=True, slots=True)
class SvgDiagram:
    """SVG text that Jupyter displays inline (scrolling sideways when wide)."""

    data: str

    def _repr_svg_(self) -> str:
        return self.data

    def _repr_html_(self) -> str:
        return f'<div class="cl-svg-scroll" style="overflow-x:auto">{self.data}</div>'

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` and return it."""
        target = Path(path)
        target.write_text(self.data, encoding="utf-8")
        return target

    def __str__(self) -> str:
        return self.data


@dataclass(frozen=True, slots=True)
class HtmlView:
    """An HTML fragment that Jupyter displays inline (a log table, a legend)."""

    data: str

    def _repr_html_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data
