"""A small Spanner-like store: shards, a leader per shard, commit wait, snapshot reads.

Theory of operation
-------------------
Keys are split over ``shards``; each shard is a group of ``replicas`` nodes
(``n1…n3`` for shard 0, ``n4…n6`` for shard 1, …) whose first node is the
shard's leader. A client sends a read-write transaction (its writes, all on
one shard) to that leader, which

1. takes the write locks of its keys (two-phase locking: a conflicting
   transaction waits in line; §4.1.2 "after all locks have been acquired");
2. replicates the writes to its replicas and waits for a majority
   (``Replicate`` → ``Replicated``): the writes are durable;
3. picks the commit timestamp ``s = TT.now().latest`` (and above its last
   one: :func:`~.truetime.commit_timestamp`, §4.1.2 "Start");
4. **commit wait**: holds the locks and the reply until ``TT.after(s)``
   (:func:`~.truetime.commit_wait_over`, §4.1.2 "Commit Wait") — about 2ε;
5. applies the writes at version ``s``, tells the replicas (``Commit``),
   answers the client with ``s`` and releases the locks.

With ``overlap=True`` the leader picks ``s`` before replicating, so the
wait runs while the Paxos messages travel, as Spanner does (§4.2.1: "this
wait is typically overlapped with Paxos communication"); the default keeps
the two apart so that the cost of commit wait shows on its own.

A snapshot read ``read(key, ts)`` returns the value of the newest version at
or below ``ts``. The leader answers once ``ts`` is safe (§4.1.3): ``TT.after(ts)``
holds, so every later commit gets a larger timestamp, and no transaction
whose timestamp is at or below ``ts`` is still waiting to apply. Without a
``ts`` it reads at ``TT.now().latest`` (a strong read, §4.1.4).

The node is :class:`SpannerStore`, a step protocol over the immutable
:class:`~.state.SpannerState`: ``step(state, input)`` returns the
next state and the effects, in order, each citing its rule (the ``*_RULE``
constants). Every input's ``now`` is the node's local clock (skew included):
TrueTime is ``TT.now() = [now - ε, now + ε]`` (:meth:`~.truetime.TrueTime.at`).

What is simplified, honestly: a shard's leader is fixed (no elections, no
leader leases, no crashes: nothing is persisted), the "Paxos group" is one
round of majority replication from that leader, and a transaction touches
one shard (cross-shard transactions need two-phase commit over the groups,
§4.2.1 — see :mod:`consensus_lab.commit`). None of that changes the point
made here: timestamps come from clocks, and commit wait is what makes them
agree with real time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..sim import ClientRequest
from ..sim.step import (
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Reply,
    Request,
    Send,
    StepNode,
    StepProtocol,
    timer,
)
from .config import SpannerConfig, TimestampRule, WaitRule
from .messages import Commit, Replicate, Replicated
from .state import SpannerState, Txn, Writes, apply_writes, drop, get, put, read_at
from .truetime import TrueTime, commit_wait_over, wait_ticks

__all__ = ["SpannerConfig", "SpannerNode", "SpannerState", "SpannerStore", "TimestampRule",
           "Txn", "WaitRule"]

Step = tuple[SpannerState, Effects]

_S = "Spanner (OSDI 2012)"
#: Send Replicate: the writes go to the shard's Paxos group first.
REPLICATE_RULE = (f"{_S} §4.1.2: the leader logs the writes through Paxos (here: a majority "
                  "of its group) before it commits")
#: Send Replicated: a replica's acknowledgement.
ACK_RULE = f"{_S} §4.1.2 (Paxos, simplified): a replica acknowledges the writes it logged"
#: Note of the commit timestamp.
TIMESTAMP_RULE = (f"{_S} §4.1.2 Start: the leader assigns a commit timestamp s no less than "
                  "TT.now().latest, computed after the commit request arrived")
#: Timer while TT.after(s) is false.
COMMIT_WAIT_RULE = (f"{_S} §4.1.2 commit wait: the coordinator waits until TT.after(s) is "
                    "true before making the commit visible")
#: Send Commit, note and reply once TT.after(s) holds.
VISIBLE_RULE = (f"{_S} §4.1.2 commit wait is over (TT.after(s)): apply at s, tell the "
                "replicas, reply to the client, release the locks")
#: The same effects without commit wait (the broken variant).
NO_WAIT_RULE = ("no commit wait (broken on purpose): the commit is visible as soon as the "
                "writes are durable, before TT.after(s)")
#: Timer or reply of a snapshot read.
READ_RULE = (f"{_S} §4.1.3: a read at t is served once t <= t_safe: TT.after(t) and no "
             "transaction at or below t is still waiting to apply")
#: Replies that refuse a request.
NOT_LEADER_RULE = f"{_S} §4.1.2: a read-write transaction goes to its shard's Paxos leader"
BAD_REQUEST_RULE = "the store answers txn (writes on one shard) and read (key, ts); refuse others"


class SpannerStore(StepProtocol[SpannerState]):
    """A member of one shard, its leader (first node) or a replica, as a step function.

    Every input's ``now`` is the local clock, from which
    TrueTime's interval is made. Nothing is durable (no crashes in this model).
    """

    def __init__(self, config: SpannerConfig) -> None:
        self.config = config
        self.tt = TrueTime(config.epsilon)

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[SpannerState, Effects]:
        """A fresh member of ``node_id``'s shard (nothing is persisted, so ``stored`` is unused)."""
        del peers, stored
        shard = self.config.shard_of_node(node_id)
        group = tuple(n for n in self.config.shard_nodes(shard) if n != node_id)
        return SpannerState(node_id=node_id, shard=shard, group=group,
                            is_leader=self.config.leader(shard) == node_id), ()

    def step(self, state: SpannerState, event: Input) -> Step:
        """A client request, a message of the group, or a timer."""
        now = event.now  # the node's local clock when the input arrived
        match event:
            case Request(request):
                return self.on_request(state, request, now)
            case Deliver(src, msg):
                return self.on_message(state, src, msg, now)
            case Fire(name):
                return self.on_timer(state, name, now)
        return state, ()

    # ------------------------------------------------------------ client side
    def on_request(self, state: SpannerState, request: ClientRequest, now: int) -> Step:
        """``txn`` (value = ((key, value), …)) or ``read`` (key, value = ts or None)."""
        if not state.is_leader:
            leader = self.config.leader(state.shard)
            return state, (_refuse(request, {"error": f"not the leader of shard {state.shard}",
                                             "leader": leader}, NOT_LEADER_RULE),)
        if request.f == "txn":
            return self.request_txn(state, request, now)
        if request.f == "read":
            return self.request_read(state, request, now)
        return state, (_refuse(request, {"error": f"unknown operation {request.f!r}; "
                                         "allowed: txn, read"}),)

    def request_txn(self, state: SpannerState, request: ClientRequest, now: int) -> Step:
        """Queue the transaction for its locks and start whatever is unblocked."""
        problem = self._bad_writes(state, request.value)
        if problem:
            return state, (_refuse(request, {"error": problem}),)
        txn = Txn(id=request.id, request=request, writes=tuple((k, v) for k, v in request.value))
        return self.start_unblocked(replace(state, queue=(*state.queue, txn)), now)

    def _bad_writes(self, state: SpannerState, writes: Any) -> str:
        if not isinstance(writes, tuple | list) or not writes:
            return f"a txn needs a non-empty tuple of (key, value) writes, got {writes!r}"
        for write in writes:
            if not isinstance(write, tuple | list) or len(write) != 2:
                return f"each write must be a (key, value) pair, got {write!r}"
            key = write[0]
            if not isinstance(key, str) or not key or self.config.shard_of(key) != state.shard:
                return f"key {key!r} is not on shard {state.shard}; a txn writes one shard"
        return ""

    def request_read(self, state: SpannerState, request: ClientRequest, now: int) -> Step:
        """A snapshot read at ``ts`` (a strong read at ``TT.now().latest`` without one, §4.1.4)."""
        ts = self.tt.at(now).latest if request.value is None else request.value
        if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
            return state, (_refuse(request, {"error": f"a read timestamp must be an int >= 0 "
                                             f"or None, got {ts!r}"}),)
        if not isinstance(request.key, str) or self.config.shard_of(request.key) != state.shard:
            return state, (_refuse(request, {"error": f"key {request.key!r} is not on shard "
                                             f"{state.shard}"}),)
        return self.serve_reads(replace(state, reads=(*state.reads, (request, request.key, ts))),
                                now)

    # ------------------------------------------------------------ the commit
    def start_unblocked(self, state: SpannerState, now: int) -> Step:
        """Lock and start every queued txn whose keys are free (earlier ones keep priority)."""
        effects: Effects = ()
        while (txn := _first_unblocked(state)) is not None:
            state, more = self.start_txn(state, txn, now)  # it leaves the queue once started
            state, effects = _unqueue(state, txn.id), effects + more
        return state, effects

    def start_txn(self, state: SpannerState, txn: Txn, now: int) -> Step:
        """Take the locks, pick ``s`` now if overlapping (§4.2.1), replicate to the group."""
        state = replace(state, locked=state.locked | txn.keys,
                        active=(*state.active, (txn.id, txn)))
        effects: Effects = ()
        if self.config.overlap:
            state, effects = self.pick_timestamp(state, txn.id, now)
        txn = get(state.active, txn.id)
        effects += tuple(Send(r, Replicate(txn=txn.id, writes=txn.writes, ts=txn.ts),
                              REPLICATE_RULE) for r in state.group)
        state, more = self.check_durable(state, txn.id, now)
        return state, effects + more

    def pick_timestamp(self, state: SpannerState, txn_id: int, now: int) -> Step:
        """§4.1.2 Start: ``s`` from the timestamp rule, above the leader's last one."""
        tt_now = self.tt.at(now)
        ts = self.config.timestamp_rule(tt_now, state.last_ts)
        txn = replace(get(state.active, txn_id), ts=ts)
        state = replace(state, last_ts=max(state.last_ts, ts),
                        active=put(state.active, txn_id, txn))
        return state, (self._note(state, f"T{txn_id} s={ts} (TT.now()={tt_now})",
                                  TIMESTAMP_RULE),)

    def check_durable(self, state: SpannerState, txn_id: int, now: int) -> Step:
        """Once a majority logged the writes: pick ``s`` (unless picked), then try to finish."""
        txn: Txn = get(state.active, txn_id)
        majority = self.config.replicas // 2 + 1
        if txn.durable or 1 + len(txn.acks) < majority:
            return state, ()
        state = replace(state, active=put(state.active, txn_id, replace(txn, durable=True)))
        effects: Effects = ()
        if txn.ts is None:
            state, effects = self.pick_timestamp(state, txn_id, now)
        state, more = self.maybe_finish(state, txn_id, now)
        return state, effects + more

    def maybe_finish(self, state: SpannerState, txn_id: int, now: int) -> Step:
        """Finish once durable and, with commit wait on, once ``TT.after(s)``."""
        txn: Txn = get(state.active, txn_id)
        if not txn.durable or txn.ts is None:
            return state, ()
        tt_now = self.tt.at(now)
        if self.config.commit_wait and not self.config.wait_rule(tt_now, txn.ts):
            # The library's rule turns true in wait_ticks; another rule (the exercise's)
            # is asked again at every tick of the local clock.
            own_rule = self.config.wait_rule is commit_wait_over
            after = max(1, wait_ticks(tt_now, txn.ts)) if own_rule else 1
            return state, (timer(f"wait T{txn.id}", after, COMMIT_WAIT_RULE),)
        return self.finish(state, txn, now)

    def finish(self, state: SpannerState, txn: Txn, now: int) -> Step:
        """Apply at ``s``, tell the replicas, reply, unlock; then start and serve what waited."""
        assert txn.ts is not None
        rule = VISIBLE_RULE if self.config.commit_wait else NO_WAIT_RULE
        state = replace(state, versions=apply_writes(state.versions, txn.writes, txn.ts))
        effects: Effects = (
            *(Send(r, Commit(txn=txn.id, ts=txn.ts), rule) for r in state.group),
            self._note(state, f"T{txn.id} visible at s={txn.ts} (TT.now()={self.tt.at(now)})",
                       rule),
            Reply(txn.request, txn.ts, rule=rule),
        )
        state = replace(_unqueue(state, txn.id), active=drop(state.active, txn.id),
                        locked=state.locked - txn.keys)
        state, started = self.start_unblocked(state, now)
        state, served = self.serve_reads(state, now)
        return state, effects + started + served

    # ------------------------------------------------------------ snapshot reads
    def safe(self, state: SpannerState, ts: int, now: int) -> bool:
        """Can a snapshot read at ``ts`` be served now (Spanner §4.1.3, t_safe)?"""
        if not self.tt.at(now).after(ts):
            return False
        return all(txn.ts is None or txn.ts > ts for _, txn in state.active)

    def serve_reads(self, state: SpannerState, now: int) -> Step:
        """Answer every read whose timestamp is safe; wake up when the next one may be."""
        effects: Effects = ()
        waiting = []
        for request, key, ts in state.reads:
            if self.safe(state, ts, now):
                effects += (Reply(request, read_at(state, key, ts), rule=READ_RULE),)
            else:
                waiting.append((request, key, ts))
        state = replace(state, reads=tuple(waiting))
        tt_now = self.tt.at(now)
        ticks = [wait_ticks(tt_now, ts) for _, _, ts in waiting if not tt_now.after(ts)]
        if ticks:  # reads held only by a transaction in flight wait for its finish
            effects += (timer("reads", min(ticks), READ_RULE),)
        return state, effects

    # ------------------------------------------------------------ events
    def on_message(self, state: SpannerState, src: str, msg: Any, now: int) -> Step:
        """Replicas log and apply; the leader counts acknowledgements."""
        if isinstance(msg, Replicate):
            state = replace(state, log=put(state.log, msg.txn, msg.writes))
            return state, (Send(src, Replicated(txn=msg.txn), ACK_RULE),)
        if isinstance(msg, Commit):
            writes: Writes = get(state.log, msg.txn, ())
            return replace(state, log=drop(state.log, msg.txn),
                           versions=apply_writes(state.versions, writes, msg.ts)), ()
        if isinstance(msg, Replicated) and (txn := get(state.active, msg.txn)) is not None:
            txn = replace(txn, acks=txn.acks | {src})
            return self.check_durable(replace(state, active=put(state.active, txn.id, txn)),
                                      txn.id, now)
        return state, ()

    def on_timer(self, state: SpannerState, name: str, now: int) -> Step:
        """``wait T<id>``: commit wait may be over; ``reads``: a read may be safe."""
        if name == "reads":
            return self.serve_reads(state, now)
        txn_id = int(name.removeprefix("wait T"))
        if get(state.active, txn_id) is None:
            return state, ()
        return self.maybe_finish(state, txn_id, now)

    def view(self, state: SpannerState) -> dict[str, Any]:
        """Role, shard, last timestamp, transactions in flight."""
        role = "leader" if state.is_leader else "replica"
        row: dict[str, Any] = {"role": role, "shard": state.shard}
        if state.is_leader:
            row.update(last_ts=state.last_ts, active=len(state.active), queued=len(state.queue))
        return row

    def _note(self, state: SpannerState, text: str, rule: str) -> Note:
        return Note(text, rule)


