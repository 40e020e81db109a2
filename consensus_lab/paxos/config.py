"""Timeouts, the backoff switch and the buggy variants of single-decree Paxos.

A variant is a named set of switches on :class:`PaxosConfig`, never a copy
of the code: the buggy variants run the very same roles with one rule
turned off, so a learner (and the model checker) sees that one rule is what
keeps two values from being chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..sim import ConfigError

ACCEPTOR, PROPOSER, LEARNER = "acceptor", "proposer", "learner"
ROLE_PREFIXES = {"a": ACCEPTOR, "p": PROPOSER, "l": LEARNER}

#: name -> one-line description of each variant (``paxos_sim(variant=...)``).
VARIANTS: dict[str, str] = {
    "correct": "Paxos Made Simple as written",
    "forgetful-acceptor": "acceptors accept any Accept, even one below the ballot they "
                          "promised (breaks the promise of phase 1)",
    "amnesiac-acceptor": "acceptors keep promises and accepted values in memory only, so a "
                         "restart forgets them",
    "ignores-accepted": "a proposer proposes its own value even when a Promise reports an "
                        "accepted one (breaks rule P2c)",
}

#: The switches each variant turns off (see the ``# buggy when False`` fields).
VARIANT_SWITCHES: dict[str, dict[str, bool]] = {
    "correct": {},
    "forgetful-acceptor": {"acceptor_keeps_promise": False},
    "amnesiac-acceptor": {"acceptor_persists": False},
    "ignores-accepted": {"proposer_adopts_accepted": False},
}

#: ``backoff=True`` means this maximum random extra wait (ticks) after a Nack.
DEFAULT_BACKOFF = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class PaxosConfig:
    """Timing (ticks of the node's local clock) and rule switches of every role."""

    start_after: int = 0  # a proposer's first Prepare, after its start
    retry_after: int = 3  # wait after a Nack before preparing a higher ballot
    retry_timeout: int = 100  # no majority answered by then: prepare a higher ballot
    backoff_max: int = 0  # 0 = no backoff; else add a random wait in [0, backoff_max * 2**k]
    backoff_doublings: int = 4  # k = consecutive Nacks - 1, capped here (exponential backoff)
    learner_poll: int = 200  # a learner that has not learned asks again (0 = never)
    acceptor_keeps_promise: bool = True  # buggy when False (forgetful-acceptor)
    acceptor_persists: bool = True  # buggy when False (amnesiac-acceptor)
    proposer_adopts_accepted: bool = True  # buggy when False (ignores-accepted, P2c)

    def __post_init__(self) -> None:
        for name in ("start_after", "retry_after", "backoff_max", "backoff_doublings",
                     "learner_poll"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be an int >= 0, got {value!r}")
        if not isinstance(self.retry_timeout, int) or self.retry_timeout < 1:
            raise ConfigError(f"retry_timeout must be an int >= 1, got {self.retry_timeout!r}")


def check_variant(variant: str) -> str:
    """``variant`` if it is known; else a ConfigError naming the allowed ones."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown Paxos variant {variant!r}; choose one of: "
                          f"{', '.join(VARIANTS)}")
    return variant


def backoff_ticks(backoff: bool | int) -> int:
    """``backoff`` as a maximum wait: False -> 0, True -> DEFAULT_BACKOFF, an int as is."""
    if isinstance(backoff, bool):
        return DEFAULT_BACKOFF if backoff else 0
    if isinstance(backoff, int) and backoff >= 0:
        return backoff
    raise ConfigError(f"backoff must be True, False or a maximum wait in ticks >= 0, "
                      f"got {backoff!r}")


def config_for(variant: str = "correct", *, backoff: bool | int = True,
               **overrides: Any) -> PaxosConfig:
    """The config of ``variant`` with ``backoff`` and any other field overridden."""
    switches = VARIANT_SWITCHES[check_variant(variant)]
    try:
        return replace(PaxosConfig(), backoff_max=backoff_ticks(backoff), **switches,
                       **overrides)
    except TypeError as error:
        raise ConfigError(f"unknown PaxosConfig field in {sorted(overrides)}: {error}") from None


def role_of(node_id: str) -> str:
    """The role a node id names by its first letter: a… acceptor, p… proposer, l… learner."""
    role = ROLE_PREFIXES.get(node_id[:1])
    if role is None:
        raise ConfigError(f"node id {node_id!r} names no Paxos role; ids start with "
                          "'a' (acceptor), 'p' (proposer) or 'l' (learner)")
    return role


def ids_of(role: str, node_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The ids among ``node_ids`` that have ``role`` (sorted)."""
    return tuple(sorted(i for i in node_ids if role_of(i) == role))


def majority(n: int) -> int:
    """The size of a majority of ``n`` acceptors: any two such sets intersect."""
    return n // 2 + 1
