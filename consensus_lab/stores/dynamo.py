"""An AP key-value store in the style of Dynamo / Cassandra / Riak (DeCandia et al. 2007).

Theory of operation (DDIA ch. 5 "leaderless replication", ch. 9 CAP: the AP
side, "Cassandra accepts writes and may diverge"):

* **Replicas.** Each key lives on ``N`` replicas: its *preference list*, the
  ``N`` nodes that follow the key's hash on a ring of the sorted node ids
  (all nodes when ``N`` is None or the cluster size).
* **Any node coordinates.** A write goes to every replica of the key and is
  acknowledged once ``W`` replicas answered; a read asks every replica and
  answers from the first ``R`` replies. Nobody checks that the ``W`` acks
  come from a majority — only that ``W`` of the replicas this coordinator
  can *reach* answered — so with ``W = 1`` a write always succeeds on the
  coordinator's own side of a partition, and both sides keep accepting
  writes. That is the availability; divergence is the price.
* **Conflicts** are resolved by a :mod:`versions <consensus_lab.stores.versions>`
  policy: ``mode="lww"`` keeps the version with the highest
  ``(local time, node id)`` stamp (so a node whose clock lags loses its writes),
  ``mode="siblings"`` keeps concurrent writes side by side as siblings.
* **Read repair** (on by default): after a read the coordinator sends the
  merged result to the replicas that answered with something older.
* **Anti-entropy** (off unless ``anti_entropy_every`` is set): every that
  many ticks a node pushes all its versions to one random peer, which
  merges them — how replicas converge after a partition heals.
  Hinted handoff and sloppy quorums are not implemented (anti-entropy
  covers convergence here; the preference list never changes).

A read or write that did not gather ``R`` / ``W`` replies within
``op_timeout`` gets ``fail`` for a read; a write stays unanswered (some
replicas may already hold it: outcome unknown, the client records ``info``).

The settings and messages are in :mod:`.dynamo_wire` (re-exported here).
As a step protocol (:mod:`consensus_lab.sim.step`): :class:`DynamoStore` is
the pure rules over a frozen :class:`DynamoState`; :class:`DynamoNode` runs
them in the simulator. Durable state: ``data`` and ``counter`` (written with
``Persist`` before any Send or ack that depends on them); the operations in
flight, the op counter and ``last_stamp`` are volatile. The LWW stamp reads
the node's local clock off the input (``event.now``). The random peer of an
anti-entropy round is part of the state: ``gossip`` holds a small
pseudo-random generator (an LCG seeded from the node id and
``DynamoConfig.gossip_seed``), which each round steps once, so the step
stays a pure function and a model checker sees the choice in the state.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import Any

from ..clocks.vector import VectorClock
from ..sim import ClientRequest
from ..sim.step import (
    CancelTimer,
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Reply,
    Request,
    Send,
    StepProtocol,
    timer,
)
from .dynamo_wire import DynamoConfig, Get, GetReply, Put, PutAck, Sync, show_versions
from .stepping import (
    Pairs,
    StoreNode,
    drop,
    freeze_map,
    get,
    put,
    unknown_op,
)
from .versions import (
    LWW_ZERO,
    Sibling,
    Versioned,
    Write,
    join_context,
    lww_merge,
    sibling_merge,
)

OPS = ("read", "write")

RULE_PUT = ("Dynamo §4.5: the coordinator writes the new version locally and sends it to the "
            "N highest-ranked reachable nodes of the preference list")
RULE_GET = ("Dynamo §4.5: the coordinator requests all existing versions of the key from "
            "the N highest-ranked reachable nodes")
RULE_STAMP_LWW = ("DDIA ch. 5, last write wins: attach a timestamp (here the coordinator's "
                  "local clock) to each write; the biggest one is the most recent")
RULE_DOT = ("Dynamo §4.4: a write through a node counts a new version at that node "
            "(a dot, persisted before the version leaves)")
RULE_MERGE = ("Dynamo §4.4: a replica keeps the versions that no other version has seen "
              "(LWW: the one with the biggest timestamp), on stable storage")
RULE_PUT_ACK = "Dynamo §4.5: a replica acknowledges a put once it merged the version"
RULE_GET_REPLY = "Dynamo §4.5: a replica answers a get with every version of the key it holds"
RULE_W = "Dynamo §4.5: a write succeeds once W replicas acknowledge it"
RULE_R = ("Dynamo §4.5: the coordinator waits for R responses before returning the result "
          "(all causally unrelated versions, merged)")
RULE_READ_REPAIR = ("Dynamo §5: if stale versions were returned in any of the responses, "
                    "the coordinator updates those nodes with the latest version (read repair)")
RULE_OP_TIMEOUT = ("DDIA ch. 5: a read that got fewer than r responses within the timeout "
                   "fails; a write with fewer than w acks has an unknown outcome")
RULE_ANTI_ENTROPY = ("Dynamo §4.7: replicas synchronize with an anti-entropy protocol: "
                     "periodically push every version to a random peer")
RULE_SYNC = ("Dynamo §4.7: a replica merges the synchronized versions of the keys it is a "
             "replica of")


@dataclass(frozen=True, slots=True)
class Pending:
    """One operation this node coordinates (volatile)."""

    request: ClientRequest
    replicas: tuple[str, ...]
    acks: frozenset[str] = frozenset()
    replies: Pairs = ()  # replica -> versions, in arrival order


@dataclass(frozen=True, slots=True)
class DynamoState:
    """One replica and coordinator of the AP store."""

    node_id: str
    peers: tuple[str, ...]
    n: int  # replicas per key (configuration)
    data: Pairs = ()  # durable: key -> versions
    counter: int = 0  # durable, siblings: the last dot counter this node issued
    last_stamp: int = LWW_ZERO[0]  # volatile, lww: the last local time this node stamped
    pending: Pairs = ()  # volatile: op id -> Pending
    next_op: int = 0  # volatile
    gossip: int = 0  # volatile: the gossip-peer generator's state (see next_gossip)

    @property
    def ring(self) -> tuple[str, ...]:
        """Every node id, sorted: the ring the preference lists walk."""
        return tuple(sorted((self.node_id, *self.peers)))


#: A 32-bit linear congruential generator (Numerical Recipes' constants).
LCG_A, LCG_C, LCG_M = 1664525, 1013904223, 2**32


def gossip_seed(node_id: str, seed: int) -> int:
    """The first state of ``node_id``'s gossip-peer generator."""
    return (zlib.crc32(node_id.encode()) ^ seed) % LCG_M


