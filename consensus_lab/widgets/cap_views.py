"""HTML pieces of the CapExplorer: the verdict, the per-side table, the recent-runs chart.

Pure functions from :class:`~consensus_lab.widgets.cap.CapRun` values to HTML
or SVG text (no widgets, no randomness), so the same runs draw the same
picture and tests can read the text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Protocol


class CapRun(Protocol):
    """What the views read on a run (:class:`.cap.CapRun`), spelled out so that
    this module need not import :mod:`.cap`, which builds on it."""

    @property
    def number(self) -> int: ...
    @property
    def settings(self) -> Any: ...
    @property
    def verdict(self) -> Any: ...

    def explanation(self) -> str: ...
    def meaning(self) -> str: ...
    @property
    def stale_reads(self) -> int: ...
    @property
    def lost_writes(self) -> int: ...
    def rows(self) -> list[dict[str, Any]]: ...

PARTITION_AT, HEAL_AT = 500, 1500  # the explorer's partition window (t)


def verdict_html(run: CapRun) -> str:
    """The verdict line in colour, then what the run means."""
    color = {"ok": "#2e7d32", "illegal": "#c62828"}.get(run.verdict.verdict, "#616161")
    return (f'<div style="color:{color};font-size:14px"><b>#{run.number} '
            f"{html.escape(run.settings.label())}</b> — {html.escape(run.explanation())}</div>"
            f'<div class="cl-cap-meaning">{html.escape(run.meaning())}</div>')


CSS = ("<style>.cl-cap-sides{border-collapse:collapse;font-size:13px;margin:4px 0}"
       ".cl-cap-sides th,.cl-cap-sides td{border-bottom:1px solid #ddd;padding:2px 8px;"
       "line-height:1.3;text-align:right}.cl-cap-sides th{vertical-align:bottom}</style>")
TABLE_COLUMNS = ("side", "nodes", "majority", "window requests", "window answered",
                 "availability", "ok before heal", "stale reads", "lost writes", "requests",
                 "ok", "fail", "timed out")


def table_html(run: CapRun) -> str:
    """The per-side table: the partition window first, then the whole run."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in TABLE_COLUMNS)
    body = "".join("<tr>" + "".join(
        f"<td>{html.escape(_cell(row[c]))}</td>" for c in TABLE_COLUMNS) + "</tr>"
        for row in run.rows())
    note = (f"window = requests sent during t={PARTITION_AT}–{HEAL_AT}"
            f"{'' if run.settings.partition else ' (no cut this time)'}; "
            "timed out = outcome unknown (info)")
    return (CSS + '<table class="cl-cap-sides">'
            f"<tr>{head}</tr>{body}</table><small>{html.escape(note)}</small>")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.0%}"
    return str(value)


def chart_svg(runs: Sequence[CapRun], bar: int = 22, height: int = 120,
              step: int = 140) -> str:
    """Bars of availability during the partition per side, anomalies under each run.

    ``step`` px per run; the SVG shrinks to the notebook's width when wider."""
    width, parts = 40 + step * max(len(runs), 1), []
    for i, run in enumerate(runs):
        x0 = 40 + step * i
        for j, row in enumerate(run.rows()):
            h = row["availability"] * height
            color = "#2e7d32" if row["majority"] else "#81c784"
            parts.append(f'<rect class="cl-cap-bar" data-run="{run.number}" '
                         f'data-side="{row["side"]}" x="{x0 + j * (bar + 4)}" '
                         f'y="{10 + height - h:.1f}" width="{bar}" height="{h:.1f}" '
                         f'fill="{color}"><title>side {row["side"]}: '
                         f'{row["availability"]:.0%}</title></rect>'
                         f'<text x="{x0 + j * (bar + 4) + bar / 2}" y="{height + 22}" '
                         f'font-size="10" text-anchor="middle">{row["side"]}</text>')
        lines = [f"#{run.number} {run.settings.label().split(' N=')[0]}",
                 run.settings.label().split(" ", 1)[1],
                 f"stale {run.stale_reads} · lost {run.lost_writes}"]
        for k, line in enumerate(lines):
            parts.append(f'<text x="{x0}" y="{height + 36 + 12 * k}" font-size="10">'
                         f"{html.escape(line)}</text>")
    axis = (f'<line x1="34" y1="10" x2="34" y2="{height + 10}" stroke="#999"/>'
            f'<text x="2" y="16" font-size="10">100%</text>'
            f'<text x="10" y="{height + 10}" font-size="10">0%</text>')
    return (f'<svg class="cl-cap-chart-svg" width="{width}" height="{height + 76}" '
            f'viewBox="0 0 {width} {height + 76}" style="max-width:100%;height:auto" '
            'font-family="sans-serif"><text x="40" y="8" font-size="10" fill="#555">'
            "answered during the partition, per side (dark = majority side)</text>"
            f'{axis}{"".join(parts)}</svg>')



def plot_runs(runs: Sequence[CapRun]) -> Any:
    """A matplotlib figure of ``runs``: availability per side (left), anomalies (right)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    names = [f"#{run.number} {run.settings.label().split(' N=')[0]}"
             f"{' skew' if run.settings.skew else ''}" for run in runs]
    xs, width = range(len(runs)), 0.38
    for offset, side, color in ((-width / 2, "A", "#81c784"), (width / 2, "B", "#2e7d32")):
        heights = [next(r["availability"] for r in run.rows() if r["side"] == side)
                   for run in runs]
        left.bar([x + offset for x in xs], heights, width, color=color, label=f"side {side}")
    left.set_ylim(0, 1.25)  # room for the legend above the full bars
    left.set_ylabel("answered, of the requests\nsent during the partition")
    for offset, counts, color, label in (
            (-width / 2, [run.stale_reads for run in runs], "tab:orange", "stale reads"),
            (width / 2, [run.lost_writes for run in runs], "tab:red", "lost writes")):
        right.bar([x + offset for x in xs], counts, width, color=color, label=label)
    right.set_ylabel("count (both sides)")
    for ax in (left, right):
        ax.set_xticks(list(xs), names, rotation=25, ha="right")
        ax.legend(fontsize=8, ncol=2, loc="upper left")
    fig.tight_layout()
    return fig
