"""A simulation player opened on a model checker's schedule (counterexample or goal)."""

from __future__ import annotations

from typing import Any

from ..explore.schedule import Schedule
from .player import SimulationPlayer


def schedule_player(schedule: Schedule, **options: Any) -> SimulationPlayer:
    """A :class:`SimulationPlayer` standing at the schedule's last move.

    The player rebuilds the run from the factory: its setup installs the
    invariants (taken from a fresh ``setup()``) and redoes the setup's
    recorded inputs (:meth:`Schedule.player_setup`); then the moves are
    loaded as recorded inputs. Go back, step, or fork from there like in
    any run. ``options`` go to the player (``views``, ``extra_views``, ...).
    """
    sim = schedule.sim
    moves = sim.choices["inputs"][len(schedule.origin.prefix_inputs):]
    player = SimulationPlayer(sim.factory, sim.node_ids, seed=sim.seed,
                              network=schedule.origin.network, setup=schedule.player_setup,
                              **options)
    player.load(moves)
    return player
