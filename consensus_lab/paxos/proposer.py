"""The proposer of single-decree Paxos, with retries and randomized backoff.

Rules (Paxos Made Simple, §2.2):

* **Phase 1a**: pick a ballot ``n`` higher than any it has used or seen and
  send ``Prepare(n)`` to every acceptor.
* **Phase 2a**: with promises from a majority, propose the value of the
  highest-ballot proposal those promises report — its own value only if
  none reports one (rule P2c) — in ``Accept(n, v)`` to every acceptor.
* With ``Accepted(n, v)`` from a majority, ``v`` is chosen.

Progress (§2.4): two proposers can outbid each other for ever — each
``Prepare`` makes the acceptors refuse the other's ``Accept``. This is the
FLP result made concrete: no deterministic rule avoids every such schedule.
After a ``Nack`` the proposer waits ``retry_after`` ticks and, with backoff
on, a random extra wait that doubles with each consecutive ``Nack``
(PMMC §4's backoff); desynchronized retries let one proposer finish.

The round it used last is persisted before its ``Prepare`` leaves: after a
restart it must never reuse a ballot, which might carry another value.

Theory of operation: ``phase`` moves along :data:`TRANSITIONS` only, through
:meth:`Proposer._become`; one timer, ``retry``, drives every wait.
"""

from __future__ import annotations

from typing import Any

from ..sim import Context, Node
from .ballot import Ballot
from .config import ACCEPTOR, PaxosConfig, ids_of, majority
from .messages import Accept, Accepted, Nack, Prepare, Promise

IDLE, PREPARING, ACCEPTING, WAITING, DONE = "idle", "preparing", "accepting", "waiting", "done"

#: The proposer's state machine: (from, event, to). ``_become`` refuses any
#: other edge, and a test checks every edge is taken in some scenario.
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (IDLE, "start: prepare a ballot", PREPARING),
    (PREPARING, "promises from a majority: send Accept", ACCEPTING),
    (ACCEPTING, "Accepted from a majority: chosen", DONE),
    (PREPARING, "Nack: wait, maybe with backoff", WAITING),
    (ACCEPTING, "Nack: wait, maybe with backoff", WAITING),
    (WAITING, "wait over: prepare a higher ballot", PREPARING),
    (PREPARING, "retry timeout: prepare a higher ballot", PREPARING),
    (ACCEPTING, "retry timeout: prepare a higher ballot", PREPARING),
)
_EDGES = {(src, event): dst for src, event, dst in TRANSITIONS}
_RETRY_EVENT = {IDLE: "start: prepare a ballot", WAITING: "wait over: prepare a higher ballot",
                PREPARING: "retry timeout: prepare a higher ballot",
                ACCEPTING: "retry timeout: prepare a higher ballot"}


