"""Pictures and tables of a Raft cluster: roles, logs, terms over time.

* :func:`role_diagram` — the follower / candidate / leader state machine,
  drawn from :data:`consensus_lab.raft.node.TRANSITIONS` (the same table
  the code implements), one role highlighted.
* :func:`raft_logs` — every node's log as an HTML table: one row per
  node, one column per log index, entries coloured by term.
* :func:`raft_table` — one row per node: role, term, vote, commit and
  apply indexes, last log index/term, and the leader's view of it.
* :func:`term_timeline` — per node, its term and role over time, read
  from the trace (see :mod:`.raft_timeline`).

Theory of operation
-------------------
Everything is read from public state: ``sim.nodes`` (live
:class:`~consensus_lab.raft.RaftNode` objects), ``sim.crashed``,
``sim.paused`` and the trace. A crashed node has no live object; what it
will recover on restart is its persisted state (term, vote, log), which
the log view shows greyed out, so a learner sees what survives a crash.

Colours are stable: term *t* always gets ``TERM_COLORS[(t - 1) % 10]``,
in the log view, the term timeline and the legend alike. A committed entry
is drawn solid; an entry the node does not know to be committed is pale
and hatched with a dashed border (RaftScope's convention). The commit index
is a thick bar on the right edge of its cell and ``•`` marks the last
applied entry. Output is deterministic: rows in ``sim.node_ids`` order.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import graphviz

from ..raft.node import CANDIDATE, FOLLOWER, LEADER, TRANSITIONS, RaftNode
from .raft_timeline import TERM_COLORS, term_color, term_timeline
from .render import HtmlView, ensure_backend

ROLE_FILL = {FOLLOWER: "#eceff1", CANDIDATE: "#fff3e0", LEADER: "#e8f5e9"}
HIGHLIGHT = "#1565c0"
RAFT_TABLE_COLUMNS = ["status", "role", "term", "voted_for", "leader_id", "commit", "applied",
                      "last_index", "last_term", "snapshot", "match", "next"]

__all__ = ["TERM_COLORS", "raft_logs", "raft_node_lines", "raft_table", "role_diagram",
           "term_color", "term_timeline"]


def pale(color: str, keep: float = 0.45) -> str:
    """``color`` mixed with white (``keep`` of the colour remains)."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * keep):02x}" for c in rgb)


# ---------------------------------------------------------------- role diagram
def role_diagram(highlight: str | None = None,
                 transitions: Iterable[tuple[str, str, str]] = TRANSITIONS) -> graphviz.Digraph:
    """The role state machine of Figure 4, edge for edge from ``TRANSITIONS``.

    ``highlight`` names a role (``"candidate"``) to draw in blue; its
    outgoing edges are blue too. A dashed edge from a dot marks where every
    server starts (and restarts): as a follower.
    """
    roles = [FOLLOWER, CANDIDATE, LEADER]
    if highlight is not None and highlight not in roles:
        raise ValueError(f"highlight must be one of {', '.join(roles)} or None, got {highlight!r}")
    ensure_backend()
    g = graphviz.Digraph("roles", engine="dot")
    g.attr(rankdir="LR", fontname="Helvetica", nodesep="0.6", ranksep="1.1")
    g.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="13")
    g.attr("edge", fontname="Helvetica", fontsize="10")
    g.node("start", label="", shape="point", width="0.12")
    for role in roles:
        marked = role == highlight
        g.node(role, label=role.capitalize(), fillcolor="#bbdefb" if marked else ROLE_FILL[role],
               color=HIGHLIGHT if marked else "#546e7a", penwidth="2.5" if marked else "1")
    g.edge("start", FOLLOWER, label="starts up\nor restarts", style="dashed", color="#78909c")
    for src, event, dst in transitions:
        color = HIGHLIGHT if src == highlight else "#37474f"
        g.edge(src, dst, label=textwrap.fill(event, 24), color=color, fontcolor=color)
    return g


