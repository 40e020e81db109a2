"""The search on protocols small enough to count by hand."""

from __future__ import annotations

from typing import Any

import pytest

from consensus_lab.explore import Counterexample, explore
from consensus_lab.sim import (
    ConfigError,
    Context,
    InvariantViolation,
    Network,
    Node,
    Simulation,
)
from consensus_lab.viz import schedule_spacetime
from consensus_lab.widgets import schedule_player
from tests.explore.toys import (
    NET,
    ForgetfulDispenser,
    Pinger,
    Pong,
    counted_once,
    dispenser,
    no_lost_update,
    one_increment,
    ping_pong,
    racy_counter,
    racy_factory,
    tallies,
    under_three,
)

# ------------------------------------------------------------ finding bugs
# The lost update needs both reads answered before either write lands:
# read, read, answer, answer, write, write -- six deliveries, no fewer.
SHORTEST_LOST_UPDATE = 6


def test_bfs_finds_the_lost_update_with_a_shortest_schedule() -> None:
    result = explore(racy_counter, invariants=[no_lost_update])
    cx = result.violation
    assert cx is not None and cx.invariant == "no_lost_update"
    assert len(cx) == SHORTEST_LOST_UPDATE
    assert [kind for kind, _ in cx.actions] == ["fire"] * SHORTEST_LOST_UPDATE
    assert cx.actions[-1][1].endswith("Write(value=1)")
    assert "register holds 1" in cx.message
    assert not result.complete and result.bound_hit is None


@pytest.mark.parametrize("depth", range(1, SHORTEST_LOST_UPDATE))
def test_no_shorter_schedule_loses_an_update(depth: int) -> None:
    """An independent check of minimality: every schedule of fewer moves is fine."""
    result = explore(racy_counter, invariants=[no_lost_update], strategy="dfs",
                     max_depth=depth)
    assert result.violation is None and result.bound_hit == "depth"


def test_dfs_finds_the_lost_update_too() -> None:
    result = explore(racy_counter, invariants=[no_lost_update], strategy="dfs")
    assert result.violation is not None and len(result.violation) >= SHORTEST_LOST_UPDATE
    bounded = explore(racy_counter, invariants=[no_lost_update], strategy="dfs",
                      max_depth=SHORTEST_LOST_UPDATE)
    assert bounded.violation is not None and len(bounded.violation) == SHORTEST_LOST_UPDATE


def test_a_violation_in_the_initial_state_has_an_empty_schedule() -> None:
    result = explore(ping_pong, invariants={"never": lambda sim: "broken from the start"})
    assert result.violation is not None and len(result.violation) == 0
    assert result.violation.message == "broken from the start"


class Crashy(Node):
    """Raises in its handler: a bug the checker reports like a violation."""

    def on_start(self, ctx: Context) -> None:
        if self.node_id == "n1":
            ctx.send("n2", Pong())

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        raise KeyError("no such entry")


def test_an_exception_in_a_handler_is_a_counterexample() -> None:
    result = explore(lambda: Simulation(Crashy, 2, network=NET))
    assert result.violation is not None and result.violation.invariant == "exception"
    assert "KeyError" in result.violation.message and len(result.violation) == 1


# ------------------------------------------------------- exhausting spaces
def test_ping_pong_has_three_by_three_states() -> None:
    """Each ping-pong pair is at one of 3 stages (ping in flight, pong in flight,
    done), independently: 9 states, not the 4!/(2!2!) * ... orders that reach them;
    from stage (a, b) one move per unfinished pair: 2*3 + 3*2 = 12 transitions."""
    result = explore(ping_pong)
    assert result.complete and result.violation is None and result.bound_hit is None
    assert (result.states, result.transitions, result.terminal, result.max_depth) == (9, 12, 1, 4)


def test_symmetry_merges_renamed_states() -> None:
    """n2 and n3 are alike: stages as unordered pairs, 6 states; the moves from
    (0,0) (0,1) (0,2) (1,1) (1,2) (2,2) number 2+2+1+2+1+0 = 8."""
    result = explore(ping_pong, symmetry=("n2", "n3"))
    assert result.complete and (result.states, result.transitions) == (6, 8)


def test_dead_messages_are_left_out() -> None:
    """Declaring every Pong dead leaves two stages per pair: 4 states."""
    result = explore(ping_pong, dead=lambda sim, event: isinstance(event.msg, Pong))
    assert result.complete and (result.states, result.transitions) == (4, 4)


