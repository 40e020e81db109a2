"""The learner of single-decree Paxos: finds out which value was chosen, as a step function.

Rule (Paxos Made Simple, §2.3): a value is chosen when a majority of the
acceptors have accepted one proposal — the same ballot — carrying it. Each
acceptor tells every learner what it accepts; the learner counts, per
ballot, the acceptors that have accepted it. Since messages can be lost, a
learner that has not learned asks the acceptors again (``Query``) every
``learner_poll`` ticks. A learner keeps nothing on disk: it can ask again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sim.step import (
    CancelTimer,
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Send,
    StepProtocol,
    Value,
    frozen,
    timer,
)
from .ballot import Ballot
from .config import ACCEPTOR, PaxosConfig, ids_of, majority
from .messages import Accepted, Query
from .node import RoleNode, StateField

#: The rules each effect of a learner carries out.
LEARN = ("PMS §2.3: a learner finds out a value is chosen once a majority of acceptors "
         "have accepted the same proposal")
POLL = ("PMS §2.3: messages can be lost, so a learner that has not learned asks the "
        "acceptors again what they accepted")
POLL_STOP = "PMS §2.3: a learner that has learned the chosen value stops asking"

#: One ballot's count: ``(ballot, value, acceptors that accepted it)``.
Votes = tuple[tuple[Ballot, Any, frozenset[str]], ...]


@frozen
class LearnerState(Value):
    """The votes heard per ballot and, once a majority agrees, the learned value
    (all volatile)."""

    votes: Votes = ()
    learned: Any = None
    learned_ballot: Ballot | None = None


class LearnerProtocol(StepProtocol[LearnerState]):
    """Counting Accepted per ballot as a pure function; shared by every learner."""

    __slots__ = ("config", "acceptors", "quorum")

    def __init__(self, config: PaxosConfig | None = None,
                 acceptors: tuple[str, ...] = ()) -> None:
        self.config = config or PaxosConfig()
        self.acceptors = tuple(acceptors)
        self.quorum = majority(len(self.acceptors))

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[LearnerState, Effects]:
        """Start polling (learners keep nothing on disk)."""
        poll = self.config.learner_poll
        return LearnerState(), ((timer("poll", poll, POLL),) if poll else ())

    def step(self, state: LearnerState, event: Input) -> tuple[LearnerState, Effects]:
        """An acceptor's Accepted counts towards its ballot; ``poll`` asks again."""
        if isinstance(event, Deliver):
            if isinstance(event.msg, Accepted) and event.src in self.acceptors:
                return self.on_accepted(state, event.src, event.msg)
        elif isinstance(event, Fire) and event.name == "poll" and state.learned_ballot is None:
            return state, (*(Send(a, Query(), POLL) for a in self.acceptors),
                           timer("poll", self.config.learner_poll, POLL))
        return state, ()

    def on_accepted(self, state: LearnerState, src: str,
                    msg: Accepted) -> tuple[LearnerState, Effects]:
        """A majority of acceptors accepted the same ballot: its value is chosen (§2.3)."""
        votes, value, voters = _vote(state.votes, msg.ballot, msg.value, src)
        if state.learned_ballot is not None or len(voters) < self.quorum:
            return LearnerState(votes, state.learned, state.learned_ballot), ()
        return LearnerState(votes, value, msg.ballot), (
            CancelTimer("poll", POLL_STOP),
            Note(f"learned {value} (ballot {msg.ballot}, from {', '.join(sorted(voters))})",
                 LEARN))

    def view(self, state: LearnerState) -> dict[str, Any]:
        """What it learned, for tables."""
        return {"learned": "-" if state.learned_ballot is None else state.learned}


def _vote(votes: Votes, ballot: Ballot, value: Any,
          src: str) -> tuple[Votes, Any, frozenset[str]]:
    """``votes`` with ``src`` counted for ``ballot`` (the first value heard for it stays)."""
    for i, (b, first, voters) in enumerate(votes):
        if b == ballot:
            voters = voters | {src}
            return (*votes[:i], (b, first, voters), *votes[i + 1:]), first, voters
    voters = frozenset((src,))
    return (*votes, (ballot, value, voters)), value, voters


class Learner(RoleNode[LearnerState]):
    """One learner node; ``learned`` is the chosen value once it knows it (else None)."""

    protocol: LearnerProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...], config: PaxosConfig | None = None,
                 protocol: LearnerProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or LearnerProtocol(
            config, ids_of(ACCEPTOR, tuple(sorted(peers)))))

    learned: StateField[Any] = StateField("The learned value (None until learned).")
    learned_ballot: StateField[Ballot | None] = StateField(
        "The ballot a majority accepted (None until learned).")

    def fresh(self) -> LearnerState:
        """A new learner: no votes heard."""
        return LearnerState()

    @property
    def votes(self) -> dict[Ballot, tuple[Any, frozenset[str]]]:
        """Ballot -> (value, acceptors that accepted it), a copy."""
        return {} if self.state is None else {b: (v, a) for b, v, a in self.state.votes}
