"""Render grading results as friendly text (terminal) or HTML (notebook).

One line per check — ``PASS``, ``FAIL``, ``ERROR``, ``TIMEOUT`` or ``SKIP`` and
the property — under a skip its reason, and under each failure the precise
message, the hint, the seed to replay a simulator run and the tail of its
trace. A last line counts passes (and skips, which are not failures).
"""

from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Sequence
from itertools import groupby

from consensus_lab.grading.base import CheckResult

_COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "ERROR": "#9a6700", "TIMEOUT": "#8250df",
            "SKIP": "#57606a"}
_TRACE_LINES = 12


def format_report(results: Sequence[CheckResult]) -> str:
    """The report for ``results`` (possibly of several exercises) as plain text."""
    lines: list[str] = []
    for exercise, group in groupby(results, key=lambda r: r.exercise):
        checks = list(group)
        graded = checks[0].answers_path if checks else ""
        lines.append(f"{exercise}  ({graded})" if graded else exercise)
        for result in checks:
            lines.extend(_format_one(result))
        lines.append("")
    passed = sum(r.status == "PASS" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    failing = len(results) - passed - skipped
    verdict = "all passed" if not failing else f"{failing} not passing"
    note = f" ({skipped} skipped)" if skipped else ""
    lines.append(f"{passed}/{len(results)} checks passed{note} — {verdict}.")
    return "\n".join(lines)


def _format_one(result: CheckResult) -> list[str]:
    """The line for one check, plus the details of a failure."""
    lines = [f"  {result.status:<8} {result.prop}  [{result.check}]"]
    pad = " " * 11
    if result.status == "SKIP":
        return lines + [pad + line for line in textwrap.wrap(result.message, 88)]
    if result.passed:
        return lines
    lines += [pad + line for line in textwrap.wrap(result.message, 88) or [""]]
    if result.hint:
        lines += textwrap.wrap(result.hint, 88, initial_indent=pad + "hint: ",
                               subsequent_indent=pad + "      ")
    if result.seed is not None:
        lines.append(f"{pad}seed: {result.seed}")
    if result.replay:
        lines.append(f"{pad}replay: {result.replay}")
    if result.trace:
        lines.append(f"{pad}trace (last lines):")
        tail = result.trace.splitlines()[-_TRACE_LINES:]
        lines += [pad + "  " + line for line in tail]
    return lines


def report_html(results: Sequence[CheckResult]) -> str:
    """The same report as HTML: a ``<pre>`` block with the status words coloured."""
    body = []
    for line in format_report(results).splitlines():
        escaped = html.escape(line)
        for status, colour in _COLOURS.items():
            prefix = f"  {status:<8} "
            if line.startswith(prefix):
                escaped = (f"  <b style='color:{colour}'>{status:<8}</b> "
                           + html.escape(line[len(prefix):]))
                break
        body.append(escaped)
    return "<pre style='line-height:1.35'>" + "\n".join(body) + "</pre>"


def format_scores(results: Sequence[CheckResult]) -> str:
    """The score table: test, part, points earned/possible, result, seconds; then the total."""
    rows = [("test", "part", "points", "result", "seconds")]
    rows += [(f"{r.exercise}.{r.check}", r.part or "-", f"{r.earned}/{r.possible}", r.status,
              f"{r.duration_s:.2f}") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    earned, possible = sum(r.earned for r in results), sum(r.possible for r in results)
    passed = sum(r.status == "PASS" for r in results)
    lines.append(f"total: {earned}/{possible} points, {passed}/{len(results)} checks passed")
    return "\n".join(lines)


def _check_json(result: CheckResult) -> dict[str, object]:
    return {"name": result.check, "part": result.part, "points": result.points,
            "earned": result.earned, "status": result.status,
            "seconds": round(result.duration_s, 3), "message": result.message,
            "seed": result.seed, "replay": result.replay}


def _totals(results: Sequence[CheckResult]) -> dict[str, int]:
    return {"earned": sum(r.earned for r in results),
            "possible": sum(r.possible for r in results),
            "passed": sum(r.status == "PASS" for r in results), "checks": len(results)}


def results_json(results: Sequence[CheckResult]) -> str:
    """One JSON object: for one exercise its checks and totals; for several, a list of those."""
    groups = [(name, list(group)) for name, group in groupby(results, key=lambda r: r.exercise)]
    objects = [{"exercise": name, "answers": group[0].answers_path,
                "checks": [_check_json(r) for r in group], "totals": _totals(group)}
               for name, group in groups]
    if len(objects) == 1:
        return json.dumps(objects[0])
    return json.dumps({"exercises": objects, "totals": _totals(results)})