def next_gossip(gossip: int, peers: tuple[str, ...]) -> tuple[int, str]:
    """The generator's next state, and the peer it picks (its high bits, mod the peers)."""
    gossip = (LCG_A * gossip + LCG_C) % LCG_M
    return gossip, peers[(gossip >> 16) % len(peers)]


def preference_list(ring: tuple[str, ...], n: int, key: Any) -> tuple[str, ...]:
    """The ``n`` replicas of ``key``: successors of its hash on the ring of node ids (§4.2)."""
    if n == len(ring):
        return ring
    start = zlib.crc32(repr(key).encode()) % len(ring)
    return tuple(ring[(start + i) % len(ring)] for i in range(n))


def _arrived(replies: Pairs, src: str, versions: tuple[Any, ...]) -> Pairs:
    """``replies`` with ``src``'s versions: replaced in place, or appended (arrival order)."""
    if any(k == src for k, _ in replies):
        return tuple((k, versions if k == src else v) for k, v in replies)
    return (*replies, (src, versions))


Result = tuple[DynamoState, Effects]


class DynamoStore(StepProtocol[DynamoState]):
    """The rules of the AP store (see the module docstring) as pure functions."""

    def __init__(self, config: DynamoConfig | None = None) -> None:
        self.config = config or DynamoConfig()

    def start(self, node_id: str, peers: tuple[str, ...], stored: Any) -> Result:
        """Boot, or recover the persisted ``data`` and ``counter``; arm anti-entropy."""
        n = self.config.check(len(peers) + 1)
        state = DynamoState(node_id, peers, n, data=freeze_map(stored.get("data", ())),
                            counter=stored.get("counter", 0),
                            gossip=gossip_seed(node_id, self.config.gossip_seed))
        every = self.config.anti_entropy_every
        return state, (timer("anti-entropy", every, RULE_ANTI_ENTROPY),) if every else ()

    def step(self, state: DynamoState, event: Input) -> Result:
        match event:
            case Request(request, now):
                return self.on_request(state, request, now)
            case Fire(name):
                return self.on_timer(state, name)
            case Deliver(src, msg):
                return self.on_message(state, src, msg)
        raise TypeError(f"not an input: {event!r}")

    def preference_list(self, state: DynamoState, key: Any) -> tuple[str, ...]:
        """The ``N`` replicas of ``key``."""
        return preference_list(state.ring, state.n, key)

    # -- coordinator: requests and timers ------------------------------------------------

    def on_request(self, state: DynamoState, request: ClientRequest, now: int) -> Result:
        """Send a write's new version, or a read's Get, to every replica of the key."""
        if request.f not in OPS:
            return state, (unknown_op(request),)
        op_id, key = state.next_op + 1, request.key
        replicas = self.preference_list(state, key)
        state = replace(state, next_op=op_id,
                        pending=put(state.pending, op_id, Pending(request, replicas)))
        effects: Effects = (timer(f"op:{op_id}", self.config.op_timeout, RULE_OP_TIMEOUT),)
        if request.f == "write":
            state, version, stamped = self.new_version(state, request, now)
            msg: Any = Put(op_id=op_id, key=key, versions=(version,))
            effects, rule = effects + stamped, RULE_PUT
        else:
            msg, rule = Get(op_id=op_id, key=key), RULE_GET
        for replica in replicas:
            state, more = self.reply_to(state, replica, msg, rule)
            effects += more
        return state, effects

    def new_version(self, state: DynamoState, request: ClientRequest,
                    now: int) -> tuple[DynamoState, Any, Effects]:
        """Stamp a client's write: LWW (local time, id); siblings: a fresh dot, persisted."""
        value = request.value
        if self.config.mode == "lww":
            stamp = max(now, state.last_stamp + 1)
            return replace(state, last_stamp=stamp), ((stamp, state.node_id), value), ()
        context = value.context if isinstance(value, Write) else ()
        value = value.value if isinstance(value, Write) else value
        counter = max(state.counter, VectorClock(context)[state.node_id]) + 1
        version = Sibling(value=value, dot=(state.node_id, counter), context=context)
        return (replace(state, counter=counter), version,
                (Persist("counter", counter, RULE_DOT),))

    def on_timer(self, state: DynamoState, name: str) -> Result:
        """Anti-entropy: re-arm, push everything to a random peer. An op timer: give up."""
        if name == "anti-entropy":
            effects: Effects = (timer(name, self.config.anti_entropy_every or 1,
                                      RULE_ANTI_ENTROPY),)
            if state.peers and state.data:
                gossip, dst = next_gossip(state.gossip, state.peers)
                state = replace(state, gossip=gossip)
                effects += (Send(dst, Sync(items=state.data), RULE_ANTI_ENTROPY),)
            return state, effects
        op_id = int(name.split(":")[1])
        op = get(state.pending, op_id)
        if op is None:
            return state, ()
        state = replace(state, pending=drop(state.pending, op_id))
        if op.request.f == "read":
            return state, (Reply(op.request, f"only {len(op.replies)} of R={self.config.r} "
                                 "replied", ok=False, rule=RULE_OP_TIMEOUT),)
        return state, (Note(f"write {op.request.key} got {len(op.acks)} of W={self.config.w} "
                            "acks", RULE_OP_TIMEOUT),)

    # -- messages ---------------------------------------------------------------------

    def on_message(self, state: DynamoState, src: str, msg: Any) -> Result:
        if isinstance(msg, Put):
            state, effects = self.merge(state, msg.key, msg.versions)
            if not msg.op_id:  # a read repair wants no ack
                return state, effects
            state, more = self.reply_to(state, src, PutAck(op_id=msg.op_id), RULE_PUT_ACK)
            return state, effects + more
        if isinstance(msg, Get):
            return self.reply_to(state, src, GetReply(op_id=msg.op_id,
                                                      versions=get(state.data, msg.key, ())),
                                 RULE_GET_REPLY)
        if isinstance(msg, PutAck):
            return self.on_put_ack(state, src, msg)
        if isinstance(msg, GetReply):
            return self.on_get_reply(state, src, msg)
        if isinstance(msg, Sync):
            return self.on_sync(state, msg)
        return state, ()

    # -- replica rules -----------------------------------------------------------------

    def merge(self, state: DynamoState, key: Any, versions: tuple[Any, ...]) -> Result:
        """Merge incoming versions of ``key`` into ours by the configured policy; persist."""
        mine = get(state.data, key, ())
        merged = self.merge_versions(mine, versions)
        if merged == mine:
            return state, ()
        state = replace(state, data=put(state.data, key, merged))
        return state, (Persist("data", state.data, RULE_MERGE),)

    def on_sync(self, state: DynamoState, msg: Sync) -> Result:
        """Anti-entropy: merge the keys this node is a replica of; persist once."""
        before = state.data
        for key, versions in msg.items:
            if state.node_id in self.preference_list(state, key):
                state, _ = self.merge(state, key, versions)
        return state, (Persist("data", state.data, RULE_SYNC),) if state.data != before else ()

    def merge_versions(self, mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, ...]:
        """The versions to keep of ``mine`` and ``theirs`` under the configured policy."""
        if self.config.mode == "siblings":
            return sibling_merge(mine, theirs)
        best = mine[0] if mine else None
        for version in theirs:
            best = lww_merge(best, version)
        return () if best is None else (best,)

    # -- coordinator rules --------------------------------------------------------------

    def on_put_ack(self, state: DynamoState, src: str, msg: PutAck) -> Result:
        """W acks: the write succeeded; answer the client."""
        op = get(state.pending, msg.op_id)
        if op is None:
            return state, ()
        op = replace(op, acks=op.acks | {src})
        if len(op.acks) < self.config.w:
            return replace(state, pending=put(state.pending, msg.op_id, op)), ()
        value = op.request.value
        state, effects = self.finish(state, msg.op_id, RULE_W)
        return state, (*effects, Reply(op.request, value.value if isinstance(value, Write)
                                       else value, rule=RULE_W))

    def on_get_reply(self, state: DynamoState, src: str, msg: GetReply) -> Result:
        """R replies: merge them, repair the stale replicas, answer the client."""
        op = get(state.pending, msg.op_id)
        if op is None:
            return state, ()
        op = replace(op, replies=_arrived(op.replies, src, msg.versions))
        if len(op.replies) < self.config.r:
            return replace(state, pending=put(state.pending, msg.op_id, op)), ()
        state, effects = self.finish(state, msg.op_id, RULE_R)
        merged: tuple[Any, ...] = ()
        for _, versions in op.replies:
            merged = self.merge_versions(merged, versions)
        if self.config.read_repair:
            for replica, versions in sorted(op.replies, key=lambda kv: kv[0]):
                if self.merge_versions(versions, merged) != versions:
                    state, more = self.reply_to(state, replica, Put(
                        op_id=0, key=op.request.key, versions=merged), RULE_READ_REPAIR)
                    effects += more
        return state, (*effects, Reply(op.request, self.result_of(merged), rule=RULE_R))

    def result_of(self, versions: tuple[Any, ...]) -> Any:
        """What a read answers for these merged versions."""
        if self.config.mode == "siblings":
            return Versioned(values=tuple(s.value for s in versions),
                             context=join_context(versions))
        return versions[0][1] if versions else None

    def finish(self, state: DynamoState, op_id: int, rule: str) -> Result:
        """The operation is done: forget it and cancel its timeout."""
        return (replace(state, pending=drop(state.pending, op_id)),
                (CancelTimer(f"op:{op_id}", rule),))

    # -- plumbing ---------------------------------------------------------------------

    def reply_to(self, state: DynamoState, dst: str, msg: Any, rule: str) -> Result:
        """Send ``msg`` to ``dst``, or handle it here at once if ``dst`` is this node."""
        if dst == state.node_id:
            return self.on_message(state, dst, msg)
        return state, (Send(dst, msg, rule),)

    def values_of(self, state: DynamoState, key: Any) -> tuple[Any, ...]:
        """The values ``state`` holds for ``key`` (one under LWW, any number of siblings)."""
        versions = get(state.data, key, ())
        if self.config.mode == "siblings":
            return tuple(self.result_of(versions).values)
        return tuple(v for _, v in versions)

    def view(self, state: DynamoState) -> dict[str, Any]:
        return {str(k): show_versions(v) for k, v in state.data}


