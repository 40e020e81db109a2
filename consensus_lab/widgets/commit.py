"""CommitExplorer: crash, partition or vote No at any step of 2PC, 3PC or 2PC over Paxos.

Theory of operation
-------------------
:class:`CommitModel` (in :mod:`.commit_model`) holds all the logic and needs no browser. Its
:class:`CommitSettings` name a protocol (:data:`consensus_lab.commit.PROTOCOLS`),
a seed, a participant that votes No (or none), and one fault: **crash** a
node or **partition** ``{c1, target}`` from the rest, just *after step k*
of the run, for ``down_for`` ms (0: for good).

The steps come from the same run without the fault (:func:`protocol_steps`):
the simulation is deterministic, so the faulty run is that run, step for
step, up to step ``k`` — and only then does the fault happen. Each step is
labelled with what it was (``t=8 p2 got Prepare(T1) from c1 → prepared``),
so "crash c1 after every participant voted Yes" is a choice in a list.

:func:`run_commit` then runs the cluster of
:func:`~consensus_lab.commit.commit_sim` (atomicity checked after every
event) until every participant is up and decided, or :data:`HORIZON`. On
the way it measures, per participant, the time **in doubt** and **holding
locks** (the library's :class:`~consensus_lab.commit.CommitMonitor`) and
the time **blocked**: in doubt while nothing but a coordinator's recovery
could decide it (:func:`consensus_lab.commit.blocked`).

:class:`CommitExplorer` is a thin view: each control change calls
``model.run`` and redraws the verdict, a table of every node (in-doubt
rows orange, with their locks) and the sequence diagram
(:func:`consensus_lab.viz.commit_runs.sequence_diagram`, in-doubt bands).

CSS classes: ``cl-commit`` (the whole widget); controls
``cl-commit-protocol``, ``cl-commit-novote``, ``cl-commit-fault``,
``cl-commit-target``, ``cl-commit-step``, ``cl-commit-down``,
``cl-commit-lose``, ``cl-commit-seed``; outputs ``cl-commit-error``, ``cl-commit-verdict``,
``cl-commit-states`` (rows ``tr.cl-in-doubt-row``), ``cl-commit-seq``.
"""

from __future__ import annotations

import html
from typing import Any

from ..commit import commit_ids
from .commit_model import (
    FAULTS,
    HORIZON,
    PARTICIPANTS,
    PROTOCOL_LABELS,
    CommitExplorerRun,
    CommitModel,
    CommitSettings,
    CommitSettingsError,
    ProtocolStep,
    protocol_steps,
    run_commit,
    updated_settings,
)

__all__ = ["FAULTS", "HORIZON", "PARTICIPANTS", "PROTOCOL_LABELS", "CommitExplorer",
           "CommitExplorerRun", "CommitModel", "CommitSettings", "CommitSettingsError",
           "ProtocolStep", "commit_explorer", "protocol_steps", "run_commit", "states_html",
           "updated_settings"]


