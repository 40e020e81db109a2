"""Operation histories drawn as timelines (Jepsen / Porcupine style), as SVG.

Theory of operation
-------------------
One lane per client process (sorted, numbers in names compared as numbers);
each operation is a bar from its invocation to its completion on a shared,
linear time axis. ``ok`` bars are blue, ``fail`` bars grey and dashed (they
certainly did not happen), and ``info`` bars — outcome unknown — fade out
towards the right edge and end in a ``?``: the operation may take effect at
any time after its call, or never. When a process has overlapping operations
(an ``info`` op never returns) the lane grows extra rows.

Given a checker :class:`~consensus_lab.consistency.linearizability.Result`:

* ``ok``: the witness — the linearization order — is drawn as small numbered
  markers, one per op, inside its bar. Markers are placed greedily in witness
  order: each at its op's call or just after the previous marker, whichever is
  later. A valid linearization respects real time, so that point is never
  after the op returned; the markers move monotonically left to right and a
  thin polyline joins them (one polyline per key, since keys are checked on
  their own).
* ``illegal``: the culprit ops (the prefix that cannot be linearized) get a
  red outline and the explanation becomes the caption under the lanes.

The SVG is computed text with no randomness or ids taken from memory, so the
same history gives byte-identical output. :func:`write_timeline_html` wraps
it in a standalone page (inline CSS, no scripts, works offline).
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..consistency.history import READS, History, Op
from ..etcd.jepsen import JepsenResult, with_nemesis
from .render import SvgDiagram

LEFT_PAD, RIGHT_PAD, TOP, ROW_H, BAR_H, FONT, CHAR_W = 16, 40, 44, 50, 16, 10, 6.0
BAR_TOP = 16  # bar top below its row's top; labels go above (level 0) or below (1)
LANE_GAP = 10
INFO_TAIL = 28  # px of fade after an info op's right edge before the "?"
COLORS = {"ok": ("#e3f2fd", "#1565c0"), "fail": ("#eeeeee", "#9e9e9e"),
          "info": ("#e3f2fd", "#1565c0")}
CULPRIT = "#c62828"
LIN = "#2e7d32"
SVG_NS = "http://www.w3.org/2000/svg"


def op_label(op: Op) -> str:
    """``write(3)``, ``read → 3``, ``cas(1, 2) → false``; ``x: …`` with a key; ``✗`` if failed."""
    key = f"{op.key}: " if op.key is not None else ""
    if op.f in READS:
        body = f"{op.f} \u2192 {op.output!r}" if op.status == "ok" else f"{op.f}"
    else:
        if isinstance(op.value, tuple):
            arg = "(" + ", ".join(repr(v) for v in op.value) + ")"
        else:
            arg = f"({op.value!r})" if op.value is not None else "()"
        body = op.f + arg
        if op.status == "ok" and op.output is not None:
            out = {True: "true", False: "false"}.get(op.output, repr(op.output)) \
                if isinstance(op.output, bool) else repr(op.output)
            body += f" \u2192 {out}"
    tail = " \u2717" if op.status == "fail" else ""
    return key + body + tail


def _natural(name: str) -> list[Any]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", name) if part]


def _nice_step(span: float, target: int = 8) -> float:
    raw = span / target
    base = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if raw <= mult * base:
            return mult * base
    return 10 * base


def _fmt(t: float) -> str:
    return f"{round(t, 9):g}"


@dataclass
class _Bar:
    op: Op
    lane: int
    row: int
    x1: float
    x2: float  # right end of the bar (for info: where the fade starts)
    y: float  # top of the bar


class _Scale:
    def __init__(self, ops: list[Op], left: float, right: float) -> None:
        times = [op.call for op in ops] + [op.ret for op in ops if op.ret != math.inf]
        self.t0 = min(times) if times else 0.0
        self.t1 = max(times) if times else 1.0
        if self.t1 <= self.t0:
            self.t1 = self.t0 + 1
        self.left, self.right = left, right

    def x(self, t: float) -> float:
        if t == math.inf:
            return self.right
        return self.left + (t - self.t0) / (self.t1 - self.t0) * (self.right - self.left)


def _rows(ops: list[Op]) -> dict[int, int]:
    """Row of each op (by id) within its lane: the first row free at its call."""
    ends: list[float] = []
    rows = {}
    for op in sorted(ops, key=lambda o: (o.call, o.ret, o.id)):
        row = next((r for r, end in enumerate(ends) if op.call > end), len(ends))
        if row == len(ends):
            ends.append(-math.inf)
        ends[row] = op.ret
        rows[op.id] = row
    return rows


def _lin_points(witness: list[Op], bars: dict[int, _Bar]) -> list[tuple[Op, float, float]]:
    """(op, x, y) of each witness op's marker, monotonic in x per key."""
    points = []
    prev: dict[Any, float] = {}
    for op in witness:
        bar = bars.get(op.id)
        if bar is None:
            continue
        lo = bar.x1 + 5
        hi = max(bar.x2 - 5, lo)
        last = prev.get(op.key, -math.inf)
        x = min(max(lo, last + 9), max(hi, last))
        prev[op.key] = x
        points.append((op, x, bar.y + BAR_H / 2))
    return points


