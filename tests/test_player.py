"""SimulationPlayer and its Timeline, driven without a browser.

Every check compares the player with a direct run of the simulator: the
same steps and actions must give the same trace digest, whether the player
got there by stepping, going back, jumping, or forking history.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_lab.sim import (
    ConfigError,
    Deliver,
    Effects,
    Input,
    Network,
    Simulation,
    SimulationError,
    StepNode,
    timer,
)
from consensus_lab.widgets import SimulationPlayer, Timeline
from tests.simnodes import Gossip, GossipProtocol, GossipState, OneShot


def player(**kwargs: Any) -> SimulationPlayer:
    """A player without diagrams (fast); tests of the views ask for them."""
    kwargs.setdefault("views", ())
    return SimulationPlayer(Gossip, 3, seed=kwargs.pop("seed", 4), **kwargs)


def direct(steps: int, seed: int = 4) -> Simulation:
    sim = Simulation(Gossip, 3, seed=seed)
    sim.run(max_steps=steps)
    return sim


def same_run(a: Simulation, b: Simulation) -> bool:
    return (a.trace.digest(), a.view(), a.steps) == (b.trace.digest(), b.view(), b.steps)


# --------------------------------------------------------- moving in time
def test_step_back_and_goto_match_a_direct_run() -> None:
    p = player()
    p.step(12)
    assert same_run(p.sim, direct(12))
    p.back()
    assert same_run(p.sim, direct(11))
    p.goto(5)
    assert same_run(p.sim, direct(5))
    p.goto(12)
    assert same_run(p.sim, direct(12))
    assert p.horizon == 12


def test_buttons_and_scrubber_drive_the_same_api() -> None:
    p = player()
    for _ in range(6):
        p.w["step"].click()
    p.w["back"].click()
    assert same_run(p.sim, direct(5))
    p.w["scrubber"].value = 2
    assert same_run(p.sim, direct(2))
    assert p.w["scrubber"].max == 6


def test_play_widget_ticks_step_forward_and_stop_at_the_end() -> None:
    p = SimulationPlayer(OneShot, 3, views=())
    play = p.w["play"]
    play.playing = True
    play.value = p.position + 1
    assert p.position == 1
    for _ in range(10):
        play.value = play.value + 1
    assert p.position == 6 and not p.sim.pending()
    assert play.playing is False  # nothing left to fire
    play.value = 0  # the Play's stop button rewinds
    assert p.position == 0


def test_crash_after_going_back_forks_history() -> None:
    p = player()
    p.step(10)
    p.goto(5)
    p.crash("n1")
    assert p.horizon == 5  # the old future is gone
    p.step(5)
    sim = direct(5)
    sim.crash("n1")
    sim.run(max_steps=5)
    assert same_run(p.sim, sim)

    q = player()
    q.step(7)
    q.goto(5)
    q.crash("n1")
    q.step(5)
    assert q.sim.trace.digest() == p.sim.trace.digest()


def test_acting_after_going_back_forgets_the_old_futures_actions() -> None:
    p = player()
    p.step(6)
    p.crash("n1")
    p.step(2)
    p.goto(3)
    p.pause("n2")
    p.step(3)
    p.goto(1)
    p.goto(6)
    sim = direct(3)
    sim.pause("n2")
    sim.run(max_steps=3)
    assert same_run(p.sim, sim)
    assert "n1" not in p.sim.crashed


def test_going_back_and_forth_replays_recorded_actions() -> None:
    p = player()
    p.step(4)
    p.crash("n2")
    p.step(3)
    p.restart("n2")
    p.step(3)
    final = p.sim.trace.digest()
    p.goto(4)
    assert "n2" in p.sim.crashed  # inputs at a position are part of it
    p.goto(3)
    assert "n2" not in p.sim.crashed
    p.goto(10)
    assert p.sim.trace.digest() == final


def test_fire_delivers_the_chosen_message_next() -> None:
    p = player()
    p.step(8)
    delivers = [e for e in p.sim.pending() if e.kind == "deliver"]
    chosen = delivers[-1]
    assert chosen.id != p.sim.pending()[0].id
    p.fire(chosen.id)
    last = p.sim.trace.filter(kind="deliver").records[-1]
    assert (last.node, last.peer, last.message) == (chosen.node, chosen.src, chosen.msg)
    digest = p.sim.trace.digest()
    p.back()
    p.step()
    assert p.sim.trace.digest() == digest  # the fire is replayed, not a natural step


def test_pending_dropdown_and_deliver_button_fire_the_selection() -> None:
    p = player()
    p.step(8)
    chosen = [e for e in p.sim.pending() if e.kind == "deliver"][-1]
    p.w["pending"].value = chosen.id
    p.w["fire"].click()
    assert p.sim.trace.filter(kind="deliver").records[-1].message == chosen.msg


def test_fire_rejects_an_event_that_is_not_pending() -> None:
    p = player()
    with pytest.raises(ConfigError, match="no pending event #999"):
        p.fire(999)


def test_drop_button_loses_the_chosen_message_and_replays_it() -> None:
    p = player()
    p.step(8)
    chosen = [e for e in p.sim.pending() if e.kind == "deliver"][-1]
    p.w["pending"].value = chosen.id
    assert not p.w["drop-msg"].disabled
    p.w["drop-msg"].click()
    dropped = p.sim.trace.filter(kind="drop").records[-1]
    assert (dropped.node, dropped.peer, dropped.message, dropped.detail) == (
        chosen.node, chosen.src, chosen.msg, "dropped by hand")
    assert chosen.id not in {e.id for e in p.sim.pending()}
    assert [i.action for i in p.timeline.inputs] == ["drop"]
    p.step(4)
    digest = p.sim.trace.digest()
    p.goto(2)
    p.goto(12)
    assert p.sim.trace.digest() == digest  # the drop is replayed at step 8
    sim = direct(8)
    sim.drop(chosen.id)
    sim.run(max_steps=4)
    assert same_run(p.sim, sim)


def test_drop_button_is_disabled_for_a_timer() -> None:
    p = player()
    timer = next(e for e in p.sim.pending() if e.kind == "timer")
    p.w["pending"].value = timer.id
    assert p.w["drop-msg"].disabled
    with pytest.raises(ConfigError, match="only message deliveries can be dropped"):
        p.drop(timer.id)


def test_time_out_fires_the_nodes_next_timer_now() -> None:
    p = player()
    p.step(2)
    before = p.sim.now
    mine = [e for e in p.sim.pending() if e.kind == "timer" and e.node == "n3"]
    p.w["node"].value = "n3"
    p.w["timeout"].click()
    last = p.sim.trace.filter(kind="timer").records[-1]
    assert (last.node, last.detail, last.time) == ("n3", "gossip", before)
    assert mine[0].id not in {e.id for e in p.sim.pending()}
    assert p.timeline.moves[-1] == mine[0].id  # an out-of-turn move, replayed on redo
    p.crash("n3")
    assert p.w["timeout"].disabled
    with pytest.raises(SimulationError, match="cannot time out n3: it is crashed"):
        p.time_out("n3")


def test_time_out_prefers_the_election_timer() -> None:
    class TwoTimers(GossipProtocol):
        def start(self, node_id: str, peers: tuple[str, ...],
                  stored: Mapping[str, Any]) -> tuple[GossipState, Effects]:
            return GossipState(peers), (timer("gossip", 3), timer("election", 100))

    p = SimulationPlayer(partial(StepNode, protocol=TwoTimers()), 2, views=())
    p.time_out("n1")
    assert p.sim.trace.filter(kind="timer").records[-1].detail == "election"


def test_extra_views_are_drawn_under_the_cluster_and_follow_the_run() -> None:
    views = {"told": lambda sim: f"<b>told {sum(n.told for n in sim.nodes.values() if n)}</b>",
             "broken": lambda sim: 1 / 0}
    p = player(views=("cluster",), extra_views=views)
    assert "cl-view-told" in p.w["view-told"]._dom_classes
    children = p.widget.children
    assert children.index(p.w["view-told"]) == children.index(p.w["status"]) + 2
    p.step(12)
    told = sum(n.told for n in p.sim.nodes.values())
    assert p.w["view-told"].value == f"<b>told {told}</b>" and told > 0
    assert "cl-error" in p.w["view-broken"].value and "ZeroDivisionError" in \
        p.w["view-broken"].value
    with pytest.raises(ValueError, match="extra view 'cluster' has the name of a built-in"):
        player(extra_views={"cluster": str})


def test_load_applies_a_recorded_runs_inputs() -> None:
    sim = Simulation(Gossip, 3, seed=4)
    sim.run(max_steps=5)
    sim.crash("n2")
    sim.submit("n1", "noop")
    sim.run(max_steps=11)  # two messages in flight then
    delivers = [e for e in sim.pending() if e.kind == "deliver"]
    assert len(delivers) >= 2
    sim.fire(delivers[-1].id)
    sim.drop(delivers[0].id)
    sim.run(until=sim.now + 7)
    p = player()
    p.load(sim.choices["inputs"])
    p.goto(sim.steps)
    assert same_run(p.sim, sim)
    p.goto(3)
    p.goto(sim.steps)
    assert same_run(p.sim, sim)


def test_submit_is_a_recorded_client_request() -> None:
    p = player()
    p.step(2)
    p.submit("n1", "noop", client="c9")
    assert [op.process for op in p.sim.history] == ["c9"]
    p.step(3)
    p.goto(1)
    assert len(p.sim.history) == 0
    p.goto(5)
    assert [op.type for op in p.sim.history][:1] == ["invoke"]


# ----------------------------------------------------------- the nemesis
def test_node_buttons_crash_restart_pause_resume() -> None:
    p = player()
    p.w["node"].value = "n2"
    assert p.w["restart"].disabled and p.w["resume"].disabled
    p.w["crash"].click()
    assert p.sim.view()["n2"]["status"] == "crashed" and p.w["crash"].disabled
    p.w["restart"].click()
    p.w["pause"].click()
    assert p.sim.view()["n2"]["status"] == "paused"
    p.w["resume"].click()
    assert p.sim.view()["n2"]["status"] == "up"
    actions = [i.action for i in p.timeline.inputs]
    assert actions == ["crash", "restart", "pause", "resume"]


def test_partition_editor_cuts_group_a_from_the_rest_and_heals() -> None:
    p = player()
    p.w["group"].value = ("n1",)
    p.w["partition"].click()
    assert p.sim.network.blocked == {("n1", "n2"), ("n2", "n1"), ("n1", "n3"), ("n3", "n1")}
    p.w["heal"].click()
    assert not p.sim.network.blocked
    p.w["cut-src"].value, p.w["cut-dst"].value = "n3", "n2"
    p.w["cut"].click()
    assert p.sim.network.blocked == {("n3", "n2")}


def test_a_rejected_click_is_shown_not_raised() -> None:
    p = player()
    p.w["node"].value = "n1"
    p.w["resume"].click()  # n1 is not paused
    assert p.notice == "n1 is not paused; only a paused node can resume"
    assert "cl-notice" in p.w["status"].value
    assert p.timeline.inputs == []
    with pytest.raises(ConfigError):
        p.resume("n1")  # from Python, a bad action raises


def test_drop_slider_changes_the_network() -> None:
    p = player()
    p.step(3)
    p.w["drop"].value = 1.0
    assert p.sim.network.default.drop == 1.0
    p.step(20)
    sent_after = {r.msg_id for r in p.sim.trace.filter(kind="send", predicate=lambda r: r.step > 3)}
    lost = {r.msg_id for r in p.sim.trace.filter(kind="drop") if r.detail == "lost"}
    assert sent_after and sent_after == lost
    p.goto(2)
    assert p.w["drop"].value == 0.0  # the slider follows the simulation back in time


def test_seed_box_restarts_the_run() -> None:
    p = player()
    p.step(6)
    p.w["seed"].value = 11
    assert p.timeline.seed == 11 and p.position == 0 and p.horizon == 0
    p.step(6)
    assert same_run(p.sim, direct(6, seed=11))


def test_extra_buttons_are_recorded_and_replayed() -> None:
    p = player(buttons={"cut n1": lambda sim: sim.partition(["n1"])})
    p.step(3)
    (button,) = p.w["extras"].children
    assert button.description == "cut n1"
    button.click()
    p.step(3)
    digest = p.sim.trace.digest()
    p.goto(1)
    p.goto(6)
    assert p.sim.trace.digest() == digest


def test_setup_runs_on_every_rebuilt_simulation() -> None:
    calls: list[int] = []

    def setup(sim: Simulation) -> None:
        calls.append(sim.steps)
        sim.submit("n1", "noop")

    p = player(setup=setup)
    p.step(5)
    p.back(2)
    assert calls == [0, 0]
    assert len(p.sim.history) >= 1


# ------------------------------------------------------ invariants, views
def test_an_invariant_violation_is_shown_not_raised() -> None:
    def setup(sim: Simulation) -> None:
        sim.add_invariant("quiet", lambda s: all(
            (n is None or n.heard < 2) for n in s.nodes.values()) or "someone heard 2 rumors")

    p = player(setup=setup)
    p.step(40)
    assert p.violation is not None and p.violation.name == "quiet"
    status = p.w["status"].value
    assert "cl-violation" in status and "someone heard 2 rumors" in status
    broke_at = p.violation.step
    p.goto(broke_at - 1)
    assert p.violation is None and "cl-violation" not in p.w["status"].value
    p.step()
    assert p.violation is not None and p.violation.step == broke_at


def test_an_error_in_a_node_handler_is_shown_not_raised() -> None:
    class Buggy(GossipProtocol):
        def step(self, state: GossipState, event: Input) -> tuple[GossipState, Effects]:
            if isinstance(event, Deliver):
                raise RuntimeError("oops")
            return super().step(state, event)

    p = SimulationPlayer(partial(StepNode, protocol=Buggy()), 2, views=())
    p.step(10)
    assert p.error is not None and "RuntimeError" in p.error and "oops" in p.error
    assert "cl-error" in p.w["status"].value


def test_every_major_piece_has_a_stable_css_class() -> None:
    p = player(views=("cluster", "spacetime", "tables"))
    for name in ("player", "play", "step", "back", "scrubber", "speed", "seed", "crash",
                 "restart", "pause", "resume", "group", "partition", "heal", "cut", "drop",
                 "pending", "fire", "drop-msg", "timeout", "status", "cluster", "spacetime",
                 "tables"):
        assert f"cl-{name}" in p.w[name]._dom_classes, name
    assert p.widget is p.w["player"]


def test_views_render_the_current_state() -> None:
    p = player(views=("cluster", "spacetime", "tables"))
    p.step(6)
    p.partition(["n3"])
    assert "<svg" in p.w["cluster"].value and "partition: n1 n2 | n3" in p.w["cluster"].value
    assert "cl-spacetime-svg" in p.w["spacetime"].value
    assert "cl-nodes-table" in p.w["tables"].value
    assert "t=" in p.w["status"].value and "seed 4" in p.w["status"].value


def test_speed_slider_sets_the_play_interval() -> None:
    p = player()
    p.w["speed"].value = 10
    assert p.w["play"].interval == 100


# --------------------------------------------------------------- timeline
def test_timeline_steps_inside_an_extra_cannot_be_split() -> None:
    tl = Timeline(Gossip, 3, seed=4, extras={"run 3": lambda sim: sim.run(max_steps=3)})
    tl.step(2)
    tl.act("extra", "run 3")
    assert tl.position == 5 and tl.horizon == 5
    tl.step(2)
    tl.back(3)  # into the extra's steps: lands before the position it was applied at
    assert tl.position == 1
    tl.goto(7)
    sim = direct(7)
    assert sim.trace.digest() == tl.sim.trace.digest()


def test_timeline_rejects_unknown_actions_and_positions() -> None:
    tl = Timeline(Gossip, 3, network=Network(latency=(2, 2)))
    with pytest.raises(ConfigError, match="unknown action 'explode'"):
        tl.act("explode")
    with pytest.raises(ConfigError, match="position must be an int >= 0"):
        tl.goto(-1)


# ------------------------------------------------- property: fork semantics
# A reference model of the history, written differently from Timeline: one
# interleaved list of entries ("move", None | event id) and ("input", action,
# args); the state at the cursor is a fresh run that applies entries[:cursor].
OPS = ("step", "back", "goto", "crash", "pause", "partition", "heal", "fire")


def build(entries: list[tuple[Any, ...]]) -> Simulation:
    sim = Simulation(Gossip, 3, seed=4)
    for entry in entries:
        if entry[0] == "move":
            sim.step() if entry[1] is None else sim.fire(entry[1])
        else:
            getattr(sim, entry[1])(*entry[2])
    return sim


def cursor_at(entries: list[tuple[Any, ...]], k: int) -> int:
    """Entries up to the k-th move and the inputs right after it."""
    moves, i = 0, 0
    while i < len(entries) and (entries[i][0] != "move" or moves < k):
        moves += entries[i][0] == "move"
        i += 1
    return i


def model_action(sim: Simulation, op: str, arg: int) -> tuple[str, list[Any]] | None:
    node = sim.node_ids[arg % 3]
    if op == "crash":
        return ("restart" if node in sim.crashed else "crash", [node])
    if op == "pause" and node not in sim.crashed:
        return ("resume" if node in sim.paused else "pause", [node])
    if op == "partition":
        return ("partition", [[node]])
    if op == "heal":
        return ("heal", [])
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(1, 6)), max_size=14))
def test_timeline_matches_a_reference_model_of_forking_history(
    ops: list[tuple[str, int]],
) -> None:
    tl = Timeline(Gossip, 3, seed=4)
    entries: list[tuple[Any, ...]] = []
    cursor = 0
    for op, arg in ops:
        position = sum(e[0] == "move" for e in entries[:cursor])
        if op == "step":
            for _ in range(tl.step(arg)):  # fewer when nothing is pending (all crashed)
                if cursor == len(entries):
                    entries.append(("move", None))
                cursor = cursor_at(entries, position + 1)
                position += 1
        elif op in ("back", "goto"):
            horizon = sum(e[0] == "move" for e in entries)
            k = max(0, position - arg) if op == "back" else min(arg, horizon)
            tl.goto(k)
            cursor = cursor_at(entries, k)
        elif op == "fire":
            delivers = [e for e in tl.sim.pending() if e.kind == "deliver"]
            if not delivers:
                continue
            event_id = delivers[arg % len(delivers)].id
            tl.fire(event_id)
            entries[cursor:] = [("move", event_id)]
            cursor = len(entries)
        elif (action := model_action(tl.sim, op, arg)) is not None:
            tl.act(action[0], *action[1])
            entries[cursor:] = [("input", *action)]
            cursor = len(entries)
        digest = tl.sim.trace.digest()
        assert digest == build(entries[:cursor]).trace.digest(), (op, arg)
        here = tl.position
        tl.goto(0)  # revisiting a position (rebuild + redo) reproduces it
        tl.goto(here)
        assert tl.sim.trace.digest() == digest, (op, arg)
