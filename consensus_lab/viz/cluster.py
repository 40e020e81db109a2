"""The cluster at one instant: nodes, their state, messages in flight, cuts.

Theory of operation
-------------------
:func:`cluster_diagram` reads only public simulator state — ``sim.view()``
for each node's status and state, ``sim.pending()`` for the messages in
flight and the timers, ``sim.network.blocked`` for the cut links — and
returns a ``graphviz.Digraph``.

Layout: the nodes sit on a circle at pinned positions (neato with
``pos="x,y!"``), in ``sim.node_ids`` order, clockwise from the top. A
learner stepping through a run sees every node stay where it was; dot's
ranked layout would move nodes whenever the messages in flight change.

Drawing conventions:

* a node is a table: a header with its id and status, then one line per
  ``view()`` item (or its ``describe()``), then its pending timers.
  up = green solid, paused = orange dashed, crashed = grey dotted.
* messages in flight on a link are one arrow ``src -> dst`` whose label,
  near the receiver, lists them in delivery order (``+N more`` after
  ``max_messages``); a message that will be dropped on arrival (cut link or
  crashed receiver) is grey.
* a cut link is a red dashed line ending in a bar (``tee``) at each blocked
  end: both ends for a symmetric partition, one end for a one-way cut. The
  graph's caption names the partition groups or the one-way cuts.

The output is deterministic: nodes in ``node_ids`` order, edges sorted.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from typing import Any

import graphviz

from .render import ensure_backend

STATUS_STYLES: dict[str, dict[str, str]] = {
    "up": {"color": "#2e7d32", "fill": "#e8f5e9", "style": "", "text": "#000000"},
    "paused": {"color": "#ef6c00", "fill": "#fff3e0", "style": "dashed", "text": "#000000"},
    "crashed": {"color": "#9e9e9e", "fill": "#eeeeee", "style": "dotted", "text": "#757575"},
}
#: ``lines(sim, node_id)``: a node's state lines, or None for the default (its view()).
NodeLines = Callable[[Any, str], "list[str] | None"]
CUT_COLOR = "#c62828"
HIGHLIGHT_COLOR = "#1565c0"
DOOMED_COLOR = "#9e9e9e"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def circle_positions(node_ids: tuple[str, ...], radius: float | None = None) -> dict[str, str]:
    """Pinned neato positions (inches) on a circle, clockwise from the top."""
    count = len(node_ids)
    if count == 1:
        return {node_ids[0]: "0,0!"}
    r = radius if radius is not None else max(1.7, 0.62 * count)
    start = 180.0 if count == 2 else 90.0
    spots = {}
    for i, node_id in enumerate(node_ids):
        angle = math.radians(start - 360.0 * i / count)
        spots[node_id] = f"{r * math.cos(angle):.2f},{r * math.sin(angle):.2f}!"
    return spots


def _highlights(highlight: Any) -> tuple[set[str], set[int]]:
    if highlight is None:
        return set(), set()
    items = [highlight] if isinstance(highlight, str | int) else list(highlight)
    return {h for h in items if isinstance(h, str)}, {h for h in items if isinstance(h, int)}


def _node_lines(row: dict[str, Any], description: str, limit: int,
                custom: list[str] | None = None) -> list[str]:
    if custom is not None:
        return [shorten(line, limit) for line in custom]
    lines = [f"{k}={v}" for k, v in row.items() if k != "status"]
    if not lines and description:
        lines = [description]
    return [shorten(line, limit) for line in lines]


def node_label(node_id: str, row: dict[str, Any], description: str, timers: list[str],
               *, highlighted: bool = False, limit: int = 36,
               lines: list[str] | None = None) -> str:
    """The HTML-like label of one node: header, state lines, pending timers."""
    status = str(row.get("status", "up"))
    style = STATUS_STYLES.get(status, STATUS_STYLES["up"])
    border = "3" if highlighted else "1"
    color = HIGHLIGHT_COLOR if highlighted else style["color"]
    table_style = f' style="{style["style"]}"' if style["style"] else ""
    head = (f'<tr><td bgcolor="{style["fill"]}"><font color="{style["text"]}">'
            f"<b>{html.escape(node_id)}</b> {status}</font></td></tr>")
    rows = [
        f'<tr><td align="left"><font color="{style["text"]}">{html.escape(line)}</font></td></tr>'
        for line in _node_lines(row, description, limit, lines)
    ]
    if timers:
        text = html.escape(shorten("timers: " + ", ".join(timers), limit))
        rows.append(f'<tr><td align="left"><font point-size="9" color="#6a1b9a">{text}</font>'
                    "</td></tr>")
    return (f'<<table border="{border}" cellborder="0" cellspacing="0" cellpadding="3" '
            f'color="{color}"{table_style}>{head}{"".join(rows)}</table>>')


def _timers_by_node(pending: list[Any]) -> dict[str, list[str]]:
    timers: dict[str, list[str]] = {}
    for event in pending:
        if event.kind == "timer":
            timers.setdefault(event.node, []).append(f"{event.name}@{event.time}")
    return timers


def _add_nodes(g: graphviz.Digraph, sim: Any, pending: list[Any], marked: set[str],
               limit: int, lines: NodeLines | None = None) -> None:
    view = sim.view()
    timers = _timers_by_node(pending)
    spots = circle_positions(tuple(sim.node_ids))
    for node_id in sim.node_ids:
        node = sim.nodes.get(node_id)
        description = node.describe() if node is not None else ""
        label = node_label(node_id, view[node_id], description, timers.get(node_id, []),
                           highlighted=node_id in marked, limit=limit,
                           lines=lines(sim, node_id) if lines is not None else None)
        g.node(node_id, label=label, pos=spots[node_id])


def _message_label(events: list[Any], marked: set[int], max_messages: int, limit: int) -> str:
    lines = []
    for event in events[:max_messages]:
        text = shorten(str(event.msg), limit)
        lines.append(f"> {text}" if event.id in marked else text)
    if len(events) > max_messages:
        lines.append(f"+{len(events) - max_messages} more")
    return "\n".join(lines)


def _add_messages(g: graphviz.Digraph, sim: Any, pending: list[Any], marked: set[int],
                  max_messages: int, limit: int) -> None:
    order = {n: i for i, n in enumerate(sim.node_ids)}
    links: dict[tuple[str, str], list[Any]] = {}
    for event in pending:
        if event.kind == "deliver" and event.src in order:
            links.setdefault((event.src, event.node), []).append(event)
    for (src, dst) in sorted(links, key=lambda link: (order[link[0]], order[link[1]])):
        events = links[(src, dst)]
        doomed = sim.network.is_blocked(src, dst) or sim.nodes.get(dst) is None
        chosen = any(e.id in marked for e in events)
        color = HIGHLIGHT_COLOR if chosen else DOOMED_COLOR if doomed else "#000000"
        g.edge(src, dst, headlabel=_message_label(events, marked, max_messages, limit),
               color=color, fontcolor=color, penwidth="2" if chosen else "1",
               labeldistance="6", labelangle="20")


def cut_pairs(blocked: Iterable[tuple[str, str]],
              node_ids: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    """``(a, b, both_ways)`` for every cut pair, ``a`` before ``b`` unless one-way ``a -> b``."""
    order = {n: i for i, n in enumerate(node_ids)}
    cut = set(blocked)
    pairs = []
    for src, dst in sorted(cut, key=lambda link: (order.get(link[0], -1), order.get(link[1], -1))):
        if (dst, src) in cut:
            if order.get(src, -1) < order.get(dst, -1):
                pairs.append((src, dst, True))
        else:
            pairs.append((src, dst, False))
    return pairs


def partition_groups(blocked: Iterable[tuple[str, str]],
                     node_ids: tuple[str, ...]) -> list[list[str]] | None:
    """The groups when ``blocked`` is exactly a clean partition, else None."""
    cut = set(blocked)
    groups: list[list[str]] = []
    for node_id in node_ids:
        for group in groups:
            if (node_id, group[0]) not in cut and (group[0], node_id) not in cut:
                group.append(node_id)
                break
        else:
            groups.append([node_id])
    expected = {(a, b) for i, ga in enumerate(groups) for gb in groups[i + 1:]
                for a in ga for b in gb}
    expected |= {(b, a) for a, b in expected}
    return groups if len(groups) > 1 and expected == cut else None


def network_caption(sim: Any) -> str:
    """One line naming the partition, the one-way cuts, and the drop rate."""
    node_ids = tuple(sim.node_ids)
    blocked = sim.network.blocked
    parts = []
    groups = partition_groups(blocked, node_ids)
    if groups:
        parts.append("partition: " + " | ".join(" ".join(g) for g in groups))
    elif blocked:
        pairs = cut_pairs(blocked, node_ids)
        cuts = [f"{a}<->{b}" if both else f"{a}->{b}" for a, b, both in pairs]
        parts.append("cut: " + ", ".join(cuts))
    drop = sim.network.default.drop
    if drop:
        parts.append(f"drop={drop:g}")
    return "   ".join(parts)


def _add_cuts(g: graphviz.Digraph, sim: Any) -> None:
    for src, dst, both in cut_pairs(sim.network.blocked, tuple(sim.node_ids)):
        g.edge(src, dst, color=CUT_COLOR, fontcolor=CUT_COLOR, style="dashed",
               dir="both" if both else "forward", arrowhead="tee",
               arrowtail="tee" if both else "none", label="cut" if both else "one-way cut")


def cluster_diagram(sim: Any, highlight: Any = None, *, max_messages: int = 4,
                    label_limit: int = 36, lines: NodeLines | None = None) -> graphviz.Digraph:
    """A picture of ``sim`` now: node states, messages in flight, cut links.

    ``highlight`` is a node id, a pending event id (the message to deliver
    next), or a list of them; highlighted items are drawn in blue.
    ``lines(sim, node_id)`` replaces a node's state lines (``view()`` items)
    when it returns a list, e.g. a protocol's compact summary.
    """
    ensure_backend()
    marked_nodes, marked_events = _highlights(highlight)
    pending = sim.pending()
    g = graphviz.Digraph("cluster", engine="neato")
    g.attr(splines="curved", outputorder="edgesfirst", fontname="Helvetica", fontsize="10",
           label=network_caption(sim), labelloc="b")
    g.attr("node", shape="plain", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    _add_nodes(g, sim, pending, marked_nodes, label_limit, lines)
    _add_messages(g, sim, pending, marked_events, max_messages, label_limit)
    _add_cuts(g, sim)
    return g