def _labels(bars: dict[int, _Bar]) -> dict[int, tuple[int, str]]:
    """(level, text) of each op's label: above the bar if there is room, else below,
    shortened with an ellipsis where the next label on the same level starts."""
    groups: dict[tuple[int, int], list[_Bar]] = {}
    for bar in sorted(bars.values(), key=lambda b: (b.x1, b.op.id)):
        groups.setdefault((bar.lane, bar.row), []).append(bar)
    out = {}
    for group in groups.values():
        ends: list[float] = [-math.inf, -math.inf]
        placed: list[list[_Bar]] = [[], []]
        for bar in group:
            free = [level for level in (0, 1) if bar.x1 > ends[level] + 4]
            level = free[0] if free else min((0, 1), key=lambda lv: ends[lv])
            ends[level] = bar.x1 + CHAR_W * len(op_label(bar.op))
            placed[level].append(bar)
        for row in placed:
            for i, bar in enumerate(row):
                text = op_label(bar.op)
                if i + 1 < len(row):
                    chars = int((row[i + 1].x1 - bar.x1 - 4) / CHAR_W)
                    if len(text) > chars:
                        text = text[: chars - 1] + "\u2026" if chars >= 2 else ""
                out[bar.op.id] = (0 if row is placed[0] else 1, text)
    return out


