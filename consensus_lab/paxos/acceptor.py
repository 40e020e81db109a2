"""The acceptor of single-decree Paxos: the memory of the protocol.

Rules (Paxos Made Simple, §2.2, "P1a" and the acceptor's half of phase 1
and phase 2):

* **Prepare(n)**: if ``n`` is at least every ballot it has promised, it
  promises ``n`` — never to accept a ballot below ``n`` again — and answers
  with the highest-ballot proposal it has accepted (or none).
* **Accept(n, v)**: it accepts unless it has promised a ballot above ``n``.
* Anything refused is answered with a :class:`~.messages.Nack` naming the
  promise, so the proposer learns a round to outbid.

The promise and the accepted proposal are persisted *before* the answer is
sent (§2.2, last paragraph: "an acceptor must remember this information
even if it fails and then restarts"). The ``amnesiac-acceptor`` variant
skips that, the ``forgetful-acceptor`` variant ignores its promise when
accepting: both can choose two values.
"""

from __future__ import annotations

from typing import Any

from ..sim import Context, Node
from .ballot import Ballot
from .config import LEARNER, PaxosConfig, ids_of
from .messages import Accept, Accepted, Nack, Prepare, Promise, Query


class Acceptor(Node):
    """One acceptor; ``promised`` and ``accepted`` survive a crash."""

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: PaxosConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or PaxosConfig()
        self.learners = ids_of(LEARNER, self.peers)
        # Persistent state.  Invariant: accepted is None or accepted[0] <= promised.
        self.promised: Ballot | None = None
        self.accepted: tuple[Ballot, Any] | None = None

    def on_start(self, ctx: Context) -> None:
        """Recover the promise and the accepted proposal (unless amnesiac)."""
        if self.config.acceptor_persists:
            self.promised = ctx.stored.get("promised")
            self.accepted = ctx.stored.get("accepted")

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Prepare, Accept, or a learner's Query."""
        if isinstance(msg, Prepare):
            self.on_prepare(ctx, src, msg)
        elif isinstance(msg, Accept):
            self.on_accept(ctx, src, msg)
        elif isinstance(msg, Query) and self.accepted is not None:
            ballot, value = self.accepted
            ctx.send(src, Accepted(ballot=ballot, value=value))

    def on_prepare(self, ctx: Context, src: str, msg: Prepare) -> None:
        """Promise ``msg.ballot`` unless a higher ballot is promised (PMS §2.2, phase 1b)."""
        if self.promised is not None and msg.ballot < self.promised:
            ctx.send(src, Nack(ballot=msg.ballot, promised=self.promised))
            return
        self.promised = msg.ballot
        self.persist(ctx)
        ctx.send(src, Promise(ballot=msg.ballot, accepted=self.accepted))

    def on_accept(self, ctx: Context, src: str, msg: Accept) -> None:
        """Accept unless a higher ballot is promised (PMS §2.2, phase 2b); tell the learners."""
        if (self.config.acceptor_keeps_promise and self.promised is not None
                and msg.ballot < self.promised):
            ctx.send(src, Nack(ballot=msg.ballot, promised=self.promised))
            return
        self.promised = msg.ballot if self.promised is None else max(self.promised, msg.ballot)
        self.accepted = (msg.ballot, msg.value)
        self.persist(ctx)
        answer = Accepted(ballot=msg.ballot, value=msg.value)
        for dst in (src, *self.learners):
            ctx.send(dst, answer)

    def persist(self, ctx: Context) -> None:
        """Write the promise and the accepted proposal to stable storage (before answering)."""
        if self.config.acceptor_persists:
            ctx.persist("promised", self.promised, immutable=True)
            ctx.persist("accepted", self.accepted)

    # ------------------------------------------------------------ views
    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable, for a model checker."""
        return ("acceptor", self.promised, self.accepted)

    def view(self) -> dict[str, Any]:
        """Promise and accepted proposal, for tables."""
        accepted = "-" if self.accepted is None else f"{self.accepted[0]}:{self.accepted[1]}"
        return {"promised": str(self.promised or "-"), "accepted": accepted}
