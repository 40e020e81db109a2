"""Bad input: a clear error naming the bad value and what is allowed."""

from __future__ import annotations

import pytest

from consensus_lab.commit import (
    CommitConfig,
    commit_sim,
    config_for,
    coordinator_crash,
    run_saga,
    saga_sim,
)
from consensus_lab.explore import get_spec
from consensus_lab.sim import ConfigError


@pytest.mark.parametrize(("call", "match"), [
    (lambda: commit_sim("4pc"), "unknown commit protocol '4pc'.*2pc, 3pc, replicated"),
    (lambda: commit_sim(participants=0), "participants must be an int from 1 to 9, got 0"),
    (lambda: commit_sim(no_voters=["p7"]), r"no such participant\(s\) \['p7'\]"),
    (lambda: commit_sim(no_voters=["c1"]), r"no such participant\(s\) \['c1'\]"),
    (lambda: commit_sim(variant="lazy"), "unknown 2PC variant 'lazy'; choose one of: correct"),
    (lambda: config_for(speed=3), "unknown CommitConfig field"),
    (lambda: CommitConfig(vote_timeout=0), "vote_timeout must be an int >= 1"),
    (lambda: coordinator_crash(when="later"), "unknown crash point 'later'"),
    (lambda: coordinator_crash(down_for=0), "down_for must be an int >= 1"),
    (lambda: saga_sim(steps=9), "steps must be an int from 1 to 5, got 9"),
    (lambda: run_saga(3, fail_step=4), "fail_step must be None or a step from 1 to 3, got 4"),
    (lambda: get_spec("2pc", "nope"), "unknown 2pc variant 'nope'; allowed: correct"),
])
def test_bad_input(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