def history_timeline(history: History | list[Op], result: Any = None, *,
                     width: int = 900, caption: bool = True) -> SvgDiagram:
    """A timeline of ``history``, with ``result``'s witness or culprit (see the module doc).

    ``caption=False`` leaves out the explanation sentence under the lanes."""
    ops = list(history)
    names = sorted({op.process for op in ops}, key=_natural)
    name_w = max((len(n) for n in names), default=4) * 7.2 + 2 * LEFT_PAD
    right = width - RIGHT_PAD - INFO_TAIL
    scale = _Scale(ops, name_w, right)
    lanes = {name: i for i, name in enumerate(names)}

    by_process: dict[str, list[Op]] = {name: [] for name in names}
    for op in ops:
        by_process[op.process].append(op)
    bars: dict[int, _Bar] = {}
    lane_top, lane_h, y = [], [], float(TOP)
    for name in names:
        mine = by_process[name]
        rows = _rows(mine)
        lane_top.append(y)
        lane_h.append(ROW_H * (max(rows.values(), default=0) + 1))
        for op in mine:
            x1 = scale.x(op.call)
            x2 = max(scale.x(op.ret), x1 + 3)
            bars[op.id] = _Bar(op, lanes[name], rows[op.id], x1, x2,
                               y + ROW_H * rows[op.id] + BAR_TOP)
        y += lane_h[-1] + LANE_GAP
    bottom = y

    verdict = getattr(result, "verdict", None)
    culprit = getattr(result, "culprit", []) if verdict == "illegal" else []
    culprit_ids = {op.id for op in culprit}
    parts: list[str] = []
    add = parts.append
    add('<defs><linearGradient id="cl-info-fade" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="0" stop-color="{COLORS["info"][0]}" stop-opacity="1"/>'
        f'<stop offset="1" stop-color="{COLORS["info"][0]}" stop-opacity="0"/>'
        '</linearGradient>'
        '<linearGradient id="cl-info-edge" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="0" stop-color="{COLORS["info"][1]}" stop-opacity="1"/>'
        f'<stop offset="1" stop-color="{COLORS["info"][1]}" stop-opacity="0"/>'
        '</linearGradient></defs>')

    # time axis
    add('<text x="8" y="14" font-size="9" fill="#757575">time \u2192</text>')
    step = _nice_step(scale.t1 - scale.t0)
    t = math.ceil(scale.t0 / step) * step
    while t <= scale.t1 + 1e-9:
        x = scale.x(t)
        add(f'<line x1="{x:.1f}" y1="{TOP - 14}" x2="{x:.1f}" y2="{bottom - LANE_GAP:.1f}" '
            'stroke="#eeeeee" stroke-width="1"/>')
        add(f'<text x="{x:.1f}" y="{TOP - 18}" font-size="8" fill="#757575" '
            f'text-anchor="middle">{escape(_fmt(t))}</text>')
        t += step

    for name, top, height in zip(names, lane_top, lane_h, strict=True):
        lane = lanes[name]
        if lane % 2:
            add(f'<rect x="0" y="{top - 2:.1f}" width="{width}" height="{height + 4:.1f}" '
                'fill="#fafafa"/>')
        add(f'<text class="cl-lane-name" x="8" y="{top + height / 2 + 4:.1f}" font-size="12" '
            f'font-weight="bold" fill="#212121">{escape(name)}</text>')

    labels = _labels(bars)
    for op in ops:
        _draw_bar(parts, bars[op.id], lanes, op.id in culprit_ids, labels[op.id])

    if verdict == "ok":
        points = _lin_points(list(getattr(result, "witness", [])), bars)
        by_key: dict[Any, list[tuple[float, float]]] = {}
        for op, x, py in points:
            by_key.setdefault(op.key, []).append((x, py))
        for key_points in by_key.values():
            if len(key_points) > 1:
                coords = " ".join(f"{x:.1f},{py:.1f}" for x, py in key_points)
                add(f'<polyline class="cl-lin-path" points="{coords}" fill="none" '
                    f'stroke="{LIN}" stroke-width="1" stroke-opacity="0.7"/>')
        for order, (op, x, py) in enumerate(points, start=1):
            add(f'<g class="cl-lin" data-order="{order}" data-op="{op.id}">'
                f'<title>{escape(f"#{order} in the linearization: {op}")}</title>'
                f'<circle cx="{x:.1f}" cy="{py:.1f}" r="6.5" fill="white" stroke="{LIN}" '
                'stroke-width="1.5"/>'
                f'<text x="{x:.1f}" y="{py + 3:.1f}" font-size="8" fill="{LIN}" '
                f'text-anchor="middle">{order}</text></g>')

    explanation = getattr(result, "explanation", "") if result is not None and caption else ""
    lines = textwrap.wrap(explanation, max(int((width - 16) / CHAR_W), 20))
    color = CULPRIT if verdict == "illegal" else "#424242"
    for i, line in enumerate(lines):
        add(f'<text class="cl-caption" x="8" y="{bottom + 10 + 14 * i:.1f}" font-size="{FONT}" '
            f'fill="{color}">{escape(line)}</text>')
    total_height = bottom + 14 * len(lines) + 14
    head = (f'<svg xmlns="{SVG_NS}" class="cl-history-svg" width="{width}" '
            f'height="{total_height:.0f}" viewBox="0 0 {width} {total_height:.0f}" '
            'font-family="Menlo, Consolas, DejaVu Sans Mono, monospace">')
    return SvgDiagram(head + '<rect width="100%" height="100%" fill="white"/>'
                      + "".join(parts) + "</svg>")


