"""A SimulationPlayer set up for single-decree Paxos, and the duel of notebook 04.

``paxos_player(seed=0)`` is a player over a Paxos cluster (acceptors
``a1…``, proposers ``p1…``, learners ``l1…``) with agreement and validity
checked after every event (a violation turns the status line red), the
cluster diagram showing each node's Paxos state in a few lines
(:func:`paxos_node_lines`), and under it a **ballots** view
(:func:`ballots_view`): the highest ballot round, the ballots tried, the
values chosen (read from the acceptors) and learned, and a table of every
node's promise, accepted proposal, phase and ballot.

``duel_player(seed=0, backoff=False)`` is the FLP duel of
:func:`~consensus_lab.paxos.scenarios.duel` in that player: two proposers
on a network where every message takes 10 ms, and **the adversary as the
scheduler**. Each step delivers the message
:func:`~consensus_lab.paxos.scenarios.adversary_pick` chooses (phase-1
messages and doomed Accepts at once) or, when it holds everything back,
lets time pass to the next event. Without backoff the learner watches
Prepare, Promise, Nack, Prepare… for ever; the **adversary** checkbox
(``cl-adversary``) hands the schedule back to the plain network, and
**deliver next** lets the learner be the network and let a held Accept
through. Each adversary move is logged as an event fired out of turn, so
going back, scrubbing and forking replay it exactly.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ..paxos import (
    DONE,
    Acceptor,
    Learner,
    PaxosConfig,
    PaxosFactory,
    Proposer,
    chosen_values,
    config_for,
    highest_round,
    install_invariants,
    learned,
    paxos_ids,
    proposers_of,
    role_of,
)
from ..paxos.cluster import DEFAULT_NETWORK
from ..paxos.scenarios import DUEL_NETWORK, adversary_pick
from ..sim import Network, Simulation, TraceRecord
from ..viz import default_label
from .player import SimulationPlayer

NONE = "\u2014"  # an em dash: nothing yet
VIEW_CSS = ("<style>.cl-paxos-table{border-collapse:collapse;font-size:12px;margin:4px 0}"
            ".cl-paxos-table th,.cl-paxos-table td{border:1px solid #ddd;padding:1px 6px;"
            "text-align:left}.cl-paxos-readout{font-size:13px;margin:4px 0}</style>")


# ---------------------------------------------------------------- views
def paxos_node_lines(sim: Simulation, node_id: str) -> list[str]:
    """Two or three short lines per node for the cluster diagram.

    Acceptor: ``promised 3.p2`` / ``accepted 2.p1 v-p1``; proposer:
    ``preparing 3.p1`` / ``nacks 2 · value v-p1``; learner: ``learned v-p1``.
    A crashed node shows what it persisted (``disk: promised 3.p2``).
    """
    node = sim.nodes.get(node_id)
    if isinstance(node, Acceptor):
        return [f"promised {node.promised or NONE}", f"accepted {_pvalue(node.accepted)}"]
    if isinstance(node, Proposer):
        value = node.chosen if node.phase == DONE else node.proposed
        return [f"{node.phase} {node.ballot or ''}".rstrip(),
                f"nacks {node.nacks} \u00b7 value {NONE if value is None else value}"]
    if isinstance(node, Learner):
        return [f"learned {node.learned if node.learned_ballot is not None else NONE}"]
    return [f"disk: {_disk(sim, node_id)}"]


def paxos_label(record: TraceRecord) -> str:
    """A short space-time label: ``waiting 3.p2``, ``prom 5.p2 acc 4.p1:v-p1``, ``learned v``.

    Read from the node's state after the event (``record.state``, its
    ``describe()``); notes, nemesis actions and drops keep the default label.
    """
    if record.kind in ("note", "nemesis", "drop", "complete", "invoke") or not record.state:
        return default_label(record)
    fields = dict(part.partition("=")[::2] for part in str(record.state).split(", "))
    if "phase" in fields:
        ballot = fields.get("ballot", "-")
        return fields["phase"] if ballot == "-" else f"{fields['phase']} {ballot}"
    if "promised" in fields:
        promised, accepted = fields["promised"], fields.get("accepted", "-")
        if accepted == "-":
            return f"prom {promised}"
        if accepted.startswith(f"{promised}:"):
            return f"acc {accepted}"
        return f"prom {promised} acc {accepted}"
    if "learned" in fields:
        return "" if fields["learned"] == "-" else f"learned {fields['learned']}"
    return default_label(record)


def _pvalue(accepted: tuple[Any, Any] | None) -> str:
    return NONE if accepted is None else f"{accepted[0]} {accepted[1]}"


def _disk(sim: Simulation, node_id: str) -> str:
    stored = sim.stored(node_id)
    if role_of(node_id) == "acceptor":
        return f"promised {stored.get('promised') or NONE}"
    if role_of(node_id) == "proposer":
        return f"round {stored.get('round', 0)}"
    return "nothing (learners ask again)"


def ballots_rows(sim: Simulation) -> list[dict[str, str]]:
    """One row per node: role, status, phase, ballot, promised, accepted, value."""
    status = sim.view()
    rows = []
    for node_id in sim.node_ids:
        node = sim.nodes.get(node_id)
        row = {"node": node_id, "role": role_of(node_id), "status": status[node_id]["status"],
               "phase": "", "ballot": "", "promised": "", "accepted": "", "value": ""}
        if isinstance(node, Acceptor):
            row.update(promised=str(node.promised or NONE), accepted=_pvalue(node.accepted))
        elif isinstance(node, Proposer):
            value = node.chosen if node.phase == DONE else node.proposed
            row.update(phase=node.phase, ballot=str(node.ballot or NONE),
                       value=NONE if value is None else str(value))
        elif isinstance(node, Learner):
            row.update(value=str(node.learned) if node.learned_ballot is not None else NONE)
        rows.append(row)
    return rows


def ballots_readout(sim: Simulation) -> dict[str, Any]:
    """The numbers the ballots view shows: highest round, ballots tried, chosen, learned."""
    proposers = proposers_of(sim)
    return {"highest_round": highest_round(sim),
            "ballots_tried": sum(p.ballots_tried for p in proposers),
            "nacks": sum(p.nacks for p in proposers),
            "chosen": tuple(chosen_values(sim)), "learned": learned(sim)}


def ballots_view(sim: Simulation) -> str:
    """HTML: the readout line (classes ``cl-paxos-round``, ``cl-paxos-chosen`` …) and the table."""
    r = ballots_readout(sim)
    chosen = ", ".join(map(str, r["chosen"])) or NONE
    heard = ", ".join(f"{k}: {v}" for k, v in r["learned"].items()) or NONE
    readout = (
        '<div class="cl-paxos-readout">'
        f'highest ballot round <b class="cl-paxos-round">{r["highest_round"]}</b> &middot; '
        f'ballots tried <span class="cl-paxos-ballots">{r["ballots_tried"]}</span> &middot; '
        f'chosen <b class="cl-paxos-chosen">{html.escape(chosen)}</b> &middot; '
        f'learned <span class="cl-paxos-learned">{html.escape(heard)}</span></div>')
    rows = ballots_rows(sim)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values()) + "</tr>"
                   for row in rows)
    table = f'<table class="cl-paxos-table"><tr>{head}</tr>{body}</table>'
    return VIEW_CSS + readout + table


# ---------------------------------------------------------------- the player
class PaxosPlayer(SimulationPlayer):
    """A SimulationPlayer whose steps can follow the FLP adversary (``adversary=True``).

    With the adversary on, a new step fires the message
    :func:`~consensus_lab.paxos.scenarios.adversary_pick` chooses, or the
    next event in time when it chooses none — exactly the schedule of
    :func:`~consensus_lab.paxos.scenarios.duel`. Steps already recorded
    (after going back) are redone as recorded, whatever the switch says.
    """

    def __init__(self, *args: Any, adversary: bool = False, **kwargs: Any) -> None:
        self.adversary = adversary
        super().__init__(*args, **kwargs)
        box = widgets.Checkbox(value=adversary, description="adversary schedules the network",
                               indent=False, layout=widgets.Layout(width="auto"))
        box.add_class("cl-adversary")
        box.observe(lambda change: self.set_adversary(bool(change.new)), names="value")
        self.w["adversary"] = box
        self.widget.children = (box, *self.widget.children)

    def set_adversary(self, on: bool) -> None:
        """Let the adversary (True) or the plain network (False) pick the next new steps."""
        self.adversary = bool(on)
        if self.w["adversary"].value != self.adversary:
            self.w["adversary"].value = self.adversary

    def step(self, n: int = 1) -> int:
        """Take up to ``n`` steps: recorded ones first, then the adversary's (or the network's)."""
        if not self.adversary:
            return super().step(n)
        before = self.position
        self._do(self._adversary_steps, n)
        return self.position - before

    def _adversary_steps(self, n: int) -> None:
        for _ in range(n):
            before = self.position
            pick = adversary_pick(self.sim) if self.position >= self.horizon else None
            if pick is None:
                self.timeline.step(1)
            else:
                self.timeline.fire(pick.id)
            if self.position == before:
                return


def paxos_player(acceptors: int = 3, proposers: int = 2, learners: int = 1, *, seed: int = 0,
                 variant: str = "correct", backoff: bool | int = True,
                 config: PaxosConfig | None = None, network: Network | None = None,
                 adversary: bool = False, invariants: bool = True,
                 setup: Callable[[Simulation], object] | None = None,
                 views: Sequence[str] = ("cluster", "spacetime"),
                 **kwargs: Any) -> PaxosPlayer:
    """A player over a single-decree Paxos cluster (see the module docstring).

    ``variant``/``backoff`` build the config as :func:`~consensus_lab.paxos.paxos_sim`
    does (``config`` replaces both); ``setup(sim)`` runs after the invariants
    are installed; other keyword arguments go to :class:`SimulationPlayer`.
    """
    ids = paxos_ids(acceptors, proposers, learners)
    factory = PaxosFactory(config or config_for(variant, backoff=backoff), {})

    def prepare(sim: Simulation) -> None:
        if invariants:
            install_invariants(sim)
        if setup is not None:
            setup(sim)

    kwargs.setdefault("timeout_timer", "retry")
    kwargs.setdefault("cluster_lines", paxos_node_lines)
    kwargs.setdefault("spacetime_label", paxos_label)
    extra = {"ballots": ballots_view, **kwargs.pop("extra_views", {})}
    return PaxosPlayer(factory, ids, seed=seed, network=network or DEFAULT_NETWORK,
                       setup=prepare, views=views, extra_views=extra, adversary=adversary,
                       **kwargs)


def duel_player(seed: int = 0, backoff: bool | int = False, *, doublings: int = 4,
                adversary: bool = True, **kwargs: Any) -> PaxosPlayer:
    """The duel of :func:`~consensus_lab.paxos.scenarios.duel` in a player.

    3 acceptors, 2 proposers, 1 learner, every message 10 ms, the adversary
    scheduling; ``backoff`` False (retry 3 ms after a Nack), True (plus up to
    20 ms at random) or a maximum in ms, doubling ``doublings`` times at most.
    """
    config = config_for("correct", backoff=backoff, backoff_doublings=doublings)
    kwargs.setdefault("spacetime_last", 40)
    return paxos_player(3, 2, 1, seed=seed, config=config, network=DUEL_NETWORK,
                        adversary=adversary, **kwargs)
