"""Pictures of commit-protocol *runs*: sequence diagrams with in-doubt bands, state tables.

:mod:`consensus_lab.viz.commit` draws the protocols (state diagrams from
the transition tables); this module draws what one seeded run did.

Theory of operation
-------------------
:func:`sequence_diagram` is the lab's space-time diagram
(:func:`~consensus_lab.viz.spacetime.spacetime_diagram`) of the run's
trace, with two changes for atomic commit:

* **labels only where a role changes state** — the ``"prepared -> committed
  on Commit"`` notes that :class:`~consensus_lab.commit.TableNode` writes
  when it takes a row of its table — plus the nemesis actions, so a reader
  sees the protocol's states and the messages between them, and nothing
  else;
* **an orange band under a participant's lane while it is in doubt**: it
  voted Yes (``prepared`` in 2PC, ``uncertain`` / ``precommitted`` in
  3PC), does not know the outcome and holds its locks. The band is read off
  the trace (the node's ``describe()`` after each event starts with its
  state) and placed at the very x positions the space-time diagram uses,
  so it starts at the delivery that made the participant vote Yes and ends
  at the one that told it the outcome (or at its crash). Hover a band for
  its length in ms and the locks held.

:func:`participant_table` and :func:`run_table` are the same facts as
pandas DataFrames (in-doubt rows marked), for a notebook or a widget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from ..sim import Simulation
from ..sim.trace import TraceRecord
from .commit import IN_DOUBT_STATES
from .render import SvgDiagram
from .spacetime import LANE_GAP, TOP, _drawn, _layout, spacetime_diagram

Label = Callable[[TraceRecord], str]
BAND_FILL = "#ffb74d"
LEGEND = ("orange band: in doubt (voted Yes, outcome unknown) and holding its locks; "
          "labels: the state each role moves to")


def commit_label(record: TraceRecord) -> str:
    """The state a role moves to (its transition note), other notes, nemesis actions; else ""."""
    if record.kind == "nemesis":
        return record.detail
    if record.kind != "note" or " ignores " in record.detail:
        return ""
    if " -> " in record.detail:
        new_state = record.detail.split(" -> ", 1)[1].split(" on ", 1)[0]
        return new_state + (" (in doubt)" if new_state in IN_DOUBT_STATES else "")
    return record.detail  # e.g. a coordinator replica's "propose commit", "decided commit"


def saga_label(record: TraceRecord) -> str:
    """:func:`commit_label` for the orchestrator; a service's record after each request."""
    if record.kind == "deliver" and record.node.startswith("s"):
        return record.state
    return commit_label(record)


def in_doubt_state(record: TraceRecord) -> bool | None:
    """True/False: the node is / is not in doubt after ``record``; None: cannot tell.

    Read from ``record.state`` (the node's ``describe()``), whose first word
    is its protocol state; a crash ends being in doubt (until the restart
    recovers the prepared record from the log).
    """
    if record.kind == "nemesis" and record.detail.startswith("crash"):
        return False
    if record.kind in ("start", "deliver", "timer") and record.state:
        return record.state.split()[0] in IN_DOUBT_STATES
    return None


@dataclass(frozen=True)
class Band:
    """A participant in doubt from ``start`` to ``end`` (times in ms; x in SVG units)."""

    node: str
    start: int
    end: int
    x1: float
    x2: float
    locks: str
    open: bool  # still in doubt when the trace ends

    @property
    def length(self) -> int:
        """How long the participant was in doubt, in ms."""
        return self.end - self.start


def in_doubt_bands(records: Sequence[TraceRecord], lanes: dict[str, int],
                   label: Label = commit_label) -> tuple[list[Band], float]:
    """The in-doubt stretches of the participants (``p…``) among ``lanes``, and the right edge."""
    events = _layout(_drawn(records, lanes), lanes, label)
    right = (events[-1].x if events else 52.0) + 60
    bands: list[Band] = []
    since: dict[str, tuple[int, float, str]] = {}
    for ev in events:
        r = ev.record
        if not r.node.startswith("p") or r.node not in lanes:
            continue
        now_in_doubt = in_doubt_state(r)
        if now_in_doubt and r.node not in since:
            since[r.node] = (r.time, ev.x, _locks(r.state))
        elif now_in_doubt is False and r.node in since:
            t0, x0, locks = since.pop(r.node)
            bands.append(Band(r.node, t0, r.time, x0, ev.x, locks, False))
    end_time = max((r.time for r in records), default=0)
    for node, (t0, x0, locks) in since.items():
        bands.append(Band(node, t0, end_time, x0, right - 8, locks, True))
    return bands, right


