"""An explicit-state model checker over the lab's simulator.

``explore(setup, ...)`` searches every schedule of a small configuration —
every delivery order, every race of a timer with a message, and within
budgets every drop, duplicate, crash and restart — for a state that
breaks an invariant, and returns the shortest such schedule as a
:class:`Counterexample` that replays, prints, draws and plays. In the
spirit of UW DSLabs' search tests, TLC and stateright, on the very nodes
the notebooks run.

API at a glance::

    from consensus_lab.explore import explore, get_spec, PROTOCOLS

    result = explore(setup,                      # () -> Simulation (may run a prefix)
                     invariants={"name": fn},    # fn(sim) -> None/True ok, False/str broken
                     goal=None,                  # fn(sim) -> bool: report a shortest path to it
                     strategy="bfs",             # or "dfs"
                     max_depth=None, max_states=None, time_limit=None,
                     drop_budget=0, dup_budget=0, crash_budget=0,
                     reboot=False,               # a crash is a reboot (crash + restart, 1 move)
                     crash_nodes=None,           # the nodes that may crash (default: all)
                     allow=None,                 # fn(sim, event) -> bool: events in play
                     prune=None,                 # fn(sim) -> bool: check, do not expand
                     dead=None,                  # fn(sim, event) -> bool: never matters again
                     symmetry=None)              # ids of interchangeable nodes
    result.states, result.transitions, result.states_per_s, result.max_depth
    result.complete            # every reachable state checked, no bound hit
    result.bound_hit           # "depth" | "states" | "time" | None
    result.violation           # Counterexample | None (shortest with bfs)
    result.goal                # Schedule to the goal | None
    cx = result.violation
    cx.invariant, cx.message, cx.actions   # [("fire", "n1->n2 Ping()"), ("crash", "n3"), ...]
    cx.sim                     # the replayed, traced run (setup() + the moves)
    cx.check()                 # replay; the InvariantViolation raised
    print(cx); print(cx.trace_text())
    viz.schedule_spacetime(cx)      # SvgDiagram of the moves (consensus_lab.viz)
    widgets.schedule_player(cx)     # SimulationPlayer at the violation (consensus_lab.widgets)

    get_spec("raft", "figure-8").run()      # a registered variant with its bounds

The command line (``consensus-lab explore``, ``consensus-lab bench
explore``) is in :mod:`.commands`; the theory of operation is in
:mod:`.search`; the moves in :mod:`.actions`; the Raft and Paxos scenes,
bounds and reductions in :mod:`.raft` and :mod:`.paxos`.
"""

from .actions import Action, Budgets, describe, moves
from .protocols import PROTOCOLS, Spec, all_specs, get_spec
from .schedule import Counterexample, Origin, Schedule
from .search import STRATEGIES, ExploreResult, explore

__all__ = [
    "Action", "Budgets", "Counterexample", "ExploreResult", "Origin", "PROTOCOLS",
    "STRATEGIES", "Schedule", "Spec", "all_specs", "describe", "explore", "get_spec", "moves",
]
