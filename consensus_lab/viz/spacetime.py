"""Lamport space-time diagrams drawn as SVG.

Theory of operation
-------------------
One horizontal lane per node; every trace record worth drawing (start,
send, deliver, drop, timer, note, nemesis, and client invoke/complete when
the client has a lane) becomes an event point on its node's lane; a
message is an arrow from its send to each of its deliveries, joined by
``msg_id``; a dropped message ends in a red cross; a message still in
flight runs dashed to the right edge. Each event is labelled with the
node's state after it (``record.state``, e.g. a vector clock) or with a
custom ``label(record)``; the full record is in the hover tooltip.

Why we draw the SVG ourselves instead of asking Graphviz: a space-time
diagram needs a real left-to-right axis on which every lane shares the
same x for the same instant. In dot, lanes need ``rank=same`` subgraphs
and chains of invisible edges, message edges then pull events out of
order, and labels move whenever one event is added. Here x is computed:
events are placed in trace order (a strict left-to-right happens-before
reading, Lamport's own drawing convention) — labelled events get a wide
column, unlabelled ones (most sends) a narrow one — and the true time is
printed on the axis above whenever it changes. Labels on one lane are
packed into four rows (above/below, near/far) so neighbours do not
overlap, and no Graphviz executable is needed. About 50 events fit in
~1500 px; the returned :class:`~consensus_lab.viz.render.SvgDiagram`
scrolls sideways in a notebook.

Lane styles follow the cluster diagram: up = solid, paused = orange
dashed, crashed = grey dotted (from the nemesis records).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..explore.schedule import Schedule
from ..sim.trace import TraceRecord
from .render import SvgDiagram

Label = Callable[[TraceRecord], str]

EVENT_KINDS = ("start", "send", "deliver", "drop", "timer", "note", "nemesis", "invoke",
               "complete")
LANE_GAP, TOP, LEFT, RIGHT, FONT, CHAR_W = 84, 64, 52, 60, 10, 6.0
WIDE, NARROW = 34, 16
LABEL_ROWS = (-8, 17, -20, 29)  # baseline offsets from the lane: near above/below, far
COLORS = {"send": "#212121", "deliver": "#1565c0", "timer": "#6a1b9a", "note": "#616161",
          "nemesis": "#c62828", "start": "#2e7d32", "drop": "#c62828", "invoke": "#00838f",
          "complete": "#00838f"}
LANE_STYLES = {"up": 'stroke="#9e9e9e" stroke-width="1.5"',
               "paused": 'stroke="#ef6c00" stroke-width="3" stroke-dasharray="6 3"',
               "crashed": 'stroke="#bdbdbd" stroke-width="1.5" stroke-dasharray="1 4"'}
STATUS_AFTER = {"crash": "crashed", "restart": "up", "pause": "paused", "resume": "up"}


def default_label(record: TraceRecord) -> str:
    """The node's state after the event; for notes, nemesis and drops, the detail."""
    if record.kind in ("note", "nemesis", "drop", "complete"):
        return record.detail
    if record.kind == "invoke":
        return str(record.message)
    return record.state


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "\u2026"


@dataclass
class _Event:
    record: TraceRecord
    x: float
    lane: int | None  # None: a nemesis action on the whole network
    label: str


@dataclass
class _Rows:
    """Greedy packing of labels into rows: the first row with room wins."""

    count: int
    ends: list[float] = field(default_factory=list)

    def place(self, start: float, width: float) -> int:
        if not self.ends:
            self.ends = [-math.inf] * self.count
        for row, end in enumerate(self.ends):
            if start > end + 4:
                self.ends[row] = start + width
                return row
        row = min(range(self.count), key=lambda r: self.ends[r])
        self.ends[row] = start + width
        return row


def _drawn(records: Iterable[TraceRecord], lanes: dict[str, int]) -> list[TraceRecord]:
    keep = []
    for r in records:
        if r.kind not in EVENT_KINDS:
            continue
        if r.node in lanes or (r.kind == "nemesis" and not r.node):
            keep.append(r)
    return keep


def _lane_status(records: Iterable[TraceRecord], lanes: dict[str, int]) -> dict[str, str]:
    status = dict.fromkeys(lanes, "up")
    for r in records:
        change = _status_change(r)
        if change and r.node in status:
            status[r.node] = change
    return status


def _status_change(record: TraceRecord) -> str | None:
    if record.kind != "nemesis" or not record.node or not record.detail:
        return None
    return STATUS_AFTER.get(record.detail.split()[0])


def _layout(records: list[TraceRecord], lanes: dict[str, int], label: Label) -> list[_Event]:
    events, x = [], float(LEFT + 24)
    for r in records:
        text = label(r) or ""
        events.append(_Event(r, x, lanes.get(r.node) if r.node else None, text))
        x += WIDE if text else NARROW
    return events


