"""ipywidgets front ends over the simulator and the diagrams.

:class:`SimulationPlayer` is the one player every notebook uses;
:class:`Timeline` is its browser-free core (step, go back, fork history).
"""

from .player import SimulationPlayer
from .timeline import Timeline

__all__ = ["SimulationPlayer", "Timeline"]