# ------------------------------------------------------------------- node state
def _disk(sim: Any, node_id: str) -> dict[str, Any]:
    """What a crashed node persisted (what it will recover on restart)."""
    return sim.stored(node_id)


def _node_state(sim: Any, node_id: str) -> dict[str, Any]:
    """One node's log and indexes; for a crashed node, its persisted part."""
    node = sim.nodes.get(node_id)
    if isinstance(node, RaftNode):
        log = node.log
        return {"live": True, "role": node.role, "term": node.current_term,
                "voted_for": node.voted_for, "leader_id": node.leader_id,
                "entries": list(log.entries), "snapshot_index": log.snapshot_index,
                "snapshot_term": log.snapshot_term, "commit": node.commit_index,
                "applied": node.last_applied}
    disk = _disk(sim, node_id)
    snap_index, snap_term = disk.get("snapshot_meta", (0, 0))
    return {"live": False, "role": "", "term": disk.get("current_term", 0),
            "voted_for": disk.get("voted_for"), "leader_id": None,
            "entries": list(disk.get("log", ())), "snapshot_index": snap_index,
            "snapshot_term": snap_term, "commit": None, "applied": None}


def _status(sim: Any, node_id: str) -> str:
    if node_id in sim.crashed:
        return "crashed"
    return "paused" if node_id in sim.paused else "up"


def _top_leader(sim: Any) -> RaftNode | None:
    found = [n for n in sim.nodes.values() if isinstance(n, RaftNode) and n.role == LEADER]
    return max(found, key=lambda n: n.current_term) if found else None


def raft_table(sim: Any) -> Any:
    """One row per node (index ``node``): role, term, vote, indexes, the leader's view.

    ``match`` / ``next`` are the current leader's ``match_index`` and
    ``next_index`` for that follower (the highest-term leader; empty on the
    leader's own row). A crashed node shows its persisted term, vote and log.
    """
    import pandas as pd

    leader = _top_leader(sim)
    rows = []
    for node_id in sim.node_ids:
        s = _node_state(sim, node_id)
        last_index = s["snapshot_index"] + len(s["entries"])
        last_term = s["entries"][-1].term if s["entries"] else s["snapshot_term"]
        follower_of = leader is not None and node_id != leader.node_id
        rows.append({
            "status": _status(sim, node_id) + ("" if s["live"] else " (disk)"),
            "role": s["role"], "term": s["term"], "voted_for": s["voted_for"] or "",
            "leader_id": s["leader_id"] or "",
            "commit": "" if s["commit"] is None else s["commit"],
            "applied": "" if s["applied"] is None else s["applied"],
            "last_index": last_index, "last_term": last_term,
            "snapshot": f"{s['snapshot_term']}/{s['snapshot_index']}" if s["snapshot_index"]
            else "",
            "match": leader.match_index.get(node_id, "") if leader and follower_of else "",
            "next": leader.next_index.get(node_id, "") if leader and follower_of else "",
        })
    return pd.DataFrame(rows, columns=RAFT_TABLE_COLUMNS, dtype=object,
                        index=pd.Index(list(sim.node_ids), name="node"))


def raft_node_lines(sim: Any, node_id: str) -> list[str]:
    """Three short lines per node for the cluster diagram (``cluster_diagram(lines=...)``).

    ``leader · term 3`` / ``log 1 1 3`` (the last terms) / ``commit 2 · applied 2``;
    a crashed node shows what it persisted: ``disk: term 3, voted n2``.
    """
    node = sim.nodes.get(node_id)
    if isinstance(node, RaftNode):
        log = f"log {node.log.short(6)}" if node.log.last_index else "log empty"
        return [f"{node.role} \u00b7 term {node.current_term}", log,
                f"commit {node.commit_index} \u00b7 applied {node.last_applied}"]
    s = _node_state(sim, node_id)
    vote = f", voted {s['voted_for']}" if s["voted_for"] else ""
    return [f"disk: term {s['term']}{vote}"]


