"""The Paxos player (consensus_lab.widgets.paxos), driven without a browser.

The duel player must replay exactly the schedule of ``paxos.scenarios.duel``
(the adversary picks, time passes when it holds everything), keep doing so
when the learner goes back and forward, and show the ballots climbing with
nothing chosen; with backoff, or with the adversary switched off, a value is
chosen. The views read the nodes' real state.
"""

from __future__ import annotations

import pytest

from consensus_lab.paxos import decided, highest_round, learned
from consensus_lab.paxos.scenarios import (
    DUEL_NETWORK,
    adversary_pick,
    duel,
    duel_sim,
    forgotten_promise,
)
from consensus_lab.sim import ConfigError, Simulation
from consensus_lab.widgets.paxos import (
    PaxosPlayer,
    ballots_readout,
    ballots_rows,
    ballots_view,
    duel_player,
    paxos_label,
    paxos_node_lines,
    paxos_player,
)


def adversary_run(steps: int, seed: int = 0, backoff: bool | int = False) -> Simulation:
    """The duel's schedule, driven directly: the adversary's pick, else the next event."""
    sim = duel_sim(seed, backoff)
    for _ in range(steps):
        pick = adversary_pick(sim)
        if pick is None:
            sim.step()
        else:
            sim.fire(pick.id)
    return sim


def test_duel_player_follows_the_adversary_step_for_step() -> None:
    """60 steps of the player = 60 steps of the adversary's schedule, same digest."""
    player = duel_player(seed=0, views=())
    assert player.step(60) == 60
    assert player.sim.trace.digest() == adversary_run(60).trace.digest()


def test_going_back_and_forward_replays_the_adversary_schedule() -> None:
    player = duel_player(seed=0, views=())
    player.step(40)
    player.back(15)
    assert player.position == 25 and player.horizon == 40
    assert player.sim.trace.digest() == adversary_run(25).trace.digest()
    player.step(15)  # redo the recorded moves
    assert player.sim.trace.digest() == adversary_run(40).trace.digest()
    player.goto(10)
    player.goto(40)
    assert player.sim.trace.digest() == adversary_run(40).trace.digest()


def test_without_backoff_ballots_climb_and_nothing_is_chosen() -> None:
    """The livelock as the ballots view reports it: rounds go up, chosen stays empty."""
    player = duel_player(seed=0, views=())
    rounds = []
    for _ in range(6):
        player.step(40)
        readout = ballots_readout(player.sim)
        rounds.append(readout["highest_round"])
        assert readout["chosen"] == () and readout["learned"] == {}
    assert rounds == sorted(rounds) and rounds[-1] >= rounds[0] + 10
    assert player.violation is None and player.error is None


def test_with_backoff_the_player_decides_when_duel_does() -> None:
    """Randomized backoff: the player's run decides at the same time as duel()'s."""
    result = duel(seed=3, backoff=True, horizon=500)
    player = duel_player(seed=3, backoff=True, views=())
    while not decided(player.sim) and player.step(1):
        pass
    assert result.decided and player.sim.now == result.decided_at
    assert list(learned(player.sim).values()) == [result.value]


def test_switching_the_adversary_off_lets_the_network_decide() -> None:
    """Untick the box: the plain network's time order ends the duel at once."""
    player = duel_player(seed=0, views=())
    player.step(30)
    player.w["adversary"].value = False
    assert player.adversary is False
    player.step(60)
    assert ballots_readout(player.sim)["chosen"] != ()
    player.set_adversary(True)
    assert player.w["adversary"].value is True


def test_a_learner_can_be_the_network_and_deliver_a_held_accept() -> None:
    """Fire p1's held Accepts out of turn, before p2's next Prepare: a value is chosen."""
    player = duel_player(seed=0, views=())
    while not any(type(e.msg).__name__ == "Accept" for e in player.sim.pending()):
        player.step(1)
    accepts = [e for e in player.sim.pending() if type(e.msg).__name__ == "Accept"]
    proposer = accepts[0].src
    for event in [e for e in accepts if e.src == proposer][:2]:
        player.fire(event.id)
    assert len(ballots_readout(player.sim)["chosen"]) == 1


def test_the_views_show_each_roles_state() -> None:
    player = duel_player(seed=0, views=())
    player.step(60)
    sim = player.sim
    lines = paxos_node_lines(sim, "a1")
    assert lines[0] == f"promised {sim.nodes['a1'].promised}"  # type: ignore[union-attr]
    assert paxos_node_lines(sim, "p2")[0].split()[0] in ("preparing", "accepting", "waiting")
    assert paxos_node_lines(sim, "l1") == ["learned \u2014"]
    html = ballots_view(sim)
    assert f'class="cl-paxos-round">{highest_round(sim)}<' in html
    assert 'class="cl-paxos-chosen">\u2014<' in html
    assert [r["node"] for r in ballots_rows(sim)] == list(sim.node_ids)


def test_a_crashed_node_shows_what_it_persisted() -> None:
    player = duel_player(seed=0, views=())
    player.step(20)
    promised = player.sim.nodes["a2"].promised  # type: ignore[union-attr]
    player.crash("a2")
    player.crash("p1")
    assert paxos_node_lines(player.sim, "a2") == [f"disk: promised {promised}"]
    assert paxos_node_lines(player.sim, "p1")[0].startswith("disk: round ")
    row = next(r for r in ballots_rows(player.sim) if r["node"] == "a2")
    assert row["status"] == "crashed" and row["promised"] == ""


def test_the_player_widget_has_the_ballots_view_and_the_adversary_box() -> None:
    player = paxos_player(seed=1, views=("cluster",))
    assert isinstance(player, PaxosPlayer) and player.adversary is False
    assert player.widget.children[0] is player.w["adversary"]
    assert "cl-adversary" in player.w["adversary"]._dom_classes
    player.step(10)
    assert "cl-paxos-readout" in player.w["view-ballots"].value
    assert "promised" in player.w["cluster"].value  # the node lines reach the diagram


def test_a_buggy_schedule_replayed_in_the_player_turns_the_status_red() -> None:
    """The forgetful acceptor's scripted schedule, loaded into the player: agreement is
    violated at the same step, and the status line says so (no exception escapes)."""
    script = forgotten_promise("forgetful-acceptor")
    player = paxos_player(seed=0, variant="forgetful-acceptor", network=DUEL_NETWORK,
                          views=())
    player.load(script.sim.choices["inputs"])
    assert player.violation is not None and player.violation.name == "agreement"
    assert player.violation.step == script.sim.steps
    assert "two values chosen" in player.w["status"].value
    assert ballots_readout(player.sim)["chosen"] == ("v-p1", "v-p2")


def test_paxos_player_refuses_bad_counts() -> None:
    with pytest.raises(ConfigError, match="acceptors must be an int >= 1, got 0"):
        paxos_player(0)


def test_space_time_labels_are_short_paxos_states() -> None:
    """Each role's state after an event, in a few characters; notes keep their text."""
    player = duel_player(seed=0, views=())
    player.step(60)
    labels = {(r.node, paxos_label(r)) for r in player.sim.trace}
    assert ("p1", "prepare ballot 4.p1") in labels  # a note: its detail
    assert ("p2", "waiting 3.p2") in labels and ("a1", "prom 4.p1") in labels
    done = paxos_player(3, 1, 1, seed=0, views=())
    done.step(40)
    labels = {(r.node, paxos_label(r)) for r in done.sim.trace if r.kind == "deliver"}
    assert ("a1", "acc 1.p1:v-p1") in labels and ("l1", "learned v-p1") in labels