def test_bounds_cut_the_search_and_say_so() -> None:
    by_depth = explore(ping_pong, max_depth=2)
    assert by_depth.bound_hit == "depth" and not by_depth.complete
    assert by_depth.states == 1 + 2 + 3  # stages (a, b) with a + b <= 2
    by_states = explore(ping_pong, max_states=3)
    assert by_states.bound_hit == "states" and by_states.states == 3


def test_a_state_constraint_is_checked_but_not_expanded() -> None:
    def both_pinged(sim: Simulation) -> bool:
        return all(sim.nodes[n].pings for n in ("n2", "n3"))

    result = explore(ping_pong, prune=both_pinged)
    # (1,1), (1,2) and (2,1) are reached and checked; (2,2) lies only beyond them
    assert result.complete and result.states == 9 - 1


def test_the_goal_is_reported_with_a_shortest_path() -> None:
    result = explore(ping_pong, goal=lambda sim: sim.nodes["n1"].pongs == {"n2", "n3"})
    assert result.goal_reached and len(result.goal) == 4 and result.complete
    never = explore(ping_pong, goal=lambda sim: False)
    assert not never.goal_reached and never.goal is None


# ------------------------------------------------------------------ budgets
def test_drop_budget_counted_by_hand() -> None:
    """A drop loses a ping or a pong: 5 stages per pair, at most `budget` losses.
    One drop: 9 lossless + 2 lost kinds * 2 pairs * 3 stages of the other = 21."""
    one = explore(ping_pong, drop_budget=1)
    assert (one.states, one.terminal, one.complete) == (21, 5, True)
    two = explore(ping_pong, drop_budget=2)
    assert (two.states, two.terminal) == (25, 9)


def test_a_duplicate_is_needed_to_count_twice() -> None:
    assert explore(one_increment, invariants=[counted_once]).complete
    result = explore(one_increment, invariants=[counted_once], dup_budget=1)
    assert result.violation is not None
    assert [kind for kind, _ in result.violation.actions] == ["duplicate", "fire"]


def test_a_crash_makes_a_forgetful_dispenser_repeat_a_ticket() -> None:
    assert explore(lambda: dispenser(ForgetfulDispenser)).complete
    result = explore(lambda: dispenser(ForgetfulDispenser), crash_budget=1)
    cx = result.violation
    assert cx is not None and cx.invariant == "unique tickets"
    kinds = [kind for kind, _ in cx.actions]
    assert kinds.count("crash") == 1 and kinds.count("restart") == 1 and len(cx) == 6
    rebooted = explore(lambda: dispenser(ForgetfulDispenser), crash_budget=1, reboot=True)
    assert rebooted.violation is not None and len(rebooted.violation) == 5
    assert [k for k, _ in rebooted.violation.actions].count("reboot") == 1


def test_a_durable_dispenser_survives_a_crash() -> None:
    result = explore(dispenser, crash_budget=1)
    assert result.complete and result.violation is None


def test_budgets_bound_every_schedule() -> None:
    """With one drop allowed, no explored state has lost two messages."""
    lost: list[int] = []

    def count_losses(sim: Simulation) -> None:
        lost.append(sim.stats["dropped"])

    explore(ping_pong, drop_budget=1, invariants=[count_losses])
    assert max(lost) == 1


# ------------------------------------------------------------------ replay
def test_the_counterexample_replays_into_a_traced_run() -> None:
    cx = explore(racy_counter, invariants=[no_lost_update]).violation
    assert isinstance(cx, Counterexample)
    violation = cx.check()
    assert isinstance(violation, InvariantViolation) and violation.name == "no_lost_update"
    sim = cx.sim
    assert sim.tracing and no_lost_update(sim) is not None
    assert "INVARIANT no_lost_update VIOLATED" in sim.trace.tail(1)
    assert cx.trace_text().count("deliver") == SHORTEST_LOST_UPDATE


def test_the_counterexample_replays_through_simulation_replay() -> None:
    cx = explore(racy_counter, invariants=[no_lost_update]).violation
    assert cx is not None
    run = cx.sim
    again = Simulation.replay(racy_factory, ["a", "b", "r"], run.choices, run.steps,
                              network=NET)
    assert again.steps == run.steps and again.fingerprint() == run.fingerprint()
    assert no_lost_update(again) == no_lost_update(run) is not None


