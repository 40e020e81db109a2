"""A CP key-value register on majority quorums (ABD: Attiya, Bar-Noy & Dolev 1995).

Theory of operation (DDIA ch. 9, "linearizability" and "the cost of
linearizability"; the chapter's CP side of CAP, like etcd):

Every node is a *replica* holding, per key, a value and its timestamp
``(counter, writer)``; timestamps are totally ordered (counter first, then
the writer's node id breaks ties). Any node *coordinates* a client request
in two phases, each needing replies from a **majority** (n // 2 + 1) of all
replicas (itself included):

1. **Query** — ask every replica for its ``(timestamp, value)`` of the key;
   wait for a majority, take the highest.
2. **Store** — a *write* picks the new timestamp ``(highest counter + 1,
   coordinator)``; a *read* takes the highest pair it saw. Either way it
   sends ``Store`` to every replica (a replica keeps the pair only if its
   timestamp is higher than what it has) and waits for a majority of acks.
   Only then does it answer the client.

Any two majorities intersect, so a query always sees the latest completed
write; the read's write-back makes sure no later read can see an older
value than this one did. Together this makes reads and writes linearizable.

The price is availability: a coordinator that cannot reach a majority
cannot finish. After ``op_timeout`` it answers ``fail`` when nothing can
have happened (a read, or a write still in phase 1); a write whose Store
already left may still take effect later, so the coordinator stays silent
and the client's own timeout records ``info`` (outcome unknown).

As a step protocol (:mod:`consensus_lab.sim.step`): :class:`QuorumStore` is
the pure rules over a frozen :class:`QuorumState`; :class:`QuorumNode` runs
them in the simulator. Durable state: ``data`` (written with
``Persist("data", ...)`` before the ack that depends on it); the operations
in flight and the op counter are volatile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..sim import ClientRequest, ConfigError
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
from .stepping import (
    Pairs,
    StoreNode,
    drop,
    freeze_map,
    get,
    put,
    unknown_op,
)

#: A timestamp: (counter, writer node id). ``(0, "")`` is the initial value's.
Timestamp = tuple[int, str]
ZERO: Timestamp = (0, "")
OPS = ("read", "write")

RULE_QUERY = ("ABD phase 1: ask every replica for its (timestamp, value) and wait for a "
              "majority (DDIA ch. 9: any two majorities overlap)")
RULE_QUERY_REPLY = "ABD: a replica answers a query with the (timestamp, value) it holds"
RULE_STORE_WRITE = ("ABD phase 2 (write): a new timestamp above the highest seen, sent to "
                    "every replica")
RULE_WRITE_BACK = ("ABD phase 2 (read): write the highest value back to a majority before "
                   "answering, so no later read returns an older one (DDIA ch. 9, read repair "
                   "made linearizable)")
RULE_KEEP_NEWER = ("ABD: a replica keeps (timestamp, value) only if the timestamp is newer, "
                   "on stable storage before it acknowledges")
RULE_STORE_ACK = "ABD: a replica acknowledges a Store once it holds that timestamp or newer"
RULE_ANSWER = ("ABD: the coordinator answers only after a majority acknowledged the Store "
               "(DDIA ch. 9: linearizable reads and writes)")
RULE_TIMEOUT = ("DDIA ch. 9, the cost of linearizability: a coordinator that cannot reach a "
                "majority gives up after op_timeout")
RULE_UNKNOWN = ("a write whose Store already left may still take effect: the outcome is "
                "unknown, so the coordinator stays silent (the client records info)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """coordinator → every replica, phase 1: "what is your timestamp and value of ``key``?"."""

    op_id: int
    key: Any

    def __str__(self) -> str:
        return f"Query#{self.op_id}({self.key})"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryReply:
    """replica → coordinator, phase 1: carries the replica's ``ts`` and ``value`` of the key."""

    op_id: int
    ts: Timestamp
    value: Any

    def __str__(self) -> str:
        return f"QueryOk#{self.op_id}({self.ts[0]}.{self.ts[1]}={self.value!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """coordinator → every replica, phase 2: "keep ``value`` at ``ts`` if it is newer"."""

    op_id: int
    key: Any
    ts: Timestamp
    value: Any

    def __str__(self) -> str:
        return f"Store#{self.op_id}({self.key}={self.value!r} @{self.ts[0]}.{self.ts[1]})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreAck:
    """replica → coordinator, phase 2: the replica holds ``ts`` or newer for the key."""

    op_id: int

    def __str__(self) -> str:
        return f"StoreOk#{self.op_id}"


@dataclass(frozen=True, slots=True)
class Pending:
    """One operation this node coordinates (volatile)."""

    request: ClientRequest
    phase: str = "query"  # "query" then "store"
    # Invariant: replies holds at most one entry per replica (src -> (ts, value)).
    replies: Pairs = ()
    acks: frozenset[str] = frozenset()
    result: Any = None


@dataclass(frozen=True, slots=True)
class QuorumState:
    """One replica and coordinator of the ABD register."""

    node_id: str
    peers: tuple[str, ...]
    data: Pairs = ()  # durable: key -> (ts, value)
    pending: Pairs = ()  # volatile: op id -> Pending
    next_op: int = 0  # volatile

    @property
    def majority(self) -> int:
        """n // 2 + 1 of all replicas, this one included."""
        return (len(self.peers) + 1) // 2 + 1

    def value_of(self, key: Any) -> tuple[Timestamp, Any]:
        """This replica's (timestamp, value) of ``key``."""
        return get(self.data, key, (ZERO, None))


