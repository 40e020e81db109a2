"""Timeouts and the known-buggy variants of the commit protocols.

A variant is a named set of switches on :class:`CommitConfig`, never a
copy of the code: a buggy variant runs the very same coordinator and
participants with one rule changed, so the scenarios, the invariants and
the model checker show that this one rule is what keeps the protocol
atomic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..sim import ConfigError

#: name -> one-line description of each 2PC variant (``twopc_sim(variant=...)``).
VARIANTS: dict[str, str] = {
    "correct": "two-phase commit with presumed abort (Gray 1978; BHG ch. 7)",
    "majority-commit": "the coordinator commits once a majority voted Yes, not all of them",
    "no-log-coordinator": "the coordinator sends Commit without logging it first; after a "
                          "crash it presumes abort",
    "forgetful-participant": "a participant does not log that it prepared; after a crash it "
                             "has forgotten its Yes and aborts",
    "commit-on-timeout": "an in-doubt participant that hears nothing decides commit on its own",
}

#: The switches each variant turns off (see the ``# buggy when False`` fields).
VARIANT_SWITCHES: dict[str, dict[str, bool]] = {
    "correct": {},
    "majority-commit": {"needs_every_yes": False},
    "no-log-coordinator": {"coordinator_logs_decision": False},
    "forgetful-participant": {"participant_logs_prepared": False},
    "commit-on-timeout": {"in_doubt_waits": False},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitConfig:
    """Timing (ticks of the node's local clock, 1 tick = 1 ms) and rule switches."""

    vote_timeout: int = 100  # coordinator: votes missing by then -> abort
    ask_after: int = 50  # in-doubt participant: ask for the decision this often
    ack_timeout: int = 100  # 3PC coordinator: Acks missing by then -> commit anyway (Skeen)
    coordinator_timeout: int = 150  # 3PC participant: coordinator silent -> termination protocol
    collect_after: int = 40  # 3PC backup: wait this long for StateReports / Acks
    decide_after: int = 120  # replicated 2PC: a replica with no decision by then proposes one
    needs_every_yes: bool = True  # buggy when False (majority-commit)
    coordinator_logs_decision: bool = True  # buggy when False (no-log-coordinator)
    participant_logs_prepared: bool = True  # buggy when False (forgetful-participant)
    in_doubt_waits: bool = True  # buggy when False (commit-on-timeout)

    def __post_init__(self) -> None:
        for name in ("vote_timeout", "ask_after", "ack_timeout", "coordinator_timeout",
                     "collect_after", "decide_after"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be an int >= 1 (ticks), got {value!r}")


def check_variant(variant: str) -> str:
    """``variant`` if it is known; else a ConfigError naming the allowed ones."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown 2PC variant {variant!r}; choose one of: "
                          f"{', '.join(VARIANTS)}")
    return variant


def config_for(variant: str = "correct", **overrides: Any) -> CommitConfig:
    """The config of ``variant`` with any field overridden."""
    switches = VARIANT_SWITCHES[check_variant(variant)]
    try:
        return replace(CommitConfig(), **switches, **overrides)
    except TypeError as error:
        raise ConfigError(f"unknown CommitConfig field in {sorted(overrides)}: {error}") from None