class Proposer(Node):
    """One proposer that wants ``value`` chosen (or helps choose whatever already is)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], config: PaxosConfig | None = None,
                 value: Any = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or PaxosConfig()
        self.value = f"v-{node_id}" if value is None else value
        self.acceptors = ids_of(ACCEPTOR, self.peers)
        self.phase = IDLE
        self.max_round = 0  # highest round used or seen; persisted before each Prepare
        self.ballot: Ballot | None = None  # the ballot being tried
        self.promises: dict[str, tuple[Ballot, Any] | None] = {}  # acceptor -> what it reported
        self.accepts: frozenset[str] = frozenset()  # acceptors that accepted self.ballot
        self.proposed: Any = None  # the value sent in phase 2 of self.ballot
        self.chosen: Any = None  # set when phase == DONE
        self.nacks = 0  # consecutive Nacks: the backoff doubles with each
        self.ballots_tried = 0  # statistics only (not protocol state)

    # ------------------------------------------------------------ life cycle
    def on_start(self, ctx: Context) -> None:
        """Recover the last round (never reuse a ballot) and schedule the first Prepare."""
        self.max_round = ctx.stored.get("round", 0)
        ctx.set_timer("retry", self.config.start_after)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``retry``: the start, the end of a wait, or a timeout — prepare a higher ballot."""
        if name == "retry" and self.phase != DONE:
            self.prepare(ctx, _RETRY_EVENT[self.phase])

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Answers about the current ballot; anything about an older ballot is stale."""
        if getattr(msg, "ballot", None) != self.ballot:
            return
        if isinstance(msg, Promise) and self.phase == PREPARING:
            self.on_promise(ctx, src, msg)
        elif isinstance(msg, Accepted) and self.phase == ACCEPTING:
            self.on_accepted(ctx, src)
        elif isinstance(msg, Nack) and self.phase in (PREPARING, ACCEPTING):
            self.on_nack(ctx, msg)

    # ------------------------------------------------------------ phase 1
    def prepare(self, ctx: Context, event: str) -> None:
        """Phase 1a: a ballot above every round seen, persisted, then Prepare to all."""
        self.max_round += 1
        ctx.persist("round", self.max_round, immutable=True)
        self.ballot = Ballot(self.max_round, self.node_id)
        self.promises, self.accepts, self.proposed = {}, frozenset(), None
        self.ballots_tried += 1
        self._become(ctx, event)
        for acceptor in self.acceptors:
            ctx.send(acceptor, Prepare(ballot=self.ballot))
        ctx.set_timer("retry", self.config.retry_timeout)

    def on_promise(self, ctx: Context, src: str, msg: Promise) -> None:
        """Count the promise; with a majority, start phase 2 with the P2c value."""
        self.promises[src] = msg.accepted
        if len(self.promises) < majority(len(self.acceptors)):
            return
        self.proposed = self.pick_value()
        self._become(ctx, "promises from a majority: send Accept")
        assert self.ballot is not None
        for acceptor in self.acceptors:
            ctx.send(acceptor, Accept(ballot=self.ballot, value=self.proposed))
        ctx.set_timer("retry", self.config.retry_timeout)

    def pick_value(self) -> Any:
        """Rule P2c: the value of the highest-ballot accepted proposal among the promises,
        or our own value if none was accepted (always ours in ``ignores-accepted``)."""
        reported = [acc for acc in self.promises.values() if acc is not None]
        if reported and self.config.proposer_adopts_accepted:
            return max(reported, key=lambda acc: acc[0])[1]
        return self.value

    # ------------------------------------------------------------ phase 2
    def on_accepted(self, ctx: Context, src: str) -> None:
        """With a majority of Accepted for our ballot, the proposed value is chosen."""
        self.accepts = self.accepts | {src}
        if len(self.accepts) >= majority(len(self.acceptors)):
            self.chosen, self.nacks = self.proposed, 0
            self._become(ctx, "Accepted from a majority: chosen")
            ctx.cancel_timer("retry")

    def on_nack(self, ctx: Context, msg: Nack) -> None:
        """Preempted: remember the round to outbid and wait before trying again."""
        self.max_round = max(self.max_round, msg.promised.round)
        self.nacks += 1
        self._become(ctx, "Nack: wait, maybe with backoff")
        ctx.set_timer("retry", self.config.retry_after + self.backoff(ctx))

    def backoff(self, ctx: Context) -> int:
        """The random extra wait: uniform in [0, backoff_max * 2**k], k = Nacks in a row - 1."""
        if not self.config.backoff_max:
            return 0
        doublings = min(self.nacks - 1, self.config.backoff_doublings)
        return ctx.rng.randint(0, self.config.backoff_max << doublings)

    # ------------------------------------------------------------ helpers
    def _become(self, ctx: Context, event: str) -> None:
        """Follow the edge ``(phase, event)`` of :data:`TRANSITIONS` (no other edge exists)."""
        target = _EDGES.get((self.phase, event))
        if target is None:
            raise AssertionError(f"{self.node_id}: no transition from {self.phase} on {event!r}")
        self.phase = target
        if target == DONE:
            ctx.note(f"chosen: {self.chosen} (ballot {self.ballot})")
        elif event.startswith(("start", "wait over", "retry")):
            ctx.note(f"prepare ballot {self.ballot}")

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable, for a model checker (no statistics)."""
        return ("proposer", self.phase, self.max_round, self.ballot,
                tuple(sorted(self.promises.items())), tuple(sorted(self.accepts)),
                self.proposed, self.chosen, self.nacks if self.config.backoff_max else 0)

    def view(self) -> dict[str, Any]:
        """Phase, ballot and the value at stake, for tables."""
        value = self.chosen if self.phase == DONE else self.proposed
        return {"phase": self.phase, "ballot": str(self.ballot or "-"),
                "value": "-" if value is None else value}
