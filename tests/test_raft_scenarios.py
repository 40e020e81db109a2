"""The scripted Raft experiments of notebooks 05-07, and the Raft player.

These are the notebooks' claims, as tests: a narrow election timeout splits
votes; the fast-backup hint saves round trips; turning off the election
restriction or the current-term commit rule loses a committed entry (and
with the rules on, the same schedules are safe); a failing run replays in
the player step for step.
"""

from __future__ import annotations

import pytest

from consensus_lab.raft import LEADER, RaftConfig, raft_cluster
from consensus_lab.raft.scenarios import (
    Figure8,
    ViolationLog,
    catch_up,
    first_election,
    leader_id,
    lose_committed_entry,
    raft,
    run_until,
    search_seeds,
    settle_leader,
    submit_to_leader,
)
from consensus_lab.sim import InvariantViolation, SimulationError
from consensus_lab.widgets import raft_player


# ------------------------------------------------------------------- elections
def test_first_election_counts_rounds_candidacies_and_vote_messages() -> None:
    e = first_election(1)
    assert (e.leader, e.term, e.elected_at, e.candidacies, e.vote_messages) == (
        "n2", 1, 178, 1, 8)
    assert first_election(1) == e


def test_a_narrow_election_timeout_splits_votes() -> None:
    narrow = RaftConfig(election_timeout=(150, 155))
    wide = [first_election(seed).term for seed in range(20)]
    split = [first_election(seed, config=narrow).term for seed in range(20)]
    assert max(wide) == 1
    assert sum(split) / len(split) > 3 and max(split) > 5


# -------------------------------------------------------------------- catch-up
def test_the_fast_backup_hint_saves_round_trips() -> None:
    fast, slow = catch_up(True), catch_up(False)
    assert (fast.rejections, fast.append_entries) == (1, 2)
    assert slow.rejections >= 50 and slow.took_ms > 10 * fast.took_ms
    for run in (fast, slow):
        logs = {str(raft(run.sim, n).log) for n in run.sim.node_ids}
        assert len(logs) == 1  # every log equal at the end


# ------------------------------------------------------------ safety scenarios
def test_without_the_election_restriction_seed_0_loses_committed_entries() -> None:
    with pytest.raises(InvariantViolation, match="leader completeness") as caught:
        lose_committed_entry(0, election_restriction=False)
    assert "but leader n3 of term 2 lacks it" in caught.value.message


def test_with_the_election_restriction_the_schedule_is_safe() -> None:
    outcomes = search_seeds(lambda s: lose_committed_entry(s, election_restriction=True),
                            range(15))
    assert not any(o.violated for o in outcomes)
    sim = lose_committed_entry(0, election_restriction=True)
    survivors = [n for n in sim.node_ids if n not in sim.crashed]
    assert all(raft(sim, n).commit_index == 3 for n in survivors)


def test_search_seeds_reports_each_seeds_violation() -> None:
    outcomes = search_seeds(lose_committed_entry, range(6))
    assert [o.seed for o in outcomes] == list(range(6))
    assert outcomes[0].violated and isinstance(outcomes[0].violation, InvariantViolation)
    assert 3 <= sum(o.violated for o in outcomes) < 6


def test_figure8_with_the_buggy_commit_rule_overwrites_a_committed_entry() -> None:
    f8 = Figure8(commit_current_term_only=False)
    f8.a()
    assert raft(f8.sim, "n1").current_term == 2 and raft(f8.sim, "n2").log.term_at(2) == 2
    f8.b()
    assert f8.sim.crashed == {"n1", "n5"}
    f8.c()
    n1 = raft(f8.sim, "n1")
    assert (n1.role, n1.current_term, n1.commit_index) == (LEADER, 4, 2)  # by counting
    assert f8.log.found == []
    f8.d()
    assert raft(f8.sim, "n5").current_term == 5
    assert all(raft(f8.sim, n).log.term_at(2) == 3 for n in ("n2", "n3", "n4", "n5"))
    assert f8.log.names() == ["leader completeness", "state machine safety"]


def test_figure8_with_the_correct_rule_loses_nothing() -> None:
    f8 = Figure8()
    f8.a()
    f8.b()
    f8.c()
    assert raft(f8.sim, "n1").commit_index == 0  # index 2 is of term 2: not counted
    f8.d()
    assert f8.log.found == []
    e8 = Figure8()
    e8.a()
    e8.b()
    e8.c()
    assert e8.e() is False  # n5 cannot win once index 3 (term 4) is on a majority
    assert e8.log.found == []
    assert all(raft(e8.sim, n).commit_index == 3 for n in ("n2", "n3", "n4"))


def test_violation_log_records_instead_of_raising() -> None:
    sim = raft_cluster(3, seed=0, config=RaftConfig(election_restriction=False),
                       invariants=False)
    log = ViolationLog().install(sim)
    settle_leader(sim)
    assert log.found == [] and log.names() == []


# ------------------------------------------------------------------ the player
def test_a_violation_found_by_search_replays_in_the_player() -> None:
    try:
        lose_committed_entry(0)
    except InvariantViolation as found:
        violation = found
    player = raft_player(3, seed=0, config=RaftConfig(election_restriction=False), views=(),
                         logs=False)
    player.load(violation.choices["inputs"])
    player.goto(violation.step)
    assert player.violation is not None
    assert player.violation.message == violation.message
    assert player.sim.trace.digest() == violation.trace.digest()
    player.back()
    assert player.violation is None


def test_figure8_replays_in_the_player() -> None:
    f8 = Figure8(commit_current_term_only=False)
    f8.a()
    f8.b()
    f8.c()
    f8.d()
    player = raft_player(5, seed=0, config=f8.config, views=(), logs=False)
    player.load(f8.sim.choices["inputs"])
    assert player.position == f8.sim.steps and player.sim.now == f8.sim.now
    assert {n: str(raft(player.sim, n).log) for n in ("n2", "n3", "n4", "n5")} == {
        n: str(raft(f8.sim, n).log) for n in ("n2", "n3", "n4", "n5")}
    assert player.violation is not None and player.violation.name == "leader completeness"
    assert player.violation.step == f8.log.found[0].step


def test_raft_player_shows_logs_terms_and_sends_client_commands_to_the_leader() -> None:
    player = raft_player(3, seed=2, setup=settle_leader, terms=True, views=("cluster",),
                         clients={"SET X=5": ("X", 5)})
    assert "cl-raft-logs" in player.w["view-logs"].value
    assert "cl-term-timeline" in player.w["view-terms"].value
    player.press("SET X=5")
    assert [op.type for op in player.sim.history] == ["invoke"]
    player.step(20)
    assert raft(player.sim, "n3").store.data == {"X": 5}
    assert "put X=5" in player.w["view-logs"].value


def test_submit_to_leader_falls_back_to_a_live_node() -> None:
    sim = raft_cluster(3, seed=2)
    assert leader_id(sim) is None
    sim.crash("n1")
    assert submit_to_leader(sim, "put", key="X", value=1) == "n2"
    with pytest.raises(SimulationError, match="condition not reached within 5 steps"):
        run_until(sim, lambda s: False, max_steps=5)