# ---------------------------------------------------------------------- log view
CELL = ("min-width:52px;max-width:84px;height:34px;padding:1px 3px;text-align:center;"
        "vertical-align:middle;font-size:11px;line-height:1.15;overflow:hidden;")
HATCH = ("repeating-linear-gradient(135deg, rgba(255,255,255,0.85) 0 3px, "
         "rgba(255,255,255,0) 3px 7px)")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "\u2026"


def _entry_cell(index: int, entry: Any, s: dict[str, Any], limit: int) -> str:
    committed = s["commit"] is not None and index <= s["commit"]
    color = term_color(entry.term)
    command = html.escape(_short(str(entry.command), limit))
    if committed:
        style = f"background:{color};border:1px solid #455a64;"
    else:
        style = (f"background-color:{pale(color)};background-image:{HATCH};"
                 f"border:1px dashed #78909c;")
    if index == s["commit"]:
        style += "border-right:4px solid #000;"
    applied = " \u2022" if index == s["applied"] else ""
    state = "committed" if committed else "not known committed"
    title = html.escape(f"index {index}, term {entry.term}: {entry.command} ({state})")
    return (f'<td class="cl-entry cl-term-{entry.term}{" cl-committed" if committed else ""}" '
            f'title="{title}" style="{CELL}{style}"><b>{entry.term}</b>{applied}<br>'
            f'<span style="font-size:9px">{command}</span></td>')


def _row_head(node_id: str, s: dict[str, Any], status: str) -> str:
    if not s["live"]:
        vote = f", voted {s['voted_for']}" if s["voted_for"] else ""
        text = f"<b>{node_id}</b> crashed<br><small>disk: term {s['term']}{vote}</small>"
    else:
        star = " \u2605" if s["role"] == LEADER else ""
        extra = " (paused)" if status == "paused" else ""
        text = (f"<b>{node_id}</b>{star} {s['role']}{extra}<br><small>term {s['term']} "
                f"&middot; commit {s['commit']} &middot; applied {s['applied']}</small>")
    fill = ROLE_FILL.get(s["role"], "#eeeeee")
    return (f'<th class="cl-log-node" style="text-align:left;white-space:nowrap;padding:2px 8px;'
            f'background:{fill};font-weight:normal;font-size:12px">{text}</th>')


def _before_cell(s: dict[str, Any], low: int) -> str:
    """The first column when the window hides earlier indexes: a snapshot or "…"."""
    snap = s["snapshot_index"]
    if 0 < snap < low:
        return (f'<td class="cl-snapshot" style="{CELL}background:#cfd8dc;border:1px solid '
                f'#607d8b">snapshot &le; {snap}<br><span style="font-size:9px">last term '
                f'{s["snapshot_term"]}</span></td>')
    hidden = min(low - 1, snap + len(s["entries"])) - snap
    text = f"&hellip; {hidden}" if hidden > 0 and snap < low else ""
    return f'<td style="{CELL}color:#78909c">{text}</td>'


def _row_cells(s: dict[str, Any], low: int, high: int, limit: int) -> list[str]:
    cells, snap = [], s["snapshot_index"]
    if low > 1 and snap < low:
        cells.append(_before_cell(s, low))
    if snap >= low:  # the snapshot also covers the first column when there is one
        span = min(snap, high) - low + 1 + (low > 1)
        cells.append(f'<td class="cl-snapshot" colspan="{span}" style="{CELL}background:#cfd8dc;'
                     f'border:1px solid #607d8b">snapshot &le; {snap}<br>'
                     f'<span style="font-size:9px">last term {s["snapshot_term"]}</span></td>')
    for index in range(max(low, snap + 1), high + 1):
        offset = index - snap - 1
        if offset < len(s["entries"]):
            cells.append(_entry_cell(index, s["entries"][offset], s, limit))
        else:
            cells.append(f'<td style="{CELL}border:1px dotted #cfd8dc"></td>')
    return cells


