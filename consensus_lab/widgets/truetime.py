"""The ε slider: slide TrueTime's uncertainty, switch commit wait, skew the clocks past ε.

:func:`truetime_explorer` returns a VBox. Every change reruns two seeded
experiments from :mod:`consensus_lab.spanner.experiments` — the commit
latency at this ε (:func:`~consensus_lab.spanner.latency_row`) and the
two-write story with leader clocks at ``±clock error``
(:func:`~consensus_lab.spanner.scripted_anomaly`) — and redraws the
readout and the commit timeline. CSS classes (for the browser tests):
``cl-truetime`` (the box), ``cl-tt-epsilon``, ``cl-tt-wait``, ``cl-tt-error``,
``cl-tt-latency``, ``cl-tt-verdict``, ``cl-tt-timeline``.
"""

from __future__ import annotations

import html
import io
from typing import Any

import ipywidgets as widgets

from ..spanner.experiments import latency_row, scripted_anomaly
from ..viz.truetime import commit_timeline

STYLE = {"description_width": "initial"}


def _tag(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(f"cl-{name}")
    return widget


def _svg(history: Any, title: str) -> str:
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "truetime"}):
        fig, ax = plt.subplots(figsize=(7.5, 1.6))
        commit_timeline(history, ax=ax, title=title)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def readout(epsilon: int, commit_wait: bool, clock_error: int,
            txns: int = 10) -> tuple[str, str, str]:
    """The three HTML parts for these settings: latency, verdict, timeline (an SVG)."""
    row = latency_row(epsilon, txns=txns)
    latency = (f"ε = {epsilon} ms: commit latency {row['latency_ms']} ms with commit wait, "
               f"{row['message_latency_ms']} ms without; 2ε + messages = "
               f"{row['predicted_ms']} ms (ratio {row['ratio']})")
    run = scripted_anomaly(epsilon, commit_wait=commit_wait, skew=clock_error)
    within = "within" if clock_error <= epsilon else "BEYOND"
    story = (f"leader clocks at ±{clock_error} ms ({within} ε), commit wait "
             f"{'on' if commit_wait else 'off'}")
    verdict = (f"✔ externally consistent ({story})" if run.result.ok
               else f"✘ {story}: {run.result.explanation}")
    return html.escape(latency), html.escape(verdict), _svg(run.sim.history, "two writes")


def truetime_explorer(epsilon: int = 10, commit_wait: bool = True,
                      clock_error: int | None = None) -> widgets.VBox:
    """An ε slider, a commit-wait switch and a clock-error slider over live experiments."""
    eps = _tag(widgets.IntSlider(value=epsilon, min=1, max=100, description="ε (ms)",
                                 continuous_update=False, style=STYLE), "tt-epsilon")
    wait = _tag(widgets.Checkbox(value=commit_wait, description="commit wait", indent=False),
                "tt-wait")
    error = _tag(widgets.IntSlider(value=epsilon if clock_error is None else clock_error,
                                   min=0, max=200, description="real clock error (ms)",
                                   continuous_update=False, style=STYLE), "tt-error")
    latency = _tag(widgets.HTML(), "tt-latency")
    verdict = _tag(widgets.HTML(), "tt-verdict")
    timeline = _tag(widgets.HTML(), "tt-timeline")

    def redraw(_: Any = None) -> None:
        parts = readout(eps.value, wait.value, error.value)
        latency.value = f"<div>{parts[0]}</div>"
        verdict.value = f"<div>{parts[1]}</div>"
        timeline.value = parts[2]

    for control in (eps, wait, error):
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([eps, wait, error]), latency, verdict, timeline])
    return _tag(box, "truetime")