Result = tuple[QuorumState, Effects]


class QuorumStore(StepProtocol[QuorumState]):
    """The rules of the ABD register (see the module docstring) as pure functions."""

    def __init__(self, op_timeout: int = 200) -> None:
        if not isinstance(op_timeout, int) or op_timeout <= 0:
            raise ConfigError(f"op_timeout must be a positive int of ticks, got {op_timeout!r}")
        self.op_timeout = op_timeout

    def start(self, node_id: str, peers: tuple[str, ...], stored: Any) -> Result:
        """Boot, or recover the persisted ``data``."""
        return QuorumState(node_id, peers, data=freeze_map(stored.get("data", ()))), ()

    def step(self, state: QuorumState, event: Input) -> Result:
        match event:
            case Request(request):
                return self.on_request(state, request)
            case Fire(name):
                return self.on_timer(state, name)
            case Deliver(src, msg):
                return self.on_message(state, src, msg)
        raise TypeError(f"not an input: {event!r}")

    def on_request(self, state: QuorumState, request: ClientRequest) -> Result:
        """Start phase 1 of a read or a write, with a timeout."""
        if request.f not in OPS:
            return state, (unknown_op(request),)
        op_id = state.next_op + 1
        state = replace(state, next_op=op_id, pending=put(state.pending, op_id, Pending(request)))
        arm = timer(f"op:{op_id}", self.op_timeout, RULE_TIMEOUT)
        state, effects = self.to_all(state, Query(op_id=op_id, key=request.key), RULE_QUERY)
        return state, (arm, *effects)

    def on_timer(self, state: QuorumState, name: str) -> Result:
        """No majority in time: fail what cannot have happened; stay silent about the rest."""
        op_id = int(name.split(":")[1])
        op = get(state.pending, op_id)
        if op is None:
            return state, ()
        state = replace(state, pending=drop(state.pending, op_id))
        if op.request.f == "read" or op.phase == "query":
            return state, (Reply(op.request, "no majority reachable", ok=False,
                                 rule=RULE_TIMEOUT),)
        return state, (Note(f"write {op.request.key}={op.request.value!r} outcome unknown",
                            RULE_UNKNOWN),)

    def on_message(self, state: QuorumState, src: str, msg: Any) -> Result:
        if isinstance(msg, Query):
            ts, value = state.value_of(msg.key)
            return self.reply_to(state, src, QueryReply(op_id=msg.op_id, ts=ts, value=value),
                                 RULE_QUERY_REPLY)
        if isinstance(msg, Store):
            return self.on_store(state, src, msg)
        if isinstance(msg, QueryReply):
            return self.on_query_reply(state, src, msg)
        if isinstance(msg, StoreAck):
            return self.on_store_ack(state, src, msg)
        return state, ()

    # -- replica rules --------------------------------------------------------------

    def on_store(self, state: QuorumState, src: str, msg: Store) -> Result:
        """Keep (ts, value) only if ts is newer than ours (persist it); ack either way."""
        effects: Effects = ()
        if msg.ts > state.value_of(msg.key)[0]:
            state = replace(state, data=put(state.data, msg.key, (msg.ts, msg.value)))
            effects = (Persist("data", state.data, RULE_KEEP_NEWER),)
        state, more = self.reply_to(state, src, StoreAck(op_id=msg.op_id), RULE_STORE_ACK)
        return state, effects + more

    # -- coordinator rules ----------------------------------------------------------

    def on_query_reply(self, state: QuorumState, src: str, msg: QueryReply) -> Result:
        """With a majority of replies: pick the timestamp and value, start phase 2."""
        op = get(state.pending, msg.op_id)
        if op is None or op.phase != "query":
            return state, ()
        op = replace(op, replies=put(op.replies, src, (msg.ts, msg.value)))
        if len(op.replies) < state.majority:
            return replace(state, pending=put(state.pending, msg.op_id, op)), ()
        ts, value = max((pair for _, pair in op.replies), key=lambda pair: pair[0])
        rule = RULE_WRITE_BACK
        if op.request.f == "write":
            ts, value, rule = (ts[0] + 1, state.node_id), op.request.value, RULE_STORE_WRITE
        op = replace(op, phase="store", result=value)
        state = replace(state, pending=put(state.pending, msg.op_id, op))
        return self.to_all(state, Store(op_id=msg.op_id, key=op.request.key, ts=ts,
                                        value=value), rule)

    def on_store_ack(self, state: QuorumState, src: str, msg: StoreAck) -> Result:
        """With a majority of acks: cancel the timeout and answer the client."""
        op = get(state.pending, msg.op_id)
        if op is None or op.phase != "store":
            return state, ()
        op = replace(op, acks=op.acks | {src})
        if len(op.acks) < state.majority:
            return replace(state, pending=put(state.pending, msg.op_id, op)), ()
        state = replace(state, pending=drop(state.pending, msg.op_id))
        return state, (CancelTimer(f"op:{msg.op_id}", RULE_ANSWER),
                       Reply(op.request, op.result, rule=RULE_ANSWER))

    # -- plumbing ---------------------------------------------------------------------

    def to_all(self, state: QuorumState, msg: Any, rule: str) -> Result:
        """Send ``msg`` to every replica: this node handles its own copy at once."""
        state, effects = self.on_message(state, state.node_id, msg)
        return state, effects + tuple(Send(dst, msg, rule) for dst in state.peers)

    def reply_to(self, state: QuorumState, dst: str, msg: Any, rule: str) -> Result:
        """Send ``msg`` to ``dst``, or handle it here at once if ``dst`` is this node."""
        if dst == state.node_id:
            return self.on_message(state, dst, msg)
        return state, (Send(dst, msg, rule),)

    def view(self, state: QuorumState) -> dict[str, Any]:
        return {str(k): f"{v!r}@{ts[0]}.{ts[1]}" for k, (ts, v) in state.data}


class QuorumNode(StoreNode[QuorumState]):
    """Replica and coordinator of the ABD register (see the module docstring).

    Client operations: ``read key`` → the value (None if never written);
    ``write key value`` → the value.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 op_timeout: int = 200) -> None:
        super().__init__(node_id, peers, QuorumStore(op_timeout))

    @property
    def majority(self) -> int:
        """n // 2 + 1 of all replicas."""
        return (len(self.peers) + 1) // 2 + 1

    @property
    def data(self) -> dict[Any, tuple[Timestamp, Any]]:
        """key -> (timestamp, value) held here (a fresh dict)."""
        return dict(self.current.data)

    def value_of(self, key: Any) -> tuple[Timestamp, Any]:
        """This replica's (timestamp, value) of ``key``."""
        return self.current.value_of(key)
