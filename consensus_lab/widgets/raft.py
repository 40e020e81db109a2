"""A SimulationPlayer set up for Raft: invariants on, logs and term timeline as views.

``raft_player(5, seed=1)`` is the player of the Raft notebooks: a cluster
of :class:`~consensus_lab.raft.RaftNode` on the chapter's network, the
five safety properties checked after every event (a violation turns the
status line red), and under the cluster diagram the logs coloured by term
(:func:`~consensus_lab.viz.raft_logs`) and/or the term timeline
(:func:`~consensus_lab.viz.term_timeline`); the cluster diagram shows
three short lines per node (:func:`~consensus_lab.viz.raft_node_lines`).
``clients`` adds buttons that send a write to the current leader, e.g.
``{"SET X=5": ("X", 5)}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from ..raft import DEFAULT_NETWORK, RaftConfig, RaftNode
from ..raft.scenarios import install_invariants, submit_to_leader
from ..sim import Network, Simulation
from ..viz import raft_logs, raft_node_lines, term_timeline
from ..viz.cluster import NodeLines
from .player import SimulationPlayer


def client_button(key: Any, value: Any, f: str = "put",
                  client: str = "c1") -> Callable[[Simulation], object]:
    """An extra-button action: ``client`` sends ``f key=value`` to the leader."""
    def press(sim: Simulation) -> object:
        return submit_to_leader(sim, f, key=key, value=value, client=client)
    return press


def raft_player(nodes: int = 5, *, seed: int = 0, config: RaftConfig | None = None,
                network: Network | None = None, setup: Callable[[Simulation], object] | None = None,
                logs: bool = True, terms: bool = False, invariants: bool = True,
                clients: Mapping[str, tuple[Any, Any]] | None = None,
                views: Sequence[str] = ("cluster", "spacetime"),
                cluster_lines: NodeLines | None = raft_node_lines,
                **kwargs: Any) -> SimulationPlayer:
    """A player over a Raft cluster (see the module docstring).

    ``setup(sim)`` runs after the invariants are installed; other keyword
    arguments go to :class:`SimulationPlayer` (``spacetime_last`` ...).
    """
    def prepare(sim: Simulation) -> None:
        if invariants:
            install_invariants(sim)
        if setup is not None:
            setup(sim)

    extra: dict[str, Callable[[Simulation], Any]] = {}
    if terms:
        extra["terms"] = term_timeline
    if logs:
        extra["logs"] = raft_logs
    buttons = {label: client_button(*kv) for label, kv in (clients or {}).items()}
    return SimulationPlayer(partial(RaftNode, config=config or RaftConfig()), nodes, seed=seed,
                            network=network or DEFAULT_NETWORK, setup=prepare, views=views,
                            buttons=buttons, extra_views=extra, cluster_lines=cluster_lines,
                            **kwargs)