class DynamoNode(StoreNode[DynamoState]):
    """Replica and coordinator of the AP store (see the module docstring).

    Client operations: ``read key`` → the value (LWW; None if never written)
    or a :class:`Versioned` (siblings); ``write key value`` → the value
    (siblings: ``value`` may be a :class:`Write` carrying a read's context).
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 config: DynamoConfig | None = None) -> None:
        self.store = DynamoStore(config)
        super().__init__(node_id, peers, self.store)
        self.ring = tuple(sorted((node_id, *self.peers)))
        self.n = self.store.config.check(len(self.ring))  # a bad config fails here

    @property
    def config(self) -> DynamoConfig:
        """The replication settings."""
        return self.store.config

    def preference_list(self, key: Any) -> tuple[str, ...]:
        """The ``N`` replicas of ``key``: successors of its hash on the ring of node ids."""
        return preference_list(self.ring, self.n, key)

    @property
    def data(self) -> dict[Any, tuple[Any, ...]]:
        """key -> versions held here (a fresh dict)."""
        return dict(self.current.data)

    @property
    def counter(self) -> int:
        """Siblings: the last dot counter this node issued."""
        return self.current.counter

    def values_of(self, key: Any) -> tuple[Any, ...]:
        """The values this replica holds for ``key`` (one under LWW, any number of siblings)."""
        return self.store.values_of(self.current, key)
