"""Replay: the recorded external inputs of a run, applied again at their steps.

Every input from outside a handler is recorded with the step before which
it happened (see :mod:`.choices` and :mod:`.controls`). In replay mode
:class:`Control` is what ``Simulation.step`` and ``Simulation.replay`` ask
to apply the inputs due now; :func:`apply_input` applies one, for any
caller that redoes a recording (the model checker's schedules too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .controls import Controls


def apply_input(sim: Controls, action: str, args: list[Any]) -> None:
    """Do the recorded input ``action`` with ``args`` again, on ``sim``."""
    if action == "call":
        node_id, method, call_args = args
        sim.call(node_id, method, *call_args)
    else:
        getattr(sim, action)(*args)


class Control:
    """Applies a replayed run's recorded inputs when their step comes."""

    __slots__ = ("_sim",)

    def __init__(self, sim: Controls) -> None:
        self._sim = sim

    def apply_recorded_inputs(self) -> None:
        """In replay: apply the recorded inputs due at the current step."""
        sim = self._sim
        while (item := sim._cp.next_input(sim.steps)) is not None:
            apply_input(sim, *item)
