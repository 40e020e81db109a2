"""The pause slider: replay the lock story with another lease, pause or fencing switch.

:func:`lock_story_explorer` returns a VBox. Every change replays
:func:`~consensus_lab.etcd.story.embedded_story` (the lab's Raft in the
simulator, seeded — the same settings always give the same story) and
redraws the verdict and the timeline. Pause shorter than the lease: no
conflict. Longer: c2 takes the lock during the pause, and c1's late write
is rejected (fencing on) or silently overwrites c2's (fencing off).
CSS classes (for the browser tests): ``cl-lock`` (the box),
``cl-lock-ttl``, ``cl-lock-pause``, ``cl-lock-fencing``,
``cl-lock-verdict``, ``cl-lock-timeline``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..etcd.story import Story, embedded_story
from ..viz.lock import story_svg

STYLE = {"description_width": "initial"}
_MARK = {"rejected": "✔", "no conflict": "✔", "corrupted": "✘"}


def _tag(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(f"cl-{name}")
    return widget


def replay(ttl: int, pause: float, fencing: bool, seed: int = 1) -> tuple[Story, str, str]:
    """The story for these settings, its verdict (HTML) and its timeline (SVG)."""
    story = embedded_story(ttl=ttl, pause=pause, fencing=fencing, seed=seed)
    verdict = f"{_MARK[story.outcome]} {html.escape(story.verdict())}"
    return story, verdict, story_svg(story)


def lock_story_explorer(ttl: int = 2, pause: float = 5.0, fencing: bool = True,
                        seed: int = 1) -> widgets.VBox:
    """Sliders for the lease TTL and the pause, a fencing switch, over the replayed story."""
    ttl_slider = _tag(widgets.IntSlider(value=ttl, min=1, max=8, description="lease TTL (s)",
                                        continuous_update=False, style=STYLE), "lock-ttl")
    pause_slider = _tag(widgets.FloatSlider(value=pause, min=0.0, max=12.0, step=0.5,
                                            description="c1's GC pause (s)",
                                            continuous_update=False, style=STYLE),
                        "lock-pause")
    fence = _tag(widgets.Checkbox(value=fencing, description="storage checks fencing tokens",
                                  indent=False), "lock-fencing")
    verdict = _tag(widgets.HTML(), "lock-verdict")
    timeline = _tag(widgets.HTML(), "lock-timeline")

    def redraw(_: Any = None) -> None:
        _, text, svg = replay(ttl_slider.value, pause_slider.value, fence.value, seed)
        timeline.value = svg  # the picture first: the verdict's change means both are new
        verdict.value = f"<div>{text}</div>"

    for control in (ttl_slider, pause_slider, fence):
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([ttl_slider, pause_slider, fence]), verdict, timeline])
    return _tag(box, "lock")
