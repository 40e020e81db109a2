"""Pictures of the commit protocols: state diagrams drawn from the transition tables.

:func:`state_diagram` draws a role from the very table that drives it
(:data:`consensus_lab.commit.COORDINATOR_TABLE` and friends): one box per
state, one arrow per ``(state, event)`` row, labelled with the event and,
small, the actions. The decided states are drawn double; the in-doubt
states (a participant that voted Yes) orange, since that is where 2PC
blocks. :func:`in_doubt_label` marks in-doubt participants and their locks
in a space-time diagram.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import graphviz

from .render import ensure_backend

#: States drawn orange: voted Yes, outcome unknown, locks held.
IN_DOUBT_STATES = ("prepared", "uncertain", "precommitted")
DECIDED_STATES = ("committed", "aborted", "done", "compensated")
_FILL = {"committed": "#c8e6c9", "aborted": "#ffcdd2", "done": "#c8e6c9",
         "compensated": "#ffe0b2"}
HIGHLIGHT = "#1565c0"


def state_diagram(table: Mapping[tuple[str, str], tuple[str, tuple[str, ...]]], *,
                  name: str = "role", highlight: str | None = None, actions: bool = True,
                  self_loops: bool = True) -> graphviz.Digraph:
    """The state machine of a transition table, edge for edge.

    ``highlight`` names a state to draw in blue with its outgoing edges;
    ``actions=False`` leaves the actions off the labels; ``self_loops=False``
    leaves out rows that do not change the state (answers, re-sends).
    """
    states = sorted({s for s, _ in table} | {new for new, _ in table.values()},
                    key=_order)
    if highlight is not None and highlight not in states:
        raise ValueError(f"highlight must be one of {', '.join(states)} or None, "
                         f"got {highlight!r}")
    ensure_backend()
    g = graphviz.Digraph(name, engine="dot")
    g.attr(rankdir="LR", fontname="Helvetica", nodesep="0.4", ranksep="0.9")
    g.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="12")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    for state in states:
        marked = state == highlight
        fill = "#ffe0b2" if state in IN_DOUBT_STATES else _FILL.get(state, "#eceff1")
        g.node(state, label=state + ("\n(in doubt, locks held)" if state in IN_DOUBT_STATES
                                     else ""),
               fillcolor="#bbdefb" if marked else fill,
               peripheries="2" if state in DECIDED_STATES else "1",
               color=HIGHLIGHT if marked else "#546e7a", penwidth="2.5" if marked else "1")
    for (state, event), (new_state, names) in table.items():
        if not self_loops and new_state == state:
            continue
        color = HIGHLIGHT if state == highlight else "#37474f"
        label = textwrap.fill(event, 22)
        if actions and names:
            label += "\n/ " + textwrap.fill(", ".join(n.replace("_", " ") for n in names), 26)
        g.edge(state, new_state, label=label, color=color, fontcolor=color)
    return g


def _order(state: str) -> tuple[int, str]:
    """Start states first, decided ones last."""
    rank = 0 if state == "init" else 2 if state in DECIDED_STATES else 1
    return (rank, state)


def in_doubt_label(record: Any) -> str:
    """A space-time label: the node's state, with ``IN DOUBT`` marked for in-doubt ones."""
    state = str(getattr(record, "state", "") or "")
    if record.kind == "note":
        return str(record.detail)
    if any(state.startswith(s) for s in IN_DOUBT_STATES):
        return "IN DOUBT " + state
    return state
