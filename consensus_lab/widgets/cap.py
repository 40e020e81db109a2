"""CapExplorer: cut a CP or an AP store in two and see what CAP costs (DDIA ch. 9).

Theory of operation
-------------------
:class:`CapModel` holds all the logic and needs no browser. It keeps one
:class:`CapSettings` (store, N, R, W, partition on or off and the size of
the cut-off side, clock skew, seed) and the last few :class:`CapRun`.
``model.run(n=3, r=2)`` first checks the new settings together: a bad
value raises :class:`CapSettingsError`, which says what is allowed, and
nothing changes. Then it runs
:func:`~consensus_lab.stores.partition_experiment` and the linearizability
checker (register model) on the client history. Every number comes from the
seeded simulation, so the same settings and seed give the same run.

:class:`CapExplorer` is a thin view: each control change calls
``model.run`` and redraws the per-side table, the verdict and a bar chart
of the recent runs. Setting ``explorer.store.value = "ap"`` in Python does
exactly what choosing it in the browser does.

CSS classes: ``cl-cap`` (the whole widget); controls ``cl-cap-store``,
``cl-cap-n``, ``cl-cap-r``, ``cl-cap-w``, ``cl-cap-partition``,
``cl-cap-cut``, ``cl-cap-skew``, ``cl-cap-seed``; outputs ``cl-cap-quorum``
(the R + W > N line), ``cl-cap-error``, ``cl-cap-table``,
``cl-cap-verdict``, ``cl-cap-chart``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields, replace
from typing import Any

import ipywidgets as widgets

from ..consistency import History, Result, check
from ..consistency.models import plain
from ..stores import ExperimentResult, partition_experiment
from .cap_views import HEAL_AT, PARTITION_AT, chart_svg, table_html, verdict_html
from .controls import SHORT, set_range

STORES = {"cp": "CP · majority quorums (ABD)", "raft": "CP · Raft KV (etcd-like)",
          "ap": "AP · Dynamo, last write wins (Cassandra-like)",
          "ap-siblings": "AP · Dynamo, siblings (Riak-like)"}
CP_STORES = ("cp", "raft")
N_MIN, N_MAX = 3, 7
SKEW_NODE, SKEW_MS = "n1", 1000  # the skewed node's clock runs this far ahead
RECENT = 6  # runs kept for the chart
CHECK_TIMEOUT_S = 20.0  # the checker answers "unknown" after this; our runs take milliseconds


class CapSettingsError(ValueError):
    """A setting outside what the explorer allows; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class CapSettings:
    """One experiment's knobs. ``r`` and ``w`` are kept but unused by the CP stores."""

    store: str = "cp"
    n: int = 5
    r: int = 1
    w: int = 1
    partition: bool = True
    cut: int | None = None  # nodes on side A (n1, n2, ...); None: the minority n // 2
    skew: bool = False  # SKEW_NODE's clock runs SKEW_MS ahead
    seed: int = 0

    def check(self) -> None:
        """Raise :class:`CapSettingsError` for the first bad setting."""
        if self.store not in STORES:
            raise CapSettingsError(f"unknown store {self.store!r}; choose one of: "
                                   + ", ".join(f"{k!r} ({v})" for k, v in STORES.items()))
        _whole(self.n, "N (nodes in the cluster)", N_MIN, N_MAX)
        for name, role in (("r", "read"), ("w", "write")):
            value = getattr(self, name)
            _whole(value, f"{name.upper()} (replicas a {role} waits for)", 1, None)
            if value > self.n:
                raise CapSettingsError(
                    f"{name.upper()}={value} is more than N={self.n}: a {role} cannot wait for "
                    f"more replicas than the {self.n} that hold each key. "
                    f"Choose {name.upper()} from 1 to {self.n}.")
        if self.cut is not None:
            _whole(self.cut, f"the cut-off side (side A) of N={self.n} nodes", 1, self.n - 1)
        for name in ("partition", "skew"):
            if not isinstance(getattr(self, name), bool):
                raise CapSettingsError(f"{name} must be True or False, "
                                       f"got {getattr(self, name)!r}")
        _whole(self.seed, "seed", 0, None)

    @property
    def is_ap(self) -> bool:
        """True for the Dynamo stores, where R and W apply."""
        return self.store not in CP_STORES

    @property
    def side_a(self) -> tuple[str, ...]:
        """The nodes cut off from the rest: ``n1 .. n<cut>``."""
        return tuple(f"n{i}" for i in range(1, (self.cut or self.n // 2) + 1))

    def label(self) -> str:
        """A short name for tables and charts: ``AP-LWW N=5 R=1 W=1 cut 2|3 skew``."""
        name = {"cp": "CP-ABD", "raft": "CP-Raft", "ap": "AP-LWW", "ap-siblings": "AP-sib"}
        quorums = f" R={self.r} W={self.w}" if self.is_ap else ""
        a = len(self.side_a)
        cut = f" cut {a}|{self.n - a}" if self.partition else " no cut"
        return f"{name[self.store]} N={self.n}{quorums}{cut}{' skew' if self.skew else ''}"


def _whole(value: Any, what: str, low: int, high: int | None) -> None:
    allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
    if isinstance(value, bool) or not isinstance(value, int) or not (
            low <= value and (high is None or value <= high)):
        raise CapSettingsError(f"{what} must be a whole number {allowed}, got {value!r}")


def quorum_note(settings: CapSettings) -> str:
    """One line on what R, W and N mean for this store (checked against the code)."""
    s, majority = settings, settings.n // 2 + 1
    if s.store == "cp":
        return (f"CP: every read and write waits for a majority, {majority} of {s.n} nodes, "
                "in both phases (R and W do not apply).")
    if s.store == "raft":
        return (f"CP: only the leader proposes; an entry commits on a majority, {majority} of "
                f"{s.n} (R and W do not apply).")
    if s.r + s.w > s.n:
        clocks = " and last write wins trusts the clocks" if s.store == "ap" else ""
        return (f"R + W = {s.r + s.w} > N = {s.n}: strict quorum, every read quorum overlaps "
                "every write quorum (no sloppy quorum here: no hinted handoff). Still not "
                "guaranteed linearizable: a write that missed W stays on the replicas it "
                f"reached, read repair runs after the read has answered{clocks}.")
    return (f"R + W = {s.r + s.w} ≤ N = {s.n}: quorums need not overlap, so a read may miss "
            "an acknowledged write even without a partition.")


def register_history(result: ExperimentResult) -> History:
    """The run's history as register operations, unwrapped by the checker's own rule.

    Siblings writes become their value; a read of one sibling becomes that
    value, a read of two or more becomes :class:`~consensus_lab.consistency.models.Siblings`
    (which no register state equals, so the checker says "returned 2 siblings").
    """
    return History([plain(op) for op in History.from_sim(result.history)])


@dataclass(frozen=True)
class CapRun:
    """One finished run: its settings, the experiment and the checker's verdict."""

    number: int
    settings: CapSettings
    result: ExperimentResult
    verdict: Result

    def rows(self) -> list[dict[str, Any]]:
        """Per side: who, whether it holds a majority, what its clients saw.

        ``availability``: the share of requests sent in the partition window
        that got ``ok`` (perhaps after the heal); ``ok before heal``: how many
        of them got ``ok`` while the cut was still there.
        """
        rows = []
        for side in self.result.sides.values():
            answered = round(side.availability_in_partition * side.partition_requests)
            rows.append({
                "side": side.side, "nodes": ",".join(side.nodes),
                "majority": len(side.nodes) > self.settings.n / 2,
                "requests": side.requests, "ok": side.ok, "fail": side.fail,
                "timed out": side.info, "window requests": side.partition_requests,
                "window answered": answered, "ok before heal": self._ok_before_heal(side.nodes),
                "availability": round(side.availability_in_partition, 3),
                "stale reads": side.stale_reads, "lost writes": side.lost_writes})
        return rows

    def _ok_before_heal(self, nodes: tuple[str, ...]) -> int:
        clients = {"c" + node.removeprefix("n") for node in nodes}  # c1 talks to n1
        return sum(1 for inv, comp in self.result.history.pairs()
                   if inv.process in clients and inv.time >= PARTITION_AT
                   and comp is not None and comp.type == "ok" and comp.time < HEAL_AT)

    @property
    def stale_reads(self) -> int:
        """Stale reads on both sides."""
        return len(self.result.anomalies.stale_reads)

    @property
    def lost_writes(self) -> int:
        """Acknowledged writes lost on both sides."""
        return len(self.result.anomalies.lost_writes)

    def meaning(self) -> str:
        """What this run shows about CAP, in one or two sentences."""
        s, rows = self.settings, self.rows()
        avail = ", ".join(f"{r['side']} {r['availability']:.0%}" for r in rows)
        window = f"t={PARTITION_AT}–{HEAL_AT}"
        if not s.partition:
            return (f"No partition: answered during {window}: {avail}. Every node reached "
                    "every other, so neither consistency nor availability had to give.")
        cut_off = [r for r in rows if not r["majority"]]
        if not s.is_ap:
            sides = " and ".join(f"side {r['side']} ({r['nodes']}) answered "
                                 f"{r['ok before heal']} of its {r['window requests']}"
                                 for r in cut_off)
            return (f"During the partition ({window}), without a majority, {sides} requests "
                    "while cut off: CP gives up availability there to stay linearizable, as "
                    "etcd refuses writes without a majority.")
        broke = self.verdict.verdict == "illegal" or self.stale_reads or self.lost_writes
        return (f"During the partition ({window}) the sides answered {avail}. "
                + ("Some reads missed acknowledged writes: AP keeps answering and gives up "
                   "linearizability, like Cassandra accepting writes on both sides."
                   if broke else "This run happened to stay linearizable, but an AP store "
                   "promises nothing: try R = W = 1 or the clock skew."))

    def explanation(self) -> str:
        """The verdict line: linearizable or not, with the checker's reason and the counts."""
        head = {"ok": "✔ ", "illegal": "✘ ", "unknown": "? linearizability unknown: "}
        return (f"{head[self.verdict.verdict]}{self.verdict.explanation}. "
                f"Stale reads: {self.stale_reads}, lost writes: {self.lost_writes}.")


def updated_settings(base: CapSettings, changes: dict[str, Any]) -> CapSettings:
    """``base`` with ``changes`` applied, checked; raises :class:`CapSettingsError`."""
    known = {f.name for f in fields(CapSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise CapSettingsError(f"unknown setting {', '.join(unknown)}; "
                               f"allowed: {', '.join(sorted(known))}")
    settings = replace(base, **changes)
    settings.check()
    return settings


def run_settings(settings: CapSettings, number: int = 0) -> CapRun:
    """Run the partition experiment for ``settings`` and check its history."""
    settings.check()
    s = settings
    result = partition_experiment(
        s.store, s.n, r=s.r if s.is_ap else None, w=s.w if s.is_ap else None, seed=s.seed,
        side_a=s.side_a, partition=s.partition, partition_at=PARTITION_AT, heal_at=HEAL_AT,
        clock_skew={SKEW_NODE: SKEW_MS} if s.skew else None)
    verdict = check(register_history(result), "register", timeout=CHECK_TIMEOUT_S)
    return CapRun(number, settings, result, verdict)


class CapModel:
    """Settings plus the recent runs; :meth:`run` changes settings all at once or not at all."""

    def __init__(self, **settings: Any) -> None:
        self.settings = updated_settings(CapSettings(), settings)
        self.runs: list[CapRun] = []
        self.count = 0

    def run(self, **changes: Any) -> CapRun:
        """Apply ``changes`` (checked first; on error nothing changes) and run once."""
        settings = updated_settings(self.settings, changes)
        run = run_settings(settings, self.count + 1)
        self.settings, self.count = settings, self.count + 1
        self.runs = [*self.runs, run][-RECENT:]
        return run

    @property
    def last(self) -> CapRun | None:
        """The latest run, if any."""
        return self.runs[-1] if self.runs else None

    def table(self) -> Any:
        """The recent runs as a pandas DataFrame, one row per run and side."""
        import pandas as pd

        return pd.DataFrame([{"run": r.number, "settings": r.settings.label(), **row,
                              "linearizable": r.verdict.verdict} for r in self.runs
                             for row in r.rows()])


def quorum_sweep(n: int = 3, store: str = "ap", **settings: Any) -> Any:
    """Every R, W in 1..N on the AP store: availability on each side vs stale reads."""
    import pandas as pd

    rows = []
    for r in range(1, n + 1):
        for w in range(1, n + 1):
            run = run_settings(updated_settings(CapSettings(), {
                **settings, "store": store, "n": n, "r": r, "w": w}))
            by_side = {row["side"]: row for row in run.rows()}
            rows.append({"R": r, "W": w, "R+W>N": r + w > n,
                         "A available": by_side["A"]["availability"],
                         "B available": by_side["B"]["availability"],
                         "stale reads": run.stale_reads, "lost writes": run.lost_writes,
                         "linearizable": run.verdict.verdict})
    return pd.DataFrame(rows)


# -- the view ------------------------------------------------------------------------------


class CapExplorer:
    """Controls over a :class:`CapModel`; redraws the table, verdict and chart on each change."""

    def __init__(self, model: CapModel | None = None, **settings: Any) -> None:
        self.model = model or CapModel(**settings)
        s = self.model.settings
        self._syncing = False
        layout = widgets.Layout
        self.store = _tag(widgets.Dropdown(options=[(v, k) for k, v in STORES.items()],
                                           value=s.store, description="store", style=SHORT,
                                           layout=layout(width="380px")), "store")
        self.n = _tag(widgets.IntSlider(value=s.n, min=N_MIN, max=N_MAX, description="N",
                                        continuous_update=False, layout=layout(width="250px")), "n")
        self.r = _tag(widgets.IntSlider(value=s.r, min=1, max=s.n, description="R",
                                        continuous_update=False, layout=layout(width="250px")), "r")
        self.w = _tag(widgets.IntSlider(value=s.w, min=1, max=s.n, description="W",
                                        continuous_update=False, layout=layout(width="250px")), "w")
        self.partition = _tag(widgets.ToggleButton(value=s.partition, icon="scissors",
                                                   tooltip="cut side A off from the rest "
                                                   f"from t={PARTITION_AT} to t={HEAL_AT}"),
                              "partition")
        self.cut = _tag(widgets.IntSlider(value=len(s.side_a), min=1, max=s.n - 1,
                                          description="side A nodes", style=SHORT,
                                          continuous_update=False), "cut")
        self.skew = _tag(widgets.Checkbox(value=s.skew, indent=False,
                                          description=f"{SKEW_NODE}'s clock +{SKEW_MS} ms (LWW)"),
                         "skew")
        self.seed = _tag(widgets.IntText(value=s.seed, description="seed", style=SHORT,
                                         layout=layout(width="130px")), "seed")
        self.quorum, self.error, self.verdict, self.table, self.chart = (
            _tag(widgets.HTML(), name)
            for name in ("quorum", "error", "verdict", "table", "chart"))
        rows = [[self.store, self.seed], [self.n, self.r, self.w],
                [self.partition, self.cut, self.skew]]
        self.widget = _tag(widgets.VBox([
            *(widgets.HBox(row, layout=layout(flex_flow="row wrap", align_items="center"))
              for row in rows),
            self.quorum, self.error, self.verdict, self.table, self.chart]), "")
        for control in (self.store, self.n, self.r, self.w, self.partition, self.cut,
                        self.skew, self.seed):
            control.observe(self._changed, names="value")
        if self.model.last is None:
            self.model.run()
        self.refresh()

    def _changed(self, change: Any) -> None:
        if self._syncing:
            return
        n = self.n.value
        cut = n // 2 if change["owner"] is self.n else self.cut.value  # new N: the minority
        def ranges() -> None:
            set_range(self.r, 1, n, self.r.value)
            set_range(self.w, 1, n, self.w.value)
            set_range(self.cut, 1, n - 1, cut)

        self._sync(ranges)
        try:
            self.model.run(store=self.store.value, n=n, r=self.r.value, w=self.w.value,
                           partition=self.partition.value, cut=self.cut.value,
                           skew=self.skew.value, seed=self.seed.value)
        except CapSettingsError as error:
            self.error.value = f'<div style="color:#c62828">{html.escape(str(error))}</div>'
            self._sync(self._show_settings)
            return
        self.error.value = ""
        self.refresh()

    def _sync(self, update: Any) -> None:
        """Change controls without triggering runs."""
        self._syncing = True
        try:
            update()
        finally:
            self._syncing = False

    def _show_settings(self) -> None:
        s = self.model.settings
        self.store.value, self.n.value, self.partition.value = s.store, s.n, s.partition
        set_range(self.r, 1, s.n, s.r)
        set_range(self.w, 1, s.n, s.w)
        set_range(self.cut, 1, s.n - 1, len(s.side_a))
        self.skew.value, self.seed.value = s.skew, s.seed

    def refresh(self) -> None:
        """Redraw every output from the model's latest run."""
        run = self.model.last
        assert run is not None
        s = run.settings
        self.r.disabled = self.w.disabled = not s.is_ap
        self.cut.disabled = not s.partition
        self.partition.description = "partition ON" if s.partition else "partition off"
        self.partition.button_style = "danger" if s.partition else ""
        self.quorum.value = f"<i>{html.escape(quorum_note(s))}</i>"
        self.verdict.value = verdict_html(run)
        self.table.value = table_html(run)
        self.chart.value = chart_svg(self.model.runs)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        run = self.model.last
        return f"<CapExplorer #{run.number}: {run.settings.label()}>" if run else "<CapExplorer>"


def _tag(widget: Any, name: str) -> Any:
    widget.add_class(f"cl-cap-{name}" if name else "cl-cap")
    return widget
