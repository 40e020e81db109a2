"""Scenario tests for single-decree Paxos: whole runs with a fixed script.

Normal runs, crashes, the restart that must not forget, the duel with and
without backoff (FLP made visible) and the scripted schedules in which each
buggy variant chooses two values while correct Paxos chooses one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consensus_lab.paxos import (
    ACCEPTING,
    DONE,
    Accept,
    Ballot,
    Prepare,
    Promise,
    agreement,
    chosen_record,
    chosen_values,
    decided,
    learned,
    paxos_sim,
    proposers_of,
    validity,
)
from consensus_lab.paxos.scenarios import (
    ScheduleResult,
    adversary_pick,
    amnesia,
    deliver,
    duel,
    duel_sim,
    fire_timer,
    forgotten_promise,
    ignored_accepted_value,
)
from consensus_lab.sim import Network, SimulationError
from consensus_lab.viz.experiments import backoff_experiment


def test_a_normal_run_chooses_one_value_and_every_learner_learns_it() -> None:
    """Two proposers, three acceptors, two learners, no faults: exactly one of the
    proposed values is chosen, both learners learn it, both proposers end DONE with it."""
    sim = paxos_sim(3, 2, 2, seed=4)
    sim.run(until=lambda s: len(learned(s)) == 2 and all(
        p.phase == DONE for p in proposers_of(s)), max_steps=5_000)
    values = chosen_values(sim)
    assert len(values) == 1 and values[0] in ("v-p1", "v-p2")
    assert learned(sim) == {"l1": values[0], "l2": values[0]}
    assert {p.chosen for p in proposers_of(sim)} == {values[0]}
    assert agreement(sim) is None and validity(sim) is None and decided(sim)


def test_a_single_proposer_gets_its_own_value_in_one_ballot() -> None:
    """No competition: one Prepare round and one Accept round, the value is its own."""
    sim = paxos_sim(5, 1, 1, seed=1, values=["only"])
    sim.run(until=decided, max_steps=1_000)
    assert learned(sim) == {"l1": "only"}
    assert proposers_of(sim)[0].ballots_tried == 1
    assert sim.sent_by_type == {"Prepare": 5, "Promise": 5, "Accept": 5, "Accepted": 10}


def test_a_crashed_minority_of_acceptors_does_not_stop_the_choice() -> None:
    """A majority is enough: with 2 of 5 acceptors down from the start, a value is
    still chosen (by the 3 that are up)."""
    sim = paxos_sim(5, 2, 1, seed=2)
    sim.crash("a1")
    sim.crash("a4")
    sim.run(until=decided, max_steps=20_000)
    record = chosen_record(sim)
    assert len(chosen_values(sim)) == 1
    assert all(voters == frozenset({"a2", "a3", "a5"})
               for _, voters in record.accepted_by.values() if len(voters) >= 3)


def test_a_crashed_majority_blocks_until_one_comes_back() -> None:
    """With 2 of 3 acceptors down nothing can be chosen (safety over liveness); a
    restart of one of them lets the retries through."""
    sim = paxos_sim(3, 1, 1, seed=3)
    sim.crash("a1")
    sim.crash("a2")
    sim.run(until=1_000)
    assert not decided(sim) and chosen_values(sim) == []
    assert proposers_of(sim)[0].ballots_tried > 5  # it kept trying after each timeout
    sim.restart("a2")
    sim.run(until=decided, max_steps=10_000)
    assert learned(sim) == {"l1": "v-p1"}


def test_a_proposer_crashing_after_phase_1_leaves_a_value_the_next_one_adopts() -> None:
    """p1 finishes phase 1, gets its value accepted by one acceptor only, and crashes.
    p2's higher ballot finds that accepted value among its promises (if the one
    acceptor is in its majority) or none; either way exactly one value is chosen —
    here p2's majority includes a1, so p2 must propose v-p1 (P2c)."""
    sim = paxos_sim(3, 2, 1, seed=0, network=Network(latency=(10, 10)))
    fire_timer(sim, "p1")
    for a in ("a1", "a2", "a3"):
        deliver(sim, Prepare, "p1", a)
    for a in ("a1", "a2"):
        deliver(sim, Promise, a, "p1")
    assert proposers_of(sim)[0].phase == ACCEPTING
    deliver(sim, Accept, "p1", "a1")
    sim.crash("p1")
    fire_timer(sim, "p2")
    for a in ("a1", "a2"):
        deliver(sim, Prepare, "p2", a)
        deliver(sim, Promise, a, "p2")
    p2 = proposers_of(sim)[0]
    assert p2.node_id == "p2" and p2.proposed == "v-p1"
    sim.run(until=decided, max_steps=5_000)
    assert learned(sim) == {"l1": "v-p1"} and chosen_values(sim) == ["v-p1"]


def test_a_restarted_proposer_never_reuses_a_ballot() -> None:
    """p1 crashes after preparing ballot 1.p1 and restarts: its next ballot is 2.p1,
    read back from disk, not 1.p1 again (which might carry another value)."""
    sim = paxos_sim(3, 1, 1, seed=0, network=Network(latency=(10, 10)))
    fire_timer(sim, "p1")
    sim.crash("p1")
    sim.restart("p1")
    fire_timer(sim, "p1")
    prepares = [e.msg.ballot for e in sim.pending() if isinstance(e.msg, Prepare)]
    assert sorted({str(x) for x in prepares}) == ["1.p1", "2.p1"]


