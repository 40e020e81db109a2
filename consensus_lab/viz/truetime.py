"""Pictures for Spanner's commit wait: the latency-against-ε chart and a commit timeline.

Both draw with matplotlib (imported here, never in the core). The timeline
puts true time on the x axis and one lane per transaction: a bar from the
moment the client sent it to the moment it heard "committed", and a diamond
at its commit timestamp ``s`` — timestamps are times too, so they share the
axis. Commit wait keeps every diamond left of its bar's end; an external-
consistency violation is drawn as a red arrow from the earlier transaction's
diamond back to the later one's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import History
from ..spanner.checker import check_external_consistency, committed_transactions


def latency_chart(rows: Sequence[dict[str, float]], ax: Any = None) -> Any:
    """Mean commit latency against ε, beside the prediction 2ε + message latency."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    eps = [r["epsilon_ms"] for r in rows]
    ax.plot(eps, [r["latency_ms"] for r in rows], "o-", label="measured, commit wait")
    ax.plot(eps, [r["predicted_ms"] for r in rows], "--", label="2ε + message latency")
    ax.plot(eps, [r["overlapped_ms"] for r in rows], "s:", label="overlapped with Paxos (§4.2.1)")
    ax.plot(eps, [r["message_latency_ms"] for r in rows], "x-", label="no commit wait")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε (ms)")
    ax.set_ylabel("commit latency (ms)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def commit_timeline(history: History, ax: Any = None, title: str = "") -> Any:
    """One lane per committed transaction: [start, end] in true time and its timestamp s."""
    import matplotlib.pyplot as plt

    txns = committed_transactions(history)
    result = check_external_consistency(txns)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(txns))))
    lane = {t.name: i for i, t in enumerate(txns)}
    for txn in txns:
        y = lane[txn.name]
        ax.plot([txn.start, txn.end], [y, y], lw=6, color="tab:blue", alpha=0.6,
                solid_capstyle="butt")
        ax.plot([txn.ts], [y], "D", color="tab:orange")
        ax.annotate(f"{txn.name} s={txn.ts}", (max(txn.end, txn.ts), y), xytext=(6, -3),
                    textcoords="offset points", fontsize=8)
    for violation in result.violations:
        first, second = violation.first, violation.second
        ax.annotate("", xy=(second.ts, lane[second.name]), xytext=(first.ts, lane[first.name]),
                    arrowprops={"arrowstyle": "->", "color": "red", "lw": 1.5})
        ax.axvline(first.end, color="red", ls=":", lw=1)
    ax.margins(x=0.15)
    ax.set_yticks(range(len(txns)), [f"{t.name} ({t.client})" for t in txns])
    ax.invert_yaxis()
    ax.set_xlabel("true time (ms); bar = sent → answered, ◆ = commit timestamp s")
    verdict = "externally consistent" if result.ok else "VIOLATED: " + \
        f"{result.violations[0].first.name} before {result.violations[0].second.name}, " \
        "larger s"
    ax.set_title(f"{title} — {verdict}" if title else verdict, fontsize=10)
    return ax
