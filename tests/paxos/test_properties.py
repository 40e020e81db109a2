"""The three properties of consensus as checks on runs (consensus_lab.paxos.properties).

Each check must be able to fail: agreement on a buggy variant's scripted
schedule, validity on a run whose proposers' values are tampered with,
termination on a crashed majority — while correct runs pass all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from consensus_lab.paxos import decided, learners_of, paxos_sim, proposers_of
from consensus_lab.paxos.properties import (
    LIVENESS,
    PROPERTIES,
    SAFETY,
    check_agreement,
    check_termination,
    check_validity,
    consensus_properties,
    decided_at,
    decisions,
)
from consensus_lab.paxos.scenarios import (
    ScheduleResult,
    amnesia,
    forgotten_promise,
    ignored_accepted_value,
)
from consensus_lab.viz.experiments import properties_table


def test_a_correct_run_passes_all_three_and_names_the_value() -> None:
    """Two proposers, seed 1: one value chosen, every learner decided it."""
    sim = paxos_sim(3, 2, 1, seed=1)
    sim.run(until=decided, max_steps=5_000)
    verdicts = consensus_properties(sim)
    assert [v.name for v in verdicts] == list(PROPERTIES)
    assert all(v.holds for v in verdicts), [str(v) for v in verdicts]
    value = sim.nodes["l1"].learned  # type: ignore[union-attr]
    assert repr(value) in verdicts[0].why and repr(value) in verdicts[1].why
    assert verdicts[2].why == f"every live learner decided by t={decided_at(sim)}"
    assert [v.kind for v in verdicts] == [SAFETY, SAFETY, LIVENESS]


@pytest.mark.parametrize(("schedule", "variant"), [
    (ignored_accepted_value, "ignores-accepted"),
    (forgotten_promise, "forgetful-acceptor"),
    (amnesia, "amnesiac-acceptor"),
])
def test_agreement_fails_on_each_buggy_schedule_and_holds_on_correct_paxos(
        schedule: Callable[[str], ScheduleResult], variant: str) -> None:
    """The broken rule chooses v-p1 and v-p2: agreement is violated and names both."""
    broken = check_agreement(schedule(variant).sim)
    assert not broken.holds and "'v-p1'" in broken.why and "'v-p2'" in broken.why
    assert check_agreement(schedule("correct").sim).holds


def test_agreement_also_compares_what_the_nodes_decided() -> None:
    """A learner that decided a value other than the chosen one breaks agreement too."""
    sim = paxos_sim(3, 1, 1, seed=0)
    sim.run(until=decided, max_steps=5_000)
    learner = learners_of(sim)[0]
    learner.state = replace(learner.state, learned="something else")  # a broken learner
    verdict = check_agreement(sim)
    assert not verdict.holds and "l1='something else'" in verdict.why


def test_validity_fails_when_a_decided_value_was_never_proposed() -> None:
    """Validity reads the decisions: a learner that decided an unproposed value fails it."""
    sim = paxos_sim(3, 1, 1, seed=0)
    sim.run(until=decided, max_steps=5_000)
    assert check_validity(sim).holds
    learner = learners_of(sim)[0]
    learner.state = replace(learner.state, learned=0)  # "always decide 0"
    verdict = check_validity(sim)
    assert not verdict.holds and verdict.why == "l1 decided 0, which no proposer proposed"


def test_a_crashed_majority_breaks_termination_but_not_safety() -> None:
    """a1 and a2 down: nothing chosen by t=1000 (not yet), agreement and validity hold;
    after a restart termination holds."""
    sim = paxos_sim(3, 2, 1, seed=1)
    sim.crash("a1")
    sim.crash("a2")
    sim.run(until=1_000)
    agreement, validity, termination = consensus_properties(sim)
    assert agreement.holds and validity.holds
    assert not termination.holds
    assert termination.why == "not yet: l1 had learned nothing at t=1000"
    sim.restart("a2")
    sim.run(until=decided, max_steps=10_000)
    assert check_termination(sim).holds


def test_termination_without_a_live_learner_or_without_learners() -> None:
    """A crashed learner cannot decide; a cluster with no learner has nobody to decide."""
    sim = paxos_sim(3, 1, 1, seed=0)
    sim.crash("l1")
    sim.run(until=100)
    assert check_termination(sim).why == "no live learner at t=100"
    none = paxos_sim(3, 1, 0, seed=0)
    none.run(until=100)
    assert not check_termination(none).holds
    assert check_termination(none).why == "the cluster has no learner to decide"


def test_decisions_lists_learners_and_done_proposers() -> None:
    sim = paxos_sim(3, 2, 1, seed=1)
    sim.run(until=lambda s: decided(s) and all(p.phase == "done" for p in proposers_of(s)),
            max_steps=5_000)
    found = decisions(sim)
    assert set(found) == {"l1", "p1", "p2"} and len(set(found.values())) == 1


def test_properties_table_has_a_row_per_run_and_a_mark_per_property() -> None:
    good = paxos_sim(3, 1, 1, seed=0)
    good.run(until=decided, max_steps=5_000)
    bad = ignored_accepted_value().sim
    table = properties_table({"good": good, "bad": bad})
    assert list(table.index) == ["good", "bad"]
    assert table.loc["good", "agreement"] == "✓" and table.loc["bad", "agreement"] == "✗"
    assert table.loc["bad", "agreement: why"].startswith("two values chosen")


def test_properties_table_refuses_an_empty_mapping() -> None:
    with pytest.raises(ValueError, match="at least one run, got an empty mapping"):
        properties_table({})
