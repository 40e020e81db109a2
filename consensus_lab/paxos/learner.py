"""The learner of single-decree Paxos: finds out which value was chosen.

Rule (Paxos Made Simple, §2.3): a value is chosen when a majority of the
acceptors have accepted one proposal — the same ballot — carrying it. Each
acceptor tells every learner what it accepts; the learner counts, per
ballot, the acceptors that have accepted it. Since messages can be lost, a
learner that has not learned asks the acceptors again (``Query``) every
``learner_poll`` ticks.
"""

from __future__ import annotations

from typing import Any

from ..sim import Context, Node
from .ballot import Ballot
from .config import ACCEPTOR, PaxosConfig, ids_of, majority
from .messages import Accepted, Query


class Learner(Node):
    """One learner; ``learned`` is the chosen value once it knows it (else None)."""

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: PaxosConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or PaxosConfig()
        self.acceptors = ids_of(ACCEPTOR, self.peers)
        self.votes: dict[Ballot, tuple[Any, frozenset[str]]] = {}  # ballot -> (value, acceptors)
        self.learned: Any = None
        self.learned_ballot: Ballot | None = None

    def on_start(self, ctx: Context) -> None:
        """Start polling (learners keep nothing on disk: they can ask again)."""
        if self.config.learner_poll:
            ctx.set_timer("poll", self.config.learner_poll)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Count an acceptor's Accepted towards its ballot."""
        if isinstance(msg, Accepted) and src in self.acceptors:
            self.on_accepted(ctx, src, msg)

    def on_accepted(self, ctx: Context, src: str, msg: Accepted) -> None:
        """A majority of acceptors accepted the same ballot: its value is chosen (§2.3)."""
        value, voters = self.votes.get(msg.ballot, (msg.value, frozenset()))
        voters = voters | {src}
        self.votes[msg.ballot] = (value, voters)
        if self.learned_ballot is None and len(voters) >= majority(len(self.acceptors)):
            self.learned, self.learned_ballot = value, msg.ballot
            ctx.cancel_timer("poll")
            ctx.note(f"learned {value} (ballot {msg.ballot}, from {', '.join(sorted(voters))})")

    def on_timer(self, ctx: Context, name: str) -> None:
        """Not learned yet: ask every acceptor what it has accepted."""
        if name == "poll" and self.learned_ballot is None:
            for acceptor in self.acceptors:
                ctx.send(acceptor, Query())
            ctx.set_timer("poll", self.config.learner_poll)

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable, for a model checker."""
        votes = tuple(sorted((b, v, tuple(sorted(a))) for b, (v, a) in self.votes.items()))
        return ("learner", votes, self.learned_ballot, self.learned)

    def view(self) -> dict[str, Any]:
        """What it learned, for tables."""
        return {"learned": "-" if self.learned_ballot is None else self.learned}
