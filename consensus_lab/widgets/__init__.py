"""ipywidgets front ends over the simulator and the diagrams.

:class:`SimulationPlayer` is the one player every notebook uses;
:class:`Timeline` is its browser-free core (step, go back, fork history);
:class:`HappensBeforeExplorer` asks how two events of a causal-broadcast run relate;
:func:`raft_player` is a player set up for Raft (invariants, logs, term timeline).
"""

from .causality import HappensBeforeExplorer
from .player import SimulationPlayer
from .raft import client_button, raft_player
from .timeline import Timeline

__all__ = ["HappensBeforeExplorer", "SimulationPlayer", "Timeline", "client_button",
           "raft_player"]