def test_the_counterexample_is_drawn_and_printed() -> None:
    cx = explore(racy_counter, invariants=[no_lost_update]).violation
    assert cx is not None
    svg = schedule_spacetime(cx).data
    assert svg.startswith("<svg") and "Write" in svg
    text = str(cx)
    assert "no_lost_update" in text and "6. deliver b->r Write(value=1)" in text
    assert cx.to_json()["length"] == SHORTEST_LOST_UPDATE


def test_the_player_steps_through_the_counterexample() -> None:
    cx = explore(racy_counter, invariants=[no_lost_update]).violation
    assert cx is not None
    player = schedule_player(cx, views=("spacetime",))
    assert player.position == cx.sim.steps
    assert player.sim.fingerprint() == cx.sim.fingerprint()
    player.back(2)
    assert player.position == cx.sim.steps - 2


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("options", "message"), [
    ({"strategy": "astar"}, "unknown strategy 'astar'; allowed: bfs, dfs"),
    ({"max_depth": 0}, "max_depth must be a positive int"),
    ({"max_states": -5}, "max_states must be a positive int"),
    ({"drop_budget": -1}, "drop_budget must be an int >= 0, got -1"),
    ({"time_limit": 0}, "time_limit must be a positive number"),
    ({"symmetry": ("n2", "n9")}, "symmetry names unknown node 'n9'"),
    ({"invariants": {"bad": 42}}, "invariant 'bad' must be callable"),
    ({"state_key": hash, "symmetry": ("n2", "n3")}, "cannot be combined"),
])
def test_bad_options_are_refused_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explore(ping_pong, **options)


def test_a_network_that_loses_messages_at_random_is_refused() -> None:
    def lossy() -> Simulation:
        return Simulation(Pinger, 3, network=Network(latency=(1, 1), drop=0.1))

    with pytest.raises(ConfigError, match="use drop_budget instead"):
        explore(lossy)


def test_setup_must_build_a_simulation() -> None:
    with pytest.raises(ConfigError, match="setup\\(\\) must return a Simulation, got dict"):
        explore(lambda: {})  # type: ignore[arg-type, return-value]


def test_exact_keys_count_the_same_states() -> None:
    hashed, exact = explore(ping_pong, drop_budget=1), explore(ping_pong, drop_budget=1,
                                                                exact=True)
    assert (hashed.states, hashed.transitions) == (exact.states, exact.transitions) == (21, 32)


def test_the_time_limit_stops_a_big_search() -> None:
    from consensus_lab.explore import get_spec

    result = get_spec("raft", "correct").run(time_limit=1e-6)  # checked every 32 states
    assert result.bound_hit == "time" and not result.complete and result.states > 32


def test_the_player_redoes_a_duplicate_move() -> None:
    cx = explore(one_increment, invariants=[counted_once], dup_budget=1).violation
    assert cx is not None
    player = schedule_player(cx)
    assert player.position == cx.sim.steps
    assert player.sim.fingerprint() == cx.sim.fingerprint()
    assert "duplicate" in cx.trace_text()


# ------------------------------------------------------------------ client calls
TALLY_CALLS = (("add", (1,)), ("add", (2,)))


def test_calls_go_out_in_order_to_any_node() -> None:
    """Counted by hand: no call (1 state), add(1) at n1 or n2 (2), then add(2) at
    either (4): 7 states; add(2) never goes first."""
    result = explore(tallies, calls=TALLY_CALLS)
    assert result.complete and result.states == 7
    assert result.terminal == 4


def test_call_to_limits_who_is_called() -> None:
    result = explore(tallies, calls=TALLY_CALLS, call_to=lambda sim, node: node == "n2")
    assert result.complete and result.states == 3


def test_a_call_counterexample_names_its_calls_and_replays() -> None:
    cx = explore(tallies, calls=TALLY_CALLS, invariants=[under_three]).violation
    assert cx is not None and cx.message == "n1 reached 3"
    assert cx.actions == [("call", "n1 add(1)"), ("call", "n1 add(2)")]
    assert cx.check().name == "under_three"  # type: ignore[attr-defined]
    assert cx.sim.nodes["n1"].total == 3
    player = schedule_player(cx, views=("spacetime",))
    assert player.sim.fingerprint() == cx.sim.fingerprint()


@pytest.mark.parametrize("calls", [("add", 1), [("add",)], [(7, (1,))], [("add", 1)]])
def test_bad_calls_are_refused_by_name(calls: Any) -> None:
    with pytest.raises(ConfigError, match="each of calls must be"):
        explore(tallies, calls=calls)