def _locks(state: str) -> str:
    found = re.search(r"locks=(\S+)", state)
    return found.group(1) if found else "-"


def sequence_diagram(trace: Iterable[TraceRecord], nodes: Sequence[str] | None = None, *,
                     label: Label = commit_label, bands: bool = True,
                     legend: bool = True) -> SvgDiagram:
    """A run's space-time diagram: state changes labelled, in-doubt participants banded.

    ``trace`` is a simulation's trace (``run.sim.trace``); ``nodes`` the
    lanes top to bottom (default: coordinators, then participants, in
    start order). The returned SVG has one ``rect.cl-in-doubt`` per band.
    """
    records = list(trace)
    if nodes is None:
        nodes = list(dict.fromkeys(r.node for r in records if r.kind == "start"))
    unknown = [n for n in nodes if not any(r.node == n for r in records)]
    if unknown:
        raise ValueError(f"no such node(s) in the trace: {unknown}; "
                         f"nodes: {', '.join(dict.fromkeys(r.node for r in records if r.node))}")
    diagram = spacetime_diagram(records, nodes, label=label)
    if not bands and not legend:
        return diagram
    lanes = {name: i for i, name in enumerate(nodes)}
    found, _ = in_doubt_bands(records, lanes, label) if bands else ([], 0.0)
    return SvgDiagram(_decorate(diagram.data, found, lanes, LEGEND if legend else ""))


def _decorate(svg: str, bands: list[Band], lanes: dict[str, int], legend: str) -> str:
    """Put the bands under everything else, and the legend below the lanes."""
    parts = []
    for band in bands:
        y = TOP + LANE_GAP * lanes[band.node]
        tip = (f"{band.node} in doubt t={band.start}..{band.end} ({band.length} ms"
               f"{', still' if band.open else ''}), holding {band.locks}")
        parts.append(f'<g class="cl-in-doubt-band" data-node="{band.node}" '
                     f'data-ms="{band.length}"><title>{escape(tip)}</title>'
                     f'<rect class="cl-in-doubt" x="{band.x1:.1f}" y="{y - 9:.1f}" '
                     f'width="{max(band.x2 - band.x1, 2):.1f}" height="18" rx="4" '
                     f'fill="{BAND_FILL}" fill-opacity="0.45"/></g>')
    background = '<rect width="100%" height="100%" fill="white"/>'
    svg = svg.replace(background, background + "".join(parts), 1)
    if not legend:
        return svg
    head = re.match(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg)
    assert head is not None, "spacetime_diagram's SVG head changed"
    width, height = int(head.group(1)), int(head.group(2))
    svg = svg.replace(f'height="{height}" viewBox="0 0 {width} {height}"',
                      f'height="{height + 18}" viewBox="0 0 {width} {height + 18}"', 1)
    text = (f'<rect x="8" y="{height + 2}" width="14" height="10" rx="2" fill="{BAND_FILL}" '
            f'fill-opacity="0.6"/><text x="28" y="{height + 11}" font-size="10" '
            f'fill="#616161">{escape(legend)}</text>')
    return svg[: -len("</svg>")] + text + "</svg>"


# ------------------------------------------------------------------ tables
def participant_table(sim: Simulation) -> Any:
    """Every node now: role, status, state, in doubt, locks held (a DataFrame indexed by node)."""
    import pandas as pd

    rows = []
    for node_id in sim.node_ids:
        node = sim.nodes[node_id]
        role = {"c": "coordinator", "p": "participant", "o": "orchestrator",
                "s": "service"}.get(node_id[0], "node")
        if node is None:
            rows.append({"node": node_id, "role": role, "status": "crashed", "state": "-",
                         "in doubt": False, "locks": "-"})
            continue
        state = str(getattr(node, "state", None) or node.describe())
        lock_names = getattr(node, "lock_names", None)
        rows.append({"node": node_id, "role": role,
                     "status": "paused" if node_id in sim.paused else "up", "state": state,
                     "in doubt": bool(getattr(node, "in_doubt", False)),
                     "locks": lock_names() if callable(lock_names) else "-"})
    return pd.DataFrame(rows).set_index("node")


def run_table(run: Any) -> Any:
    """A :class:`~consensus_lab.commit.CommitRun`'s rows: outcome, ms in doubt, ms holding locks."""
    import pandas as pd

    return pd.DataFrame(run.rows()).set_index("participant")


def highlight_in_doubt(table: Any) -> Any:
    """A Styler of :func:`participant_table` with the in-doubt rows orange."""
    def color(row: Any) -> list[str]:
        on = bool(row.get("in doubt", False))
        return [f"background-color: {BAND_FILL}" if on else "" for _ in row]
    return table.style.apply(color, axis=1)