@pytest.mark.parametrize(("schedule", "variant"), [
    (ignored_accepted_value, "ignores-accepted"),
    (forgotten_promise, "forgetful-acceptor"),
    (amnesia, "amnesiac-acceptor"),
])
def test_each_buggy_variant_chooses_two_values_on_its_schedule(
        schedule: Callable[[str], ScheduleResult], variant: str) -> None:
    """The classic schedules: the broken rule lets a second value be chosen, and the
    agreement invariant (reading the acceptors) stops the run at that event. The same
    schedule on correct Paxos chooses one value."""
    broken = schedule(variant)
    assert broken.violation is not None and broken.violation.startswith("agreement: two values")
    assert sorted(broken.chosen) == ["v-p1", "v-p2"]
    correct = schedule("correct")
    assert correct.violation is None and len(correct.chosen) == 1


def test_restart_keeps_promises_and_accepted_values() -> None:
    """The amnesia schedule on correct Paxos: a2 crashed after accepting v-p1 and still
    reports it after the restart, so p2 proposes v-p1 again."""
    result = amnesia("correct")
    assert result.chosen == ("v-p1",)
    assert result.sim.nodes["a2"].accepted[1] == "v-p1"  # type: ignore[union-attr]
    assert result.sim.stored("a2")["accepted"][1] == "v-p1"


def test_the_duel_without_backoff_never_decides_and_ballots_keep_growing() -> None:
    """FLP made visible: under the fair adversary, proposers that retry after a fixed
    wait preempt each other for ever — nothing decided within the horizon, and the
    highest ballot round climbs steadily (about one round per 3 ms)."""
    result = duel(seed=0, backoff=False, horizon=600)
    assert not result.decided and result.value is None
    rounds = [r for _, r in result.rounds_over_time]
    assert rounds == sorted(rounds) and rounds[-1] > rounds[1] > 0
    assert result.highest_round > 150 and result.ballots > 150
    assert duel(seed=9, backoff=False, horizon=600).digest == result.digest  # no randomness


def test_randomized_backoff_ends_the_duel() -> None:
    """The same adversary with randomized backoff: the desynchronized retry lets a
    held Accept land, and a value is decided within 100 ms on every seed tried."""
    for seed in range(10):
        result = duel(seed=seed, backoff=True, horizon=100)
        assert result.decided and result.value in ("v-p1", "v-p2"), str(result)
        assert result.decided_at is not None and result.decided_at <= 100


def test_the_adversary_hurries_phase_1_and_doomed_accepts_and_holds_the_rest() -> None:
    """The adversary's rule: a Prepare, Promise or Nack is delivered at once; an Accept
    at once only if its acceptor already promised a higher ballot (it will be refused);
    an Accept that could succeed waits for the network's latency bound."""
    sim = duel_sim(0, backoff=False)
    fire_timer(sim, "p1")
    pick = adversary_pick(sim)
    assert pick is not None and isinstance(pick.msg, Prepare)
    for a in ("a1", "a2", "a3"):
        deliver(sim, Prepare, "p1", a)
        deliver(sim, Promise, a, "p1")
    assert {type(e.msg) for e in sim.pending() if e.kind == "deliver"} == {Accept}
    assert adversary_pick(sim) is None  # p1's Accepts could all succeed: held
    fire_timer(sim, "p2")
    deliver(sim, Prepare, "p2", "a1")  # a1 now promised 1.p2 > 1.p1
    deliver(sim, Promise, "a1", "p2")
    pick = adversary_pick(sim)
    assert pick is not None and pick.node == "a1" and pick.msg == Accept(
        ballot=Ballot(1, "p1"), value="v-p1")


def test_backoff_experiment_reports_probability_of_deciding_by_each_horizon() -> None:
    """P(decided within T): 0 for every T without backoff; monotone in T with it."""
    frame = backoff_experiment(range(6), horizons=(25, 60), backoffs=(False, 20),
                               doublings=(4,))
    off = frame[frame.backoff_max == 0]
    on = frame[frame.backoff_max == 20]
    assert list(off.p_decided) == [0.0, 0.0] and list(off.runs) == [6, 6]
    assert list(on.p_decided) == sorted(on.p_decided) and on.p_decided.iloc[-1] == 1.0
    assert set(frame.columns) >= {"backoff_max", "doublings", "horizon", "runs", "decided",
                                  "p_decided", "mean_decided_at", "mean_ballots"}


def test_same_seed_same_trace_digest() -> None:
    """Determinism: a run is its seed."""
    digests = set()
    for _ in range(2):
        sim = paxos_sim(seed=11, network=Network(latency=(1, 20), drop=0.2))
        sim.run(until=2_000)
        digests.add(sim.trace.digest())
    assert len(digests) == 1


def test_deliver_names_what_is_pending_when_nothing_matches() -> None:
    sim = paxos_sim(seed=0)
    with pytest.raises(SimulationError, match="no pending Accept p1->a1; pending:"):
        deliver(sim, Accept, "p1", "a1")
