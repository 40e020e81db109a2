"""Term timeline: per node, its term and role over (true) time, as SVG.

Theory of operation
-------------------
Every trace record that carries a node's state after an event
(``record.state``, which for a :class:`~consensus_lab.raft.RaftNode` is
``describe()``: ``"leader t=3 log=… c=2"``) says which role and term the
node had from that instant on. Reading the records in order gives, per
node, a list of segments ``[start, end)`` of constant (role, term). A crash
(a ``nemesis`` record ``crash n1``) ends the node's segment: it is down
until its restart record. Network-wide nemesis actions (partition, heal)
are red dashed vertical lines labelled with what happened.

Encoding: x is true time; each node is a lane; a segment's **colour is its
term** (the palette of :func:`consensus_lab.viz.raft.term_color`, so it
matches the log view) and its **height is its role**: a thin bar while
following, a middle one while a candidate, a thick one while leading. The
term number is written in the bar when there is room. A crashed node's lane
is a grey dotted line; a paused node's bar gets an orange dashed outline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from ..sim.trace import Trace, TraceRecord
from .render import SvgDiagram

STATE = re.compile(r"^(follower|candidate|leader) t=(\d+)")
HEIGHT = {"follower": 6, "candidate": 13, "leader": 22}
LANE_GAP, TOP, LEFT, RIGHT = 40, 30, 46, 20
#: One colour per term, cycling after 10; shared with the log view.
TERM_COLORS = ("#64b5f6", "#81c784", "#ffb74d", "#ba68c8", "#e57373", "#4db6ac",
               "#fff176", "#a1887f", "#90a4ae", "#f06292")
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000,
              20_000, 50_000, 100_000)


def term_color(term: int) -> str:
    """The colour of ``term`` (stable: the same in every view)."""
    return TERM_COLORS[(term - 1) % len(TERM_COLORS)] if term > 0 else "#e0e0e0"


@dataclass
class Segment:
    """Node ``node`` had ``role`` in ``term`` during [start, end) (role "" = crashed)."""

    node: str
    start: int
    end: int
    role: str
    term: int
    paused: bool = False


def _records_and_end(source: Any) -> tuple[list[TraceRecord], int, Sequence[str] | None]:
    if isinstance(source, Trace):
        records = list(source.records)
        return records, (records[-1].time if records else 0), None
    if hasattr(source, "trace") and hasattr(source, "now"):
        return list(source.trace.records), source.now, tuple(source.node_ids)
    records = list(source)
    return records, (records[-1].time if records else 0), None


def segments(records: Iterable[TraceRecord], nodes: Sequence[str],
             end: int) -> list[Segment]:
    """Per node, the intervals of constant (role, term, paused); crashed = role ""."""
    open_: dict[str, Segment] = {}
    done: list[Segment] = []

    def switch(node: str, time: int, role: str, term: int, paused: bool) -> None:
        cur = open_.get(node)
        if cur is not None and (cur.role, cur.term, cur.paused) == (role, term, paused):
            return
        if cur is not None:
            cur.end = time
            if cur.end > cur.start or cur.role == "":
                done.append(cur)
        open_[node] = Segment(node, time, end, role, term, paused)

    wanted = set(nodes)
    for r in records:
        if r.kind == "nemesis" and r.node in wanted and r.detail:
            action = r.detail.split()[0]
            cur = open_.get(r.node)
            if action == "crash":
                switch(r.node, r.time, "", cur.term if cur else 0, False)
            elif action in ("pause", "resume") and cur is not None and cur.role:
                switch(r.node, r.time, cur.role, cur.term, action == "pause")
            continue
        if r.node not in wanted or not r.state:
            continue
        match = STATE.match(r.state)
        if match:
            cur = open_.get(r.node)
            paused = bool(cur and cur.paused)
            switch(r.node, r.time, match.group(1), int(match.group(2)), paused)
    for seg in open_.values():
        seg.end = max(end, seg.start)
        done.append(seg)
    return sorted(done, key=lambda s: (list(nodes).index(s.node), s.start))


def _tick_step(span: int, width: float) -> int:
    for step in NICE_STEPS:
        if span / step <= max(width / 80, 2):
            return step
    return NICE_STEPS[-1]


def _network_marks(records: Iterable[TraceRecord]) -> list[tuple[int, str]]:
    return [(r.time, r.detail) for r in records if r.kind == "nemesis" and not r.node]


def term_timeline(source: Any, nodes: Sequence[str] | None = None, *,
                  since: int | None = None, until: int | None = None,
                  width: int = 860) -> SvgDiagram:
    """Term (colour) and role (bar height) of every node over time.

    ``source`` is a simulation (its trace, up to ``sim.now``) or a trace.
    ``since`` / ``until`` clip the time range; ``width`` is the plot's width
    in pixels.
    """
    records, end, known = _records_and_end(source)
    if nodes is None:
        nodes = known or list(dict.fromkeys(r.node for r in records if r.kind == "start"))
    end = until if until is not None else end
    start = since if since is not None else 0
    if end <= start:
        end = start + 1
    segs = segments(records, nodes, end)
    scale = (width - LEFT - RIGHT) / (end - start)

    def x(t: int) -> float:
        return LEFT + (min(max(t, start), end) - start) * scale

    height = TOP + LANE_GAP * len(nodes) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="cl-term-timeline" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="10">',
             '<rect width="100%" height="100%" fill="white"/>']
    step = _tick_step(end - start, width)
    first = math.ceil(start / step) * step
    for t in range(first, end + 1, step):
        parts.append(f'<line x1="{x(t):.1f}" y1="{TOP - 6}" x2="{x(t):.1f}" y2="{height - 20}" '
                     f'stroke="#eeeeee"/><text x="{x(t):.1f}" y="{TOP - 10}" '
                     f'text-anchor="middle" fill="#757575">{t}</text>')
    parts.append(f'<text x="{width - RIGHT}" y="{height - 6}" text-anchor="end" '
                 f'fill="#757575">time (ms) &#8594;</text>')
    lanes = {n: TOP + 10 + LANE_GAP * i for i, n in enumerate(nodes)}
    for node, y in lanes.items():
        parts.append(f'<text x="6" y="{y + 4}" font-size="12" font-weight="bold">'
                     f"{escape(node)}</text>")
    for seg in segs:
        if seg.end < start or seg.start > end:
            continue
        parts.append(_segment_svg(seg, lanes[seg.node], x))
    for t, detail in _network_marks(records):
        if start <= t <= end:
            parts.append(f'<line x1="{x(t):.1f}" y1="{TOP - 2}" x2="{x(t):.1f}" '
                         f'y2="{height - 20}" stroke="#c62828" stroke-dasharray="4 3"/>'
                         f'<text x="{x(t) + 3:.1f}" y="{height - 22}" fill="#c62828">'
                         f"{escape(detail)}</text>")
    parts.append(_legend(width, height))
    parts.append("</svg>")
    return SvgDiagram("".join(parts))


def _segment_svg(seg: Segment, y: float, x: Any) -> str:
    x0, x1 = x(seg.start), x(seg.end)
    if not seg.role:  # a cross where it crashed; the word too when there is room
        label = (f'<text x="{x0 + 8:.1f}" y="{y - 4}" fill="#757575">crashed</text>'
                 if x1 - x0 >= 50 else "")
        return (f'<line class="cl-crashed" x1="{x0:.1f}" y1="{y}" x2="{x1:.1f}" y2="{y}" '
                f'stroke="#9e9e9e" stroke-width="1.5" stroke-dasharray="1 4"/>'
                f'<path d="M{x0 - 4:.1f},{y - 4} l8,8 m0,-8 l-8,8" stroke="#616161" '
                f'stroke-width="1.8"><title>crashed at t={seg.start}</title></path>{label}')
    h = HEIGHT[seg.role]
    outline = ' stroke="#ef6c00" stroke-width="1.5" stroke-dasharray="4 2"' if seg.paused else \
        ' stroke="#455a64" stroke-width="0.5"'
    title = f"{seg.node}: {seg.role}, term {seg.term}, t={seg.start}..{seg.end}"
    parts = [f'<rect class="cl-seg cl-{seg.role}" data-term="{seg.term}" x="{x0:.1f}" '
             f'y="{y - h / 2:.1f}" width="{max(x1 - x0, 0.8):.1f}" height="{h}" '
             f'fill="{term_color(seg.term)}"{outline}><title>{escape(title)}</title></rect>']
    label = f"t{seg.term}" + (" leader" if seg.role == "leader" and x1 - x0 > 70 else "")
    if x1 - x0 >= 7 * len(label) + 4:
        parts.append(f'<text x="{x0 + 3:.1f}" y="{y - h / 2 - 2:.1f}" fill="#37474f">'
                     f"{label}</text>")
    return "".join(parts)


def _legend(width: int, height: int) -> str:
    y = height - 6
    items, x = [], LEFT
    for role in ("follower", "candidate", "leader"):
        h = HEIGHT[role]
        items.append(f'<rect x="{x}" y="{y - 4 - h / 2:.1f}" width="18" height="{h}" '
                     f'fill="#b0bec5"/><text x="{x + 22}" y="{y}" fill="#455a64">{role}</text>')
        x += 90
    items.append(f'<text x="{x}" y="{y}" fill="#455a64">colour = term (as in the log view)'
                 "</text>")
    return "".join(items)
