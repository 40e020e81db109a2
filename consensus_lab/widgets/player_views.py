"""The drawing half of :class:`~consensus_lab.widgets.player.SimulationPlayer`.

Each ``_show_*`` method copies one part of the current simulation into its
widget: the status line (time, step, seed, pending count, a violation or a
rejected click in red, the trace tail), the cluster diagram (its SVG cached
by DOT source, so an unchanged cluster is not re-rendered), the extra views,
the space-time diagram and the tables. A view that raises is shown as a red
message instead of breaking the player.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, Protocol

from ..sim import Simulation
from ..viz import (
    GraphvizUnavailable,
    cluster_diagram,
    nodes_table,
    pending_table,
    spacetime_diagram,
    to_svg,
)

RED = "#c62828"
TABLE_CSS = ("<style>.cl-tables table{border-collapse:collapse;font-size:12px;margin:4px 0}"
             ".cl-tables th,.cl-tables td{border:1px solid #ddd;padding:1px 6px;"
             "text-align:left}</style>")


class SimulationPlayer(Protocol):
    """What the drawing reads on the player (:class:`.player.SimulationPlayer` has it
    all), spelled out so that this module need not import :mod:`.player`, which
    builds on it."""

    sim: Simulation
    w: dict[str, Any]
    views: Any
    extra_views: dict[str, Callable[[Simulation], Any]]
    timeline: Any
    position: Any
    violation: Any
    error: Any
    notice: Any
    trace_lines: int
    cluster_lines: Any
    spacetime_last: Any
    spacetime_label: Any
    _svg_cache: Any

    def _show_cluster(self) -> None: ...
    def _cluster_html(self) -> str: ...
    def _extra_html(self, name: str, fn: Callable[[Simulation], Any]) -> str: ...


class PlayerViews:
    """Rendering for the player (a mixin: the player holds the widgets and state)."""

    def _show_status(self: SimulationPlayer) -> None:
        sim, tl = self.sim, self.timeline
        line = (f"<b>t={sim.now}</b> &middot; step {self.position} of {tl.horizon} &middot; "
                f"seed {tl.seed} &middot; pending {len(sim.pending())}")
        parts = [f'<div class="cl-status-line">{line}</div>']
        if self.violation is not None:
            v = self.violation
            text = f"invariant {v.name!r} violated after step {v.step} (t={v.time}): {v.message}"
            parts.append(_red("cl-violation", "&#9888; " + html.escape(text)))
        for cls, text in (("cl-error", self.error), ("cl-notice", self.notice)):
            if text:
                parts.append(_red(cls, html.escape(text)))
        tail = html.escape(sim.trace.tail(self.trace_lines))
        parts.append(f'<pre class="cl-trace-tail" style="font-size:11px;margin:2px 0">{tail}</pre>')
        self.w["status"].value = "".join(parts)

    def _show_cluster(self: SimulationPlayer) -> None:
        if "cluster" in self.views:
            self.w["cluster"].value = self._cluster_html()

    def _show_views(self: SimulationPlayer) -> None:
        self._show_cluster()
        for name, fn in self.extra_views.items():
            self.w[f"view-{name}"].value = self._extra_html(name, fn)
        if "spacetime" in self.views:
            svg = spacetime_diagram(self.sim.trace, self.sim.node_ids, last=self.spacetime_last,
                                    label=self.spacetime_label).data
            self.w["spacetime"].value = f'<div style="overflow-x:auto">{svg}</div>'
        if "tables" in self.views:
            nodes = nodes_table(self.sim).reset_index().to_html(classes="cl-nodes-table",
                                                                index=False)
            pending = pending_table(self.sim).head(12).to_html(classes="cl-pending-table",
                                                               index=False)
            self.w["tables"].value = TABLE_CSS + nodes + pending

    def _extra_html(self: SimulationPlayer, name: str, fn: Callable[[Simulation], Any]) -> str:
        try:
            shown = fn(self.sim)
            if isinstance(shown, str):
                return shown
            if hasattr(shown, "_repr_html_"):
                return shown._repr_html_()
            return f'<div style="overflow-x:auto">{to_svg(shown)}</div>'
        except Exception as exc:  # a broken view must not break the player
            return _red("cl-error", html.escape(f"view {name!r} failed: "
                                                f"{type(exc).__name__}: {exc}"))

    def _cluster_html(self: SimulationPlayer) -> str:
        graph = cluster_diagram(self.sim, highlight=self.w["pending"].value,
                                lines=self.cluster_lines)
        source = graph.source
        if self._svg_cache[0] != source:
            try:
                self._svg_cache = (source, to_svg(graph))
            except GraphvizUnavailable as exc:
                return _red("cl-error", html.escape(str(exc))) + f"<pre>{html.escape(source)}</pre>"
        return self._svg_cache[1]


def _red(cls: str, text: str) -> str:
    return f'<div class="{cls}" style="color:{RED};font-weight:bold">{text}</div>'
