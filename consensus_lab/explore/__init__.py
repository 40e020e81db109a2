"""An explicit-state model checker over world values: the lab's step protocols, searched.

A :class:`~.space.Scene` names a model (which step protocol each node
runs), the invariants, the faults allowed and the bounds; :func:`explore_scene`
searches every schedule of it breadth-first — every delivery order, every
race of a timer with a message, and within budgets every drop, duplicate,
crash and restart — and returns the shortest schedule that breaks an
invariant as a :class:`Counterexample` that replays, prints, draws and
plays. In the spirit of UW DSLabs' search tests, TLC and stateright, on the
very protocols the notebooks run.

API at a glance::

    from consensus_lab.explore import Scene, explore_scene, get_spec, PROTOCOLS

    result = explore_scene(scene, max_depth=None, max_states=None, time_limit=None)
    result.states, result.transitions, result.states_per_s, result.max_depth
    result.complete            # every reachable state checked, no bound hit
    result.bound_hit           # "depth" | "states" | "time" | None
    result.violation           # Counterexample | None (one of the shortest)
    result.goal                # Schedule to the goal | None
    cx = result.violation
    cx.invariant, cx.message, cx.actions   # [("fire", "n1->n2 Ping()"), ("crash", "n3"), ...]
    cx.sim                     # the replayed, traced run (setup, prefix, then the moves)
    cx.check()                 # replay; the InvariantViolation raised
    print(cx); print(cx.trace_text())
    viz.schedule_spacetime(cx)      # SvgDiagram of the moves (consensus_lab.viz)
    widgets.schedule_player(cx)     # SimulationPlayer at the violation (consensus_lab.widgets)

    get_spec("raft", "figure-8").run()      # a registered variant with its bounds

The command line (``consensus-lab explore``, ``consensus-lab bench
explore``) is in :mod:`consensus_lab.cli.explore`; the theory of operation
is in :mod:`.space` (search, reductions) and :mod:`.replay` (from moves to
a traced run); scripted starts in :mod:`.scripted`; the scenes in
:mod:`.raft_scripted`, :mod:`.raft_scene`, :mod:`.paxos_scene` and
:mod:`.commit_scenes`.
"""

from .protocols import PROTOCOLS, Spec, all_specs, get_spec
from .replay import explore_scene
from .result import STRATEGIES, ExploreResult
from .schedule import Action, Counterexample, Origin, Schedule, describe
from .scripted import Script, ScriptStuck
from .space import Found, Scene, Search

__all__ = [
    "Action", "Counterexample", "ExploreResult", "Found", "Origin", "PROTOCOLS", "STRATEGIES",
    "Scene", "Schedule", "Script", "ScriptStuck", "Search", "Spec", "all_specs", "describe",
    "explore_scene", "get_spec",
]