class _Canvas:
    """Collects SVG elements in drawing order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, text: str, *, size: float = FONT, color: str = "#212121",
             anchor: str = "start", extra: str = "") -> None:
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" '
                 f'text-anchor="{anchor}" {extra}>{escape(text)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, style: str) -> None:
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>')

    def arrowhead(self, x1: float, y1: float, x2: float, y2: float, color: str) -> None:
        angle = math.atan2(y2 - y1, x2 - x1)
        pts = [(x2, y2)]
        for side in (-1, 1):
            a = angle + math.pi - side * 0.4
            pts.append((x2 + 8 * math.cos(a), y2 + 8 * math.sin(a)))
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        self.add(f'<polygon points="{coords}" fill="{color}"/>')

    def cross(self, x: float, y: float, color: str, size: float = 5) -> None:
        style = f'stroke="{color}" stroke-width="2.2"'
        self.line(x - size, y - size, x + size, y + size, style)
        self.line(x - size, y + size, x + size, y - size, style)


def _lane_y(lane: int) -> float:
    return TOP + LANE_GAP * lane


def _draw_lanes(c: _Canvas, names: Sequence[str], events: list[_Event],
                start_status: dict[str, str], right: float) -> None:
    for lane, name in enumerate(names):
        y = _lane_y(lane)
        c.text(8, y + 4, name, size=12, extra='font-weight="bold"')
        status, x0 = start_status[name], float(LEFT)
        for ev in events:
            change = _status_change(ev.record)
            if ev.record.node == name and change:
                c.line(x0, y, ev.x, y, LANE_STYLES[status])
                status, x0 = change, ev.x
        c.line(x0, y, right, y, LANE_STYLES[status])


def _draw_time_axis(c: _Canvas, events: list[_Event]) -> None:
    c.text(8, 14, "time \u2192", size=9, color="#757575")
    last = None
    for ev in events:
        if ev.record.time != last:
            last = ev.record.time
            c.line(ev.x, TOP - 30, ev.x, TOP - 24, 'stroke="#bdbdbd"')
            c.text(ev.x, TOP - 33, f"t={last}", size=8, color="#757575",
                   extra=f'transform="rotate(-50 {ev.x:.1f} {TOP - 33})"')


def _message_ends(events: list[_Event],
                  lanes: dict[str, int]) -> list[tuple[_Event | None, _Event]]:
    sends = {ev.record.msg_id: ev for ev in events if ev.record.kind == "send"}
    pairs = []
    for ev in events:
        r = ev.record
        if r.kind in ("deliver", "drop") and r.msg_id >= 0 and r.peer in lanes:
            pairs.append((sends.get(r.msg_id), ev))
    return pairs


def _draw_messages(c: _Canvas, events: list[_Event], lanes: dict[str, int],
                   show_messages: bool, right: float, limit: int) -> None:
    ended = set()
    for send, end in _message_ends(events, lanes):
        ended.add(end.record.msg_id)
        x1 = send.x if send else float(LEFT)
        y1 = _lane_y(lanes[end.record.peer])
        _draw_arrow(c, x1, y1, end, show_messages, limit)
    for ev in events:
        r = ev.record
        if r.kind == "send" and r.msg_id not in ended and r.peer in lanes and ev.lane is not None:
            y1, y2 = _lane_y(ev.lane), _lane_y(lanes[r.peer])
            x2 = right - 8
            y2 = y1 + (y2 - y1) * min(1.0, (x2 - ev.x) / (3 * WIDE))
            c.add(f"<g><title>{escape('in flight: ' + str(r))}</title>")
            c.line(ev.x, y1, x2, y2, 'stroke="#9e9e9e" stroke-width="1.2" stroke-dasharray="4 3"')
            c.add("</g>")


def _draw_arrow(c: _Canvas, x1: float, y1: float, end: _Event, show: bool, limit: int) -> None:
    x2, y2 = end.x, _lane_y(end.lane or 0)
    dropped = end.record.kind == "drop"
    color = COLORS["drop"] if dropped else "#424242"
    dash = ' stroke-dasharray="5 3"' if dropped else ""
    c.add(f"<g><title>{escape(str(end.record))}</title>")
    c.line(x1, y1, x2, y2, f'stroke="{color}" stroke-width="1.2"{dash}')
    if dropped:
        c.cross(x2, y2, color)
    else:
        c.arrowhead(x1, y1, x2, y2, color)
    c.add("</g>")
    if show and end.record.message is not None:
        mx, my = x1 + (x2 - x1) * 0.45, y1 + (y2 - y1) * 0.45
        c.text(mx + 3, my, _short(str(end.record.message), limit), size=8, color="#616161",
               extra='stroke="white" stroke-width="3" paint-order="stroke"')


def _draw_point(c: _Canvas, ev: _Event, y: float) -> None:
    kind, color = ev.record.kind, COLORS.get(ev.record.kind, "#212121")
    c.add(f"<g class={quoteattr('cl-ev cl-ev-' + kind)}><title>{escape(str(ev.record))}</title>")
    if kind == "timer":
        c.add(f'<rect x="{ev.x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="white" '
              f'stroke="{color}" stroke-width="1.5"/>')
    elif kind == "nemesis":
        c.add(f'<rect x="{ev.x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{color}"/>')
    elif kind == "note":
        c.add(f'<polygon points="{ev.x:.1f},{y - 5:.1f} {ev.x + 5:.1f},{y:.1f} {ev.x:.1f},'
              f'{y + 5:.1f} {ev.x - 5:.1f},{y:.1f}" fill="{color}"/>')
    elif kind == "drop":  # a drop without an arrow (its sender has no lane)
        c.cross(ev.x, y, color)
    else:
        fill = "white" if kind in ("start", "invoke") else color
        radius = 3 if kind == "send" else 4.5
        c.add(f'<circle cx="{ev.x:.1f}" cy="{y:.1f}" r="{radius}" fill="{fill}" '
              f'stroke="{color}" stroke-width="1.5"/>')
    c.add("</g>")


def _draw_events(c: _Canvas, events: list[_Event], lanes: dict[str, int], limit: int) -> None:
    n_lanes = len(lanes)
    rows = [_Rows(len(LABEL_ROWS)) for _ in range(n_lanes)]
    bottom = _Rows(3)
    base = _lane_y(n_lanes - 1) + 44
    for ev in events:
        text = _short(ev.label, limit)
        width = CHAR_W * len(text)
        if ev.lane is None:  # a network-wide nemesis action
            c.line(ev.x, TOP - 16, ev.x, base - 10,
                   f'stroke="{COLORS["nemesis"]}" stroke-width="1.5" stroke-dasharray="6 4"')
            row = bottom.place(ev.x - 2, width)
            c.text(ev.x - 2, base + 13 * row, text, size=FONT - 1, color=COLORS["nemesis"])
            continue
        y = _lane_y(ev.lane)
        if not (ev.record.kind == "drop" and ev.record.peer in lanes):  # else the arrow's cross
            _draw_point(c, ev, y)
        if text:
            row = rows[ev.lane].place(ev.x - width / 2, width)
            color = COLORS["nemesis"] if ev.record.kind == "nemesis" else "#212121"
            c.text(ev.x, y + LABEL_ROWS[row], text, size=FONT, color=color, anchor="middle")


def spacetime_diagram(
    trace: Iterable[TraceRecord],
    nodes: Sequence[str] | None = None,
    until_step: int | None = None,
    label: Label | None = None,
    *,
    last: int | None = None,
    show_messages: bool = True,
    label_limit: int = 22,
) -> SvgDiagram:
    """A Lamport space-time diagram of ``trace`` (see the module docstring).

    ``nodes`` are the lanes, top to bottom (default: every node that starts,
    in order); ``until_step`` keeps the records of the first steps only;
    ``label(record)`` replaces the default label (the node's state);
    ``last`` keeps only the last events (arrows from earlier sends start at
    the left edge).
    """
    records = [r for r in trace if until_step is None or r.step <= until_step]
    if nodes is None:
        nodes = list(dict.fromkeys(r.node for r in records if r.kind == "start"))
    if last is not None and last < 1:
        raise ValueError(f"last must be a positive number of events or None, got {last}")
    lanes = {name: i for i, name in enumerate(nodes)}
    drawn = _drawn(records, lanes)
    shown = drawn[-last:] if last is not None else drawn
    before = drawn[: len(drawn) - len(shown)]
    events = _layout(shown, lanes, label or default_label)
    right = (events[-1].x if events else float(LEFT)) + RIGHT
    c = _Canvas()
    _draw_time_axis(c, events)
    _draw_lanes(c, list(nodes), events, _lane_status(before, lanes), right)
    _draw_messages(c, events, lanes, show_messages, right, label_limit)
    _draw_events(c, events, lanes, label_limit)
    width = right + CHAR_W * label_limit / 2
    height = _lane_y(max(len(lanes) - 1, 0)) + 90
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="cl-spacetime-svg" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-family="Menlo, Consolas, DejaVu Sans Mono, monospace">')
    return SvgDiagram(head + '<rect width="100%" height="100%" fill="white"/>'
                      + "".join(c.parts) + "</svg>")


def schedule_spacetime(schedule: Schedule, **options: Any) -> SvgDiagram:
    """A space-time diagram of a model checker's schedule or counterexample:
    only its moves are drawn (the setup's events before them are left out);
    ``options`` go to :func:`spacetime_diagram`."""
    sim = schedule.sim
    records = list(sim.trace)
    lanes = set(sim.node_ids)
    shown = [r for r in records[schedule.origin.prefix_records:]
             if r.kind in EVENT_KINDS and (r.node in lanes or r.kind == "nemesis")]
    options.setdefault("nodes", list(sim.node_ids))
    options.setdefault("last", max(len(shown), 1))
    return spacetime_diagram(records, **options)
