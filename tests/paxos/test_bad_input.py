"""Bad input: each mistake raises a specific error naming the bad value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from consensus_lab.paxos import PaxosConfig, config_for, paxos_ids, paxos_sim, role_of
from consensus_lab.paxos.multi import MultiPaxosConfig, multipaxos_sim
from consensus_lab.paxos.scenarios import backoff_rows as backoff_experiment
from consensus_lab.paxos.scenarios import duel
from consensus_lab.paxos.workload import run_workload
from consensus_lab.sim import ConfigError, SimulationError

ALLOWED = "correct, forgetful-acceptor, amnesiac-acceptor, ignores-accepted"


def test_an_unknown_variant_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        paxos_sim(variant="optimistic")
    assert str(caught.value) == f"unknown Paxos variant 'optimistic'; choose one of: {ALLOWED}"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"acceptors": 0}, "acceptors must be an int >= 1, got 0"),
    ({"proposers": 0}, "proposers must be an int >= 1, got 0"),
    ({"learners": -1}, "learners must be an int >= 0, got -1"),
    ({"acceptors": "3"}, "acceptors must be an int >= 1, got '3'"),
    ({"acceptors": True}, "acceptors must be an int >= 1, got True"),
    ({"values": ["x"]}, "values must give one non-None value per proposer (2), got ['x']"),
    ({"values": {"p7": "x"}}, "values given for unknown proposers ['p7']; proposers: p1, p2"),
    ({"backoff": -1}, "backoff must be True, False or a maximum wait in ticks >= 0, got -1"),
    ({"backoff": "yes"},
     "backoff must be True, False or a maximum wait in ticks >= 0, got 'yes'"),
])
def test_bad_cluster_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        paxos_sim(**kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"retry_timeout": 0}, "retry_timeout must be an int >= 1, got 0"),
    ({"retry_after": -1}, "retry_after must be an int >= 0, got -1"),
    ({"backoff_max": 1.5}, "backoff_max must be an int >= 0, got 1.5"),
    ({"learner_poll": -5}, "learner_poll must be an int >= 0, got -5"),
])
def test_bad_timings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PaxosConfig(**kwargs)
    assert str(caught.value) == message


def test_an_unknown_config_field_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown PaxosConfig field in \['retry_afterr'\]"):
        config_for("correct", retry_afterr=3)


def test_a_node_id_must_name_a_role() -> None:
    with pytest.raises(ConfigError) as caught:
        role_of("x1")
    assert str(caught.value) == ("node id 'x1' names no Paxos role; ids start with 'a' "
                                 "(acceptor), 'p' (proposer) or 'l' (learner)")
    assert paxos_ids(1, 1, 0) == ("a1", "p1")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"election_timeout": (300, 150)},
     "election_timeout must be (low, high) with 0 < low <= high, got (300, 150)"),
    ({"heartbeat_interval": 200}, "heartbeat_interval must be in (0, 150), got 200"),
    ({"window": 0}, "window must be an int >= 1, got 0"),
    ({"resend_interval": 0}, "resend_interval must be an int >= 1, got 0"),
])
def test_bad_multipaxos_config(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MultiPaxosConfig(**kwargs)
    assert str(caught.value) == message


def test_multipaxos_needs_servers() -> None:
    with pytest.raises(ConfigError, match="a simulation needs at least one node, got 0"):
        multipaxos_sim(0)


def test_bad_experiment_arguments() -> None:
    with pytest.raises(SimulationError, match="horizon must be an int >= 1 .*got 0"):
        duel(horizon=0)
    with pytest.raises(SimulationError, match="at least one seed and one horizon"):
        backoff_experiment(seeds=[])
    sim = multipaxos_sim(3)
    before = len(sim.history)
    with pytest.raises(SimulationError) as caught:
        run_workload(sim, "n1", 5, "zigzag")
    assert str(caught.value) == "unknown workload 'zigzag'; choose one of: sequential, burst"
    with pytest.raises(SimulationError, match="commands must be an int >= 1, got 0"):
        run_workload(sim, "n1", 0)
    assert len(sim.history) == before  # nothing half-applied: no request was sent