# ------------------------------------------------------------------ the view
def states_html(run: CommitExplorerRun) -> str:
    """The node table as HTML; in-doubt rows orange (``tr.cl-in-doubt-row``)."""
    rows = run.rows()
    heads = list(dict.fromkeys(k for row in rows for k in row))
    out = ['<table class="cl-commit-table"><tr>'
           + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"]
    for row in rows:
        marked = row["in doubt"]
        attrs = ' class="cl-in-doubt-row" style="background:#ffcc80"' if marked else ""
        cells = "".join(f"<td>{html.escape(str(row.get(h, '')))}</td>" for h in heads)
        out.append(f"<tr{attrs}>{cells}</tr>")
    return "".join(out) + "</table>"


def _tag(widget: Any, name: str) -> Any:
    widget.add_class(f"cl-{name}")
    return widget


class CommitExplorer:
    """Controls over a :class:`CommitModel`: protocol, No vote, fault, step, duration, seed."""

    def __init__(self, model: CommitModel | None = None, **settings: Any) -> None:
        import ipywidgets as widgets

        self.model = model or CommitModel(**settings)
        s, style = self.model.settings, {"description_width": "initial"}
        self.w: dict[str, Any] = {
            "protocol": widgets.Dropdown(options=[(v, k) for k, v in PROTOCOL_LABELS.items()],
                                         value=s.protocol, description="protocol", style=style),
            "novote": widgets.Dropdown(description="vote", style=style),
            "fault": widgets.Dropdown(options=FAULTS, value=s.fault, description="fault",
                                      style=style),
            "target": widgets.Dropdown(description="node", style=style),
            "step": widgets.Dropdown(description="when", style=style,
                                     layout=widgets.Layout(width="640px")),
            "down": widgets.IntSlider(value=s.down_for, min=0, max=1500, step=50,
                                      description="down / cut for (ms, 0 = for good)",
                                      continuous_update=False, style=style),
            "lose": widgets.Checkbox(value=s.lose_in_flight, indent=False,
                                     description="a crash also loses its messages in flight"),
            "seed": widgets.BoundedIntText(value=s.seed, min=0, max=10_000, description="seed",
                                           style=style, layout=widgets.Layout(width="130px")),
            "error": widgets.HTML(), "verdict": widgets.HTML(), "states": widgets.HTML(),
            "seq": widgets.HTML(),
        }
        for name, widget in self.w.items():
            _tag(widget, f"commit-{name}")
        self._syncing = False
        self._fill_choices()
        for name in ("protocol", "novote", "fault", "target", "step", "down", "lose", "seed"):
            self.w[name].observe(self._changed, names="value")
        w = self.w
        self.widget = _tag(widgets.VBox([
            widgets.HBox([w["protocol"], w["novote"], w["seed"]]),
            widgets.HBox([w["fault"], w["target"], w["down"], w["lose"]]), w["step"], w["error"],
            w["verdict"], w["states"], w["seq"]]), "commit")
        self.refresh()

    def _fill_choices(self) -> None:
        """Options that depend on the protocol (nodes) and on the run (steps)."""
        s, w = self.model.settings, self.w
        self._syncing = True
        try:
            voters = [i for i in s.node_ids if i.startswith("p")]
            w["novote"].options = [("everyone votes Yes", "")] + [(f"{p} votes No", p)
                                                                  for p in voters]
            w["novote"].value = s.no_voter
            w["target"].options = list(s.node_ids)
            w["target"].value = s.target
            w["step"].options = [("at t=0, before any message arrives", 0)] + [
                (step.label(), step.number) for step in self.model.steps()]
            w["step"].value = s.at_step
            w["fault"].value, w["protocol"].value = s.fault, s.protocol
            w["down"].value, w["seed"].value = s.down_for, s.seed
            w["lose"].value = s.lose_in_flight
        finally:
            self._syncing = False

    def _changed(self, change: Any) -> None:
        if self._syncing:
            return
        w, s = self.w, self.model.settings
        changes: dict[str, Any] = {"protocol": w["protocol"].value, "no_voter": w["novote"].value,
                                   "fault": w["fault"].value, "target": w["target"].value,
                                   "at_step": w["step"].value, "down_for": w["down"].value,
                                   "lose_in_flight": w["lose"].value, "seed": w["seed"].value}
        ids = commit_ids(changes["protocol"], PARTICIPANTS)
        if changes["target"] not in ids:
            changes["target"] = "c1"
        last = len(protocol_steps(changes["protocol"], changes["seed"], changes["no_voter"]))
        changes["at_step"] = min(changes["at_step"] or 0, last)
        self.set(**{k: v for k, v in changes.items() if getattr(s, k) != v})

    def set(self, **changes: Any) -> CommitExplorerRun | None:
        """Change settings as the controls would; a bad value is shown, nothing changes."""
        try:
            self.model.run(**changes)
            self.w["error"].value = ""
        except CommitSettingsError as err:
            self.w["error"].value = f'<div style="color:#c62828">{html.escape(str(err))}</div>'
            self._fill_choices()
            return None
        self._fill_choices()
        self.refresh()
        return self.model.last

    def refresh(self) -> None:
        """Redraw from the model's last run (running it first if there is none)."""
        from ..viz.commit_runs import sequence_diagram

        run = self.model.last or self.model.run()
        self.w["seq"].value = (f'<div style="overflow-x:auto">'
                               f"{sequence_diagram(run.sim.trace, run.sim.node_ids).data}</div>")
        self.w["states"].value = states_html(run)
        label = html.escape(run.settings.label())
        self.w["verdict"].value = (f"<div><b>{html.escape(run.verdict())}</b><br>"
                                   f"<small>{label}</small></div>")

    @property
    def run(self) -> CommitExplorerRun:
        """The run on screen."""
        assert self.model.last is not None
        return self.model.last

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<CommitExplorer: {self.model.settings.label()}>"


def commit_explorer(**settings: Any) -> CommitExplorer:
    """A :class:`CommitExplorer` with these starting settings."""
    return CommitExplorer(**settings)
