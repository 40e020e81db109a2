"""The widgets of the SimulationPlayer, laid out, each with a stable CSS class.

:func:`build_controls` returns a dict ``name -> widget``; the widget named
``x`` carries the CSS class ``cl-x`` (``step`` → ``cl-step``), and the whole
player is ``w["player"]`` (``cl-player``). Nothing here knows about the
simulation: :mod:`consensus_lab.widgets.player` wires the callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

BUTTONS = {  # name: (label, tooltip)
    "step": ("step \u25b6", "fire the next event"),
    "back": ("\u25c0 back", "go back one step (replays the run up to there)"),
    "reset": ("restart run", "start over with the seed in the box; forgets the history"),
    "crash": ("crash", "crash the node: it keeps only what it persisted"),
    "restart": ("restart", "restart the crashed node from its persisted state"),
    "pause": ("pause", "freeze the node (a GC pause): its events wait"),
    "resume": ("resume", "unfreeze the node: everything that waited fires"),
    "partition": ("partition A | rest", "cut every link between group A and the other nodes"),
    "heal": ("heal", "remove every cut link"),
    "cut": ("cut one way", "block only the direction from -> to"),
    "fire": ("deliver next", "fire the chosen pending event now, out of turn"),
    "drop-msg": ("drop", "lose the chosen pending message in the network"),
    "timeout": ("time out", "fire the node's election timer now (else its next timer)"),
}


def _tag(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(f"cl-{name}")
    return widget


def _row(children: list[widgets.Widget]) -> widgets.HBox:
    """A row that wraps instead of squeezing its widgets when the notebook is narrow."""
    for child in children:
        child.layout.flex = "0 0 auto"
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap",
                                                        align_items="center"))


SHORT = {"description_width": "initial"}


def set_range(slider: Any, low: int, high: int, value: int) -> None:
    """Set an int slider's min, max and value in an order its validators accept."""
    if low > slider.max:
        slider.max = high
        slider.min = low
    else:
        slider.min = low
        slider.max = high
    slider.value = min(max(value, low), high)


def _buttons(w: dict[str, Any]) -> None:
    for name, (label, tooltip) in BUTTONS.items():
        w[name] = _tag(widgets.Button(description=label, tooltip=tooltip,
                                      layout=widgets.Layout(width="auto")), name)


def _transport(w: dict[str, Any]) -> widgets.HBox:
    w["play"] = _tag(widgets.Play(value=0, min=0, max=1, interval=250, show_repeat=False,
                                  description="play"), "play")
    w["speed"] = _tag(widgets.IntSlider(value=4, min=1, max=20, description="steps/s",
                                        style=SHORT, layout=widgets.Layout(width="200px")),
                      "speed")
    w["scrubber"] = _tag(widgets.IntSlider(value=0, min=0, max=0, description="step",
                                           continuous_update=False, style=SHORT,
                                           layout=widgets.Layout(width="320px")), "scrubber")
    w["seed"] = _tag(widgets.IntText(value=0, description="seed", style=SHORT,
                                     layout=widgets.Layout(width="110px")), "seed")
    return _row([w["play"], w["back"], w["step"], w["scrubber"], w["speed"], w["seed"],
                 w["reset"]])


def _faults(w: dict[str, Any], node_ids: tuple[str, ...]) -> list[widgets.HBox]:
    w["node"] = _tag(widgets.Dropdown(options=node_ids, description="node", style=SHORT,
                                      layout=widgets.Layout(width="120px")), "node")
    w["drop"] = _tag(widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                         description="drop rate", continuous_update=False,
                                         style=SHORT, layout=widgets.Layout(width="260px")),
                     "drop")
    w["group"] = _tag(widgets.SelectMultiple(options=node_ids, rows=min(len(node_ids), 4),
                                             description="group A", style=SHORT,
                                             layout=widgets.Layout(width="150px")), "group")
    w["cut-src"] = _tag(widgets.Dropdown(options=node_ids, description="from", style=SHORT,
                                         layout=widgets.Layout(width="110px")), "cut-src")
    w["cut-dst"] = _tag(widgets.Dropdown(options=node_ids, value=node_ids[-1], description="to",
                                         style=SHORT, layout=widgets.Layout(width="100px")),
                        "cut-dst")
    nodes = _row([w["node"], w["crash"], w["restart"], w["pause"], w["resume"], w["timeout"],
                  w["drop"]])
    net = _row([w["group"], w["partition"], w["heal"], w["cut-src"], w["cut-dst"], w["cut"]])
    return [nodes, net]


def _schedule(w: dict[str, Any], extras: Sequence[str]) -> widgets.HBox:
    w["pending"] = _tag(widgets.Dropdown(options=[], description="pending", style=SHORT,
                                         layout=widgets.Layout(width="420px")), "pending")
    buttons = [_tag(widgets.Button(description=label, layout=widgets.Layout(width="auto")),
                    "extra") for label in extras]
    w["extras"] = _tag(widgets.HBox(buttons), "extras")
    return _row([w["pending"], w["fire"], w["drop-msg"], w["extras"]])


def _views(w: dict[str, Any], views: Sequence[str],
           extra_views: Sequence[str] = ()) -> list[widgets.Widget]:
    for name in ("cluster", "spacetime", "tables"):
        w[name] = _tag(widgets.HTML(value=""), name)
    w["spacetime"].layout = widgets.Layout(width="100%")
    top = [w[name] for name in ("cluster", "tables") if name in views]
    rows: list[widgets.Widget] = [widgets.HBox(top)] if top else []
    for name in extra_views:
        w[f"view-{name}"] = _tag(widgets.HTML(value="", layout=widgets.Layout(width="100%")),
                                 f"view-{name}")
        rows.append(w[f"view-{name}"])
    if "spacetime" in views:
        rows.append(w["spacetime"])
    return rows


def build_controls(node_ids: tuple[str, ...], extras: Sequence[str],
                   views: Sequence[str], extra_views: Sequence[str] = ()) -> dict[str, Any]:
    """Every widget of the player by name, plus ``player``: the whole layout.

    Each extra view ``x`` is an HTML widget ``w["view-x"]`` (class ``cl-view-x``)
    placed under the cluster diagram.
    """
    w: dict[str, Any] = {}
    _buttons(w)
    rows = [_transport(w), *_faults(w, node_ids), _schedule(w, extras)]
    w["status"] = _tag(widgets.HTML(value=""), "status")
    w["player"] = _tag(widgets.VBox([*rows, w["status"], *_views(w, views, extra_views)]),
                       "player")
    return w
