"""ipywidgets front ends over the simulator and the diagrams.

:class:`SimulationPlayer` is the one player every notebook uses;
:class:`Timeline` is its browser-free core (step, go back, fork history);
:class:`HappensBeforeExplorer` asks how two events of a causal-broadcast run relate.
"""

from .causality import HappensBeforeExplorer
from .player import SimulationPlayer
from .timeline import Timeline

__all__ = ["HappensBeforeExplorer", "SimulationPlayer", "Timeline"]