def _window(states: dict[str, dict[str, Any]], max_entries: int) -> tuple[int, int]:
    """The indexes shown: the last ``max_entries``, and none that only snapshots cover."""
    high = max([s["snapshot_index"] + len(s["entries"]) for s in states.values()] or [0])
    firsts = [s["snapshot_index"] + 1 for s in states.values() if s["entries"]]
    return max(1, high - max_entries + 1, min(firsts, default=1)), high


def _legend(terms: Sequence[int]) -> str:
    swatches = "".join(
        f'<span style="display:inline-block;padding:0 6px;margin-right:3px;'
        f'background:{term_color(t)};border:1px solid #455a64">term {t}</span>' for t in terms)
    sample = term_color(terms[-1] if terms else 1)
    hatched = (f'<span style="display:inline-block;width:22px;background-color:{pale(sample)};'
               f'background-image:{HATCH};border:1px dashed #78909c">&nbsp;</span>')
    solid = (f'<span style="display:inline-block;width:22px;background:{sample};'
             f'border:1px solid #455a64;border-right:4px solid #000">&nbsp;</span>')
    return (f'<div class="cl-log-legend" style="font-size:11px;margin-top:3px">{swatches} '
            f"&nbsp; {solid} committed (bar = commit index) &nbsp; {hatched} not committed "
            f"yet &nbsp; \u2022 last applied &nbsp; \u2605 leader</div>")


def raft_logs(sim: Any, *, nodes: Sequence[str] | None = None, max_entries: int = 20,
              command_limit: int = 12) -> HtmlView:
    """Every node's log as an HTML table (see the module docstring for the colours).

    Columns are log indexes, aligned across nodes; only the last
    ``max_entries`` indexes are shown, and indexes that every log holds in
    its snapshot are left out. Earlier indexes share one first column: the
    node's snapshot, or "… k" for k entries not shown. A compacted prefix is
    a grey "snapshot" cell; a crashed node's row shows its persisted log,
    greyed out.
    """
    if max_entries < 1:
        raise ValueError(f"max_entries must be >= 1, got {max_entries}")
    node_ids = list(nodes) if nodes is not None else list(sim.node_ids)
    states = {n: _node_state(sim, n) for n in node_ids}
    low, high = _window(states, max_entries)
    head = ['<th style="text-align:left;padding:2px 8px;font-size:11px">node \\ index</th>']
    if low > 1:
        head.append(f'<th style="font-size:10px;color:#546e7a;font-weight:normal">'
                    f"1&ndash;{low - 1}</th>")
    head += [f'<th style="font-size:10px;color:#546e7a;font-weight:normal">{i}</th>'
             for i in range(low, high + 1)]
    rows = []
    for node_id in node_ids:
        s, status = states[node_id], _status(sim, node_id)
        cells = _row_cells(s, low, high, command_limit) if high else []
        fade = "" if s["live"] else ' style="opacity:0.45;filter:grayscale(60%)"'
        rows.append(f'<tr class="cl-log-row cl-log-{status}" data-node="{node_id}"{fade}>'
                    f'{_row_head(node_id, s, status)}{"".join(cells)}</tr>')
    terms = sorted({e.term for s in states.values() for e in s["entries"]})
    empty = "" if high else '<div style="font-size:11px;color:#757575">(every log is empty)</div>'
    table = ('<table class="cl-raft-logs" style="border-collapse:separate;border-spacing:2px;'
             f'font-family:Helvetica,Arial,sans-serif"><tr>{"".join(head)}</tr>'
             f'{"".join(rows)}</table>')
    return HtmlView(f'<div class="cl-raft-logs-view" style="overflow-x:auto">{table}{empty}'
                    f"{_legend(terms)}</div>")
