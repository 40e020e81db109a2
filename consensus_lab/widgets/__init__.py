"""ipywidgets front ends over the simulator and the diagrams.

:class:`SimulationPlayer` is the one player every notebook uses;
:class:`Timeline` is its browser-free core (step, go back, fork history);
:class:`HappensBeforeExplorer` asks how two events of a causal-broadcast run relate;
:class:`HistoryEditor` edits a register history and shows the checkers' verdicts live
(its browser-free model is :class:`HistoryEdits`);
:func:`raft_player` is a player set up for Raft (invariants, logs, term timeline);
:func:`paxos_player` and :func:`duel_player` do the same for Paxos and the FLP duel;
:class:`CapExplorer` partitions a CP or an AP store (its logic is :class:`CapModel`).
"""

from .cap import CapExplorer, CapModel
from .causality import HappensBeforeExplorer
from .history_editor import HistoryEditor
from .history_edits import EditError, HistoryEdits
from .paxos import duel_player, paxos_player
from .player import SimulationPlayer
from .raft import client_button, raft_player
from .schedule import schedule_player
from .timeline import Timeline

__all__ = ["CapExplorer", "CapModel", "EditError", "HappensBeforeExplorer", "HistoryEditor",
           "HistoryEdits", "SimulationPlayer", "schedule_player",
           "Timeline", "client_button", "duel_player",
           "paxos_player", "raft_player"]