def _first_unblocked(state: SpannerState) -> Txn | None:
    """The first queued txn whose keys are neither locked nor wanted by an earlier queued one."""
    claimed = set(state.locked)
    for txn in state.queue:
        if get(state.active, txn.id) is None and not txn.keys & claimed:
            return txn
        claimed |= txn.keys
    return None


def _unqueue(state: SpannerState, txn_id: int) -> SpannerState:
    """``state`` without transaction ``txn_id`` in its lock queue."""
    return replace(state, queue=tuple(t for t in state.queue if t.id != txn_id))


def _refuse(request: ClientRequest, value: dict[str, Any],
            rule: str = BAD_REQUEST_RULE) -> Reply:
    return Reply(request, value, ok=False, rule=rule)


class SpannerNode(StepNode[SpannerState]):
    """:class:`SpannerStore` in the simulator; the attributes are read-only views of ``state``.

    Before start (the trace's "start" record) it describes a fresh boot's state.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], config: SpannerConfig) -> None:
        self.store = SpannerStore(config)
        super().__init__(node_id, peers, self.store)
        self.config = config
        self.tt = self.store.tt

    def _now(self) -> SpannerState:
        return self.booted()

    def describe(self) -> str:
        """The label of the state (of the boot state before start: the trace's start record)."""
        return self.protocol.describe(self.booted())

    @property
    def is_leader(self) -> bool:
        """Whether this node leads its shard."""
        return self._now().is_leader

    @property
    def shard(self) -> int:
        """The shard this node belongs to."""
        return self._now().shard

    @property
    def last_ts(self) -> int:
        """The leader's last assigned timestamp."""
        return self._now().last_ts

    @property
    def active(self) -> dict[int, Txn]:
        """Transactions holding their locks, by id (a copy)."""
        return dict(self._now().active)

    @property
    def queue(self) -> tuple[Txn, ...]:
        """Transactions waiting for their locks."""
        return self._now().queue

    @property
    def locked(self) -> frozenset[str]:
        """Keys locked by active transactions."""
        return self._now().locked

    @property
    def reads(self) -> tuple[tuple[ClientRequest, str, int], ...]:
        """Snapshot reads not yet safe."""
        return self._now().reads

    def read_at(self, key: str, ts: int) -> tuple[Any, int]:
        """``(value, version_ts)`` of the newest version of ``key`` at or below ``ts``."""
        return read_at(self._now(), key, ts)
