"""The pause story on a timeline: who held the lock when, the GC pause, every write's fate.

:func:`story_timeline` draws a :class:`~consensus_lab.etcd.story.Story`
with matplotlib (imported here, never in the core). Time runs left to
right in seconds; three lanes:

* **c1** — a green bar while it holds the lock; a grey hatched box for the
  GC pause (SIGSTOP on the real cluster); a red dashed bar from the moment
  c2 took the lock until c1 wakes: c1 *believes* it holds the lock, but it
  does not;
* **c2** — a blue bar while it holds the lock;
* **storage** — one marker per write, labelled with its fencing token: a
  green dot accepted, a red cross rejected as stale, an orange diamond for
  a stale write that got through (the corruption).

:func:`story_svg` returns the same picture as SVG text (for widgets).
"""

from __future__ import annotations

import io
from typing import Any

from ..etcd.story import Moment, Story

LANES = {"c1": 2.0, "c2": 1.0, "storage": 0.0}
COLORS = {"c1": "#2da44e", "c2": "#0969da", "pause": "#8c959f", "lost": "#cf222e",
          "ok": "#1a7f37", "rejected": "#cf222e", "corrupt": "#e16f24"}
_BAR = 0.34


def _first(story: Story, actor: str, kind: str) -> Moment | None:
    return next((m for m in story.moments if m.actor == actor and m.kind == kind), None)


def _end(story: Story) -> float:
    return max((m.at for m in story.moments), default=0.0) + 0.3


def _holds(story: Story) -> list[tuple[str, float, float, str]]:
    """(actor, start, end, style) spans: held, or believed held after it was lost."""
    spans = []
    c1, c2, wake = _first(story, "c1", "acquire"), _first(story, "c2", "acquire"), \
        _first(story, "c1", "wake")
    c1_release = _first(story, "c1", "release")
    c1_end = c1_release.at if c1_release else _end(story)
    if c1 is not None:
        lost_at = c2.at if c2 is not None and wake is not None and c2.at <= wake.at else None
        spans.append(("c1", c1.at, lost_at if lost_at is not None else c1_end, "held"))
        if lost_at is not None and wake is not None:
            spans.append(("c1", lost_at, wake.at + 0.05, "lost"))
    if c2 is not None:
        release = _first(story, "c2", "release")
        spans.append(("c2", c2.at, release.at if release else _end(story), "held"))
    return spans


def _draw_spans(ax: Any, story: Story) -> None:
    for actor, start, end, style in _holds(story):
        y = LANES[actor]
        if style == "held":
            ax.barh(y, max(end - start, 0.02), left=start, height=_BAR, color=COLORS[actor],
                    alpha=0.75)
            ax.text(start + 0.05, y + _BAR / 2 + 0.05, f"holds the lock, token "
                    f"{story.token(actor)}", fontsize=8, va="bottom")
        else:
            ax.barh(y, end - start, left=start, height=_BAR, fill=False, linestyle="--",
                    edgecolor=COLORS["lost"], linewidth=1.4)
            ax.text(start + 0.05, y - _BAR / 2 - 0.07, "lease gone: c1 only believes it "
                    "holds the lock", fontsize=8, va="top", color=COLORS["lost"])
    pause, wake = _first(story, "c1", "pause"), _first(story, "c1", "wake")
    if pause is not None and wake is not None:
        ax.barh(LANES["c1"], wake.at - pause.at, left=pause.at, height=_BAR * 0.6,
                color=COLORS["pause"], alpha=0.45, hatch="//", edgecolor="#57606a")
        label = "frozen by SIGSTOP" if story.backend == "real" else "GC pause"
        ax.text(wake.at, LANES["c1"] + _BAR / 2 + 0.05, f"{label} {story.pause:g} s",
                fontsize=8, ha="right", va="bottom", color="#57606a")


def _draw_writes(ax: Any, story: Story) -> None:
    late, span = story.late_write, _end(story)
    last_at, level = -span, 0
    for m in story.moments:
        if m.kind != "write":
            continue
        level = level + 1 if m.at - last_at < 0.15 * span else 0  # stack close labels
        last_at = m.at
        stale = m is late and story.outcome == "corrupted"
        style = "corrupt" if stale else "ok" if m.ok else "rejected"
        marker = {"ok": "o", "rejected": "X", "corrupt": "D"}[style]
        ax.annotate("", xy=(m.at, LANES["storage"] + 0.12), xytext=(m.at, LANES[m.actor] - 0.2),
                    arrowprops={"arrowstyle": "->", "color": COLORS[style], "lw": 1.0})
        ax.plot([m.at], [LANES["storage"]], marker=marker, color=COLORS[style], markersize=9)
        word = {"ok": "accepted", "rejected": "REJECTED", "corrupt": "accepted: CORRUPTS"}[style]
        ax.text(m.at + 0.02 * span, LANES["storage"] - 0.15 - 0.2 * level,
                f"{m.actor} t{m.token}: {word}", fontsize=8, va="top", color=COLORS[style])


def story_timeline(story: Story, ax: Any = None, title: str | None = None) -> Any:
    """Draw ``story`` on ``ax`` (a new figure if None); returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    _draw_spans(ax, story)
    _draw_writes(ax, story)
    ax.set_yticks(list(LANES.values()), list(LANES))
    ax.set_ylim(-0.95, 2.55)
    ax.set_xlim(-0.1, _end(story) + 0.4)
    ax.set_xlabel("seconds since the story began (" + ("simulated time)"
                  if story.backend == "embedded" else "wall clock, real etcd)"))
    ax.grid(True, axis="x", alpha=0.3)
    fencing = "fencing on" if story.fencing else "fencing OFF"
    ax.set_title(title or f"{story.backend}: lease {story.ttl} s, pause {story.pause:g} s, "
                 f"{fencing} → {story.outcome}", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def story_svg(story: Story, title: str | None = None) -> str:
    """The timeline as SVG text (no XML header), stable for the same story."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.2))
    story_timeline(story, ax=ax, title=title)
    fig.tight_layout()
    buffer = io.StringIO()
    # text as <text> (searchable, small); set at draw time, after any backend set-up
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lock-story"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]