def _draw_bar(parts: list[str], bar: _Bar, lanes: dict[str, int], culprit: bool,
              label: tuple[int, str]) -> None:
    op = bar.op
    fill, stroke = COLORS[op.status]
    cls = f"cl-op cl-op-{op.status}" + (" cl-culprit" if culprit else "")
    parts.append(f"<g class={quoteattr(cls)} data-op={quoteattr(str(op.id))} "
                 f"data-process={quoteattr(op.process)} data-lane=\"{lanes[op.process]}\">"
                 f"<title>{escape(str(op))}</title>")
    edge = f'stroke="{CULPRIT}" stroke-width="2.5"' if culprit else \
        f'stroke="{stroke}" stroke-width="1.2"'
    dash = ' stroke-dasharray="4 2"' if op.status == "fail" else ""
    y, w = bar.y, bar.x2 - bar.x1
    if op.status == "info":
        tail = bar.x2 + INFO_TAIL - 10
        parts.append(f'<rect class="cl-bar" x="{bar.x1:.1f}" y="{y:.1f}" '
                     f'width="{tail - bar.x1:.1f}" height="{BAR_H}" fill="url(#cl-info-fade)" '
                     f'stroke="none"/>')
        edge_color = CULPRIT if culprit else "url(#cl-info-edge)"
        sw = "2.5" if culprit else "1.2"
        for yy in (y, y + BAR_H):
            parts.append(f'<line x1="{bar.x1:.1f}" y1="{yy:.1f}" x2="{tail:.1f}" y2="{yy:.1f}" '
                         f'stroke="{edge_color}" stroke-width="{sw}"/>')
        parts.append(f'<line x1="{bar.x1:.1f}" y1="{y:.1f}" x2="{bar.x1:.1f}" '
                     f'y2="{y + BAR_H:.1f}" {edge}/>')
        parts.append(f'<text class="cl-unknown" x="{tail + 6:.1f}" y="{y + BAR_H - 3:.1f}" '
                     f'font-size="13" font-weight="bold" fill="{stroke}">?</text>')
    else:
        parts.append(f'<rect class="cl-bar" x="{bar.x1:.1f}" y="{y:.1f}" width="{w:.1f}" '
                     f'height="{BAR_H}" rx="3" fill="{fill}" {edge}{dash}/>')
    text_color = "#9e9e9e" if op.status == "fail" else (CULPRIT if culprit else "#212121")
    level, text = label
    ty = y - 3 if level == 0 else y + BAR_H + 11
    parts.append(f'<text class="cl-op-label" x="{bar.x1 + 2:.1f}" y="{ty:.1f}" '
                 f'font-size="{FONT}" fill="{text_color}">{escape(text)}</text></g>')


_CSS = """
body { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; margin: 1.5em;
       color: #212121; background: white; }
h1 { font-size: 1.1em; }
.verdict-ok { color: #2e7d32; } .verdict-illegal { color: #c62828; }
.verdict-unknown { color: #ef6c00; }
.legend { display: flex; flex-wrap: wrap; gap: 1.2em; font-size: 0.85em; margin: 0.8em 0; }
.legend span.sw { display: inline-block; width: 2.2em; height: 0.9em; vertical-align: middle;
                  margin-right: 0.4em; border-radius: 2px; }
.sw-ok { background: #e3f2fd; border: 1px solid #1565c0; }
.sw-fail { background: #eeeeee; border: 1px dashed #9e9e9e; }
.sw-info { background: linear-gradient(to right, #e3f2fd, white); border-left: 1px solid #1565c0; }
.sw-culprit { background: #e3f2fd; border: 2px solid #c62828; }
.sw-lin { width: 0.9em !important; border-radius: 50% !important; border: 1.5px solid #2e7d32; }
.timeline { overflow-x: auto; }
p.explanation { max-width: 60em; }
"""


def write_timeline_html(history: History | list[Op], result: Any, path: str | Path, *,
                        title: str = "History timeline", width: int = 900) -> Path:
    """A standalone HTML page (inline SVG and CSS, no scripts) with legend and explanation."""
    svg = history_timeline(history, result, width=width, caption=False).data
    verdict = getattr(result, "verdict", None)
    explanation = getattr(result, "explanation", "") if result is not None else ""
    legend = [("ok", "completed operation"), ("fail", "failed (did not happen)"),
              ("info", "unknown outcome (?)")]
    if verdict == "illegal":
        legend.append(("culprit", "cannot be linearized"))
    if verdict == "ok":
        legend.append(("lin", "linearization point, in order"))
    items = "".join(f'<span><span class="sw sw-{k}"></span>{html.escape(text)}</span>'
                    for k, text in legend)
    head = (f"<h1>{html.escape(title)}"
            + (f' — <span class="verdict-{verdict}">{html.escape(verdict)}</span>'
               if verdict else "") + "</h1>")
    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"{head}\n<div class=\"legend\">{items}</div>\n"
            f"<div class=\"timeline\">{svg}</div>\n"
            + (f'<p class="explanation">{html.escape(explanation)}</p>\n' if explanation else "")
            + "</body>\n</html>\n")
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return target


def write_jepsen_timeline(result: JepsenResult, path: str | Path) -> Path:
    """Write a Jepsen run's timeline page (faults in a ``nemesis`` lane under the
    clients) to ``path``, note it in ``result.timeline``, and return it."""
    config = result.config
    title = (f"jepsen {config.backend}, nemesis {config.nemesis}, reads {config.reads}, "
             f"seed {config.seed}")
    result.timeline = write_timeline_html(with_nemesis(result.history, result.faults),
                                          result.check, path, title=title, width=1400)
    return result.timeline
