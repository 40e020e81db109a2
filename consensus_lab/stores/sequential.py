"""A sequentially consistent key-value store: one sequencer orders writes, reads stay local.

Sequential consistency (順序一致性; Lamport 1979, "How to Make a
Multiprocessor Computer That Correctly Executes Multiprocess Programs"):
"the result of any execution is the same as if the operations of all the
processors were executed in some sequential order, and the operations of
each individual processor appear in this sequence in the order specified
by its program." Unlike linearizability, that one order need not agree with
real time *between* clients: a read may return an old value long after
another client's write finished, as long as everybody sees the writes in the
same order and nobody sees their own past undone.

Theory of operation (the shape of ZooKeeper: Hunt et al. 2010 — writes go
through one leader, every server answers reads from its own copy):

* Every node is a **replica** holding a copy of every key. One node (by
  default the first id, ``n1``) is also the **sequencer**.
* Each client talks to one replica (its *home*; ``c1`` → ``n1`` in the
  experiments). A **read** is answered at once from that replica's copy: no
  message leaves the node, so reads are as fast as they can be — and may be
  stale.
* A **write** goes from the home replica to the sequencer
  (:class:`OrderWrite`). The sequencer numbers it with the next sequence
  number and sends :class:`ApplyWrite` to every replica (itself included).
* A replica **applies writes strictly in sequence-number order**: one that
  arrives early waits in ``held`` until the gap before it is filled, and a
  duplicate is ignored. So every replica applies the same writes in the same
  order: one total order of writes.
* The home replica **acknowledges a write when it applies it itself**. So
  the client's next read (at the same replica) sees its own write and
  everything ordered before it: program order is kept.

Why this is sequential but not linearizable: put each read right after the
last write its replica had applied when it answered. Reads of one client
move forward through the sequence (its replica only moves forward), and a
write is acknowledged only after its replica got that far, so each client's
operations appear in program order. But a replica that has not yet received
``ApplyWrite`` still answers with the old value after another client's write
completed: a stale read, which linearizability forbids.

Not fault tolerant (deliberately): nothing is persisted and a lost message
is never resent, so a crashed sequencer or a dropped ``ApplyWrite`` stops
the writes. Replacing the sequencer safely is consensus (notebooks 05–08).

As a step protocol (:mod:`consensus_lab.sim.step`): :class:`SequentialStore`
is the pure rules over a frozen :class:`SeqState`; :class:`SequentialNode`
runs them in the simulator. Durable state: none (every field is volatile).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..sim import ClientRequest, ConfigError
from ..sim.step import (
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Reply,
    Request,
    Send,
    StepProtocol,
)
from .stepping import Pairs, StoreNode, get, put, unknown_op

RULE_READ_LOCAL = ("ZooKeeper (Hunt et al. 2010): a read is served from the local replica's "
                   "copy, without a round trip, and may be stale")
RULE_FORWARD = "ZooKeeper: a write is forwarded to the one server that orders all writes"
RULE_ORDER = ("DDIA ch. 9, total order broadcast: one node numbers every write and sends it "
              "to every replica, so all see the same order")
RULE_IN_ORDER = ("DDIA ch. 9, total order broadcast: messages are delivered to every node in "
                 "the same order; a write that arrives early waits for the gap before it")
RULE_DUPLICATE = "total order broadcast: a write already applied or held is applied once only"
RULE_ACK = ("Lamport 1979, program order: the home replica acknowledges a write only once it "
            "applied it itself, so the client's next read sees it")
RULE_NOT_SEQUENCER = "only the sequencer numbers writes: an Order sent elsewhere is ignored"

@dataclass(frozen=True, slots=True, kw_only=True)
class OrderWrite:
    """home replica → sequencer, write phase 1: "give this write a place in the order".

    ``origin`` and ``op_id`` name the client's write at its home replica, so
    the origin recognises it when it comes back as :class:`ApplyWrite`.
    """

    origin: str
    op_id: int
    key: Any
    value: Any

    def __str__(self) -> str:
        return f"Order({self.origin}#{self.op_id} {self.key}={self.value!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyWrite:
    """sequencer → every replica, write phase 2: "apply this write as number ``seq``"."""

    seq: int
    origin: str
    op_id: int
    key: Any
    value: Any

    def __str__(self) -> str:
        return f"Apply(#{self.seq} {self.key}={self.value!r})"


def sequencer_of(node_id: str, peers: tuple[str, ...], sequencer: str | None) -> str:
    """The sequencer: ``sequencer`` if given (it must be a node), else the first node id."""
    everyone = tuple(sorted((node_id, *peers)))
    chosen = everyone[0] if sequencer is None else sequencer
    if chosen not in everyone:
        raise ConfigError(f"sequencer must be one of the nodes {', '.join(everyone)}, "
                          f"got {sequencer!r}")
    return chosen


@dataclass(frozen=True, slots=True)
class SeqState:
    """One replica of the sequential store; every field is volatile (nothing is persisted)."""

    node_id: str
    peers: tuple[str, ...]
    sequencer: str
    data: Pairs = ()  # key -> value after the first `applied_seq` writes
    # Invariant: log[i].seq == i + 1 and applied_seq == len(log): applied in order, no gaps.
    log: tuple[ApplyWrite, ...] = ()
    applied_seq: int = 0
    # Invariant: sorted by seq, every seq > applied_seq + 1 (the next one would be applied).
    held: tuple[ApplyWrite, ...] = ()
    waiting: Pairs = ()  # op id -> a client write not yet applied
    next_op: int = 0
    next_seq: int = 0  # sequencer only: the last sequence number handed out

    @property
    def is_sequencer(self) -> bool:
        """True on the one node that numbers the writes."""
        return self.node_id == self.sequencer


Result = tuple[SeqState, Effects]


class SequentialStore(StepProtocol[SeqState]):
    """The rules of the sequential store (see the module docstring) as pure functions."""

    def __init__(self, sequencer: str | None = None) -> None:
        self.sequencer = sequencer

    def start(self, node_id: str, peers: tuple[str, ...], stored: Any) -> Result:
        """A fresh replica: nothing was persisted, so a restart starts empty."""
        return SeqState(node_id, peers, sequencer_of(node_id, peers, self.sequencer)), ()

    def step(self, state: SeqState, event: Input) -> Result:
        match event:
            case Request(request):
                return self.on_request(state, request)
            case Deliver(_, OrderWrite() as msg):
                return self.on_order(state, msg)
            case Deliver(_, ApplyWrite() as msg):
                return self.on_apply(state, msg)
            case Deliver() | Fire():
                return state, ()
        raise TypeError(f"not an input: {event!r}")

    def on_request(self, state: SeqState, request: ClientRequest) -> Result:
        """Read: answer from the local copy. Write: send it to the sequencer to be ordered."""
        if request.f not in ("read", "write"):
            return state, (unknown_op(request),)
        if request.f == "read":
            return state, (Reply(request, get(state.data, request.key), rule=RULE_READ_LOCAL),)
        op_id = state.next_op + 1
        state = replace(state, next_op=op_id, waiting=put(state.waiting, op_id, request))
        order = OrderWrite(origin=state.node_id, op_id=op_id, key=request.key,
                           value=request.value)
        if state.is_sequencer:
            return self.on_order(state, order)
        return state, (Send(state.sequencer, order, RULE_FORWARD),)

    # -- sequencer rule ---------------------------------------------------------------

    def on_order(self, state: SeqState, msg: OrderWrite) -> Result:
        """Give the write the next sequence number; apply it here, then send it to everyone."""
        if not state.is_sequencer:
            return state, (Note(f"ignore {msg}: {state.sequencer} is the sequencer",
                                RULE_NOT_SEQUENCER),)
        seq = state.next_seq + 1
        apply = ApplyWrite(seq=seq, origin=msg.origin, op_id=msg.op_id, key=msg.key,
                           value=msg.value)
        state, effects = self.on_apply(replace(state, next_seq=seq), apply)
        return state, effects + tuple(Send(dst, apply, RULE_ORDER) for dst in state.peers)

    # -- replica rules ----------------------------------------------------------------

    def on_apply(self, state: SeqState, msg: ApplyWrite) -> Result:
        """Hold the write until every earlier number is applied; then apply in order."""
        if msg.seq <= state.applied_seq or any(h.seq == msg.seq for h in state.held):
            return state, (Note(f"ignore duplicate #{msg.seq}", RULE_DUPLICATE),)
        held = tuple(sorted((*state.held, msg), key=lambda m: m.seq))
        effects: Effects = ()
        while held and held[0].seq == state.applied_seq + 1:
            state, more = self.apply(state, held[0])
            held, effects = held[1:], effects + more
        state = replace(state, held=held)
        if held:
            effects += (Note(f"hold #{', #'.join(str(m.seq) for m in held)}: "
                             f"waits for #{state.applied_seq + 1}", RULE_IN_ORDER),)
        return state, effects

    def apply(self, state: SeqState, msg: ApplyWrite) -> Result:
        """Apply the next write; acknowledge it if one of this replica's clients wrote it."""
        state = replace(state, data=put(state.data, msg.key, msg.value),
                        log=(*state.log, msg), applied_seq=msg.seq)
        request = get(state.waiting, msg.op_id) if msg.origin == state.node_id else None
        if request is None:
            return state, ()
        state = replace(state, waiting=tuple(p for p in state.waiting if p[0] != msg.op_id))
        return state, (Reply(request, msg.value, rule=RULE_ACK),)

    # -- display ------------------------------------------------------------------------

    def view(self, state: SeqState) -> dict[str, Any]:
        shown = {str(k): repr(v) for k, v in state.data}
        shown["applied"] = f"#{state.applied_seq}"
        if state.held:
            shown["held"] = " ".join(f"#{m.seq}" for m in state.held)
        return shown


class SequentialNode(StoreNode[SeqState]):
    """Replica (and, on one node, sequencer) of the sequential store (see the module docstring).

    Client operations: ``read key`` → the value at this replica (None if never
    written); ``write key value`` → the value, once this replica applied it.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 sequencer: str | None = None) -> None:
        super().__init__(node_id, peers, SequentialStore(sequencer))
        self._sequencer = sequencer_of(node_id, self.peers, sequencer)  # a bad name fails here

    @property
    def sequencer(self) -> str:
        """The node that numbers the writes."""
        return self._sequencer

    @property
    def is_sequencer(self) -> bool:
        """True on the one node that numbers the writes."""
        return self.node_id == self.sequencer

    @property
    def log(self) -> tuple[ApplyWrite, ...]:
        """The writes applied here, in sequence order."""
        return self.current.log

    @property
    def held(self) -> dict[int, ApplyWrite]:
        """Writes that arrived early, by sequence number (a fresh dict)."""
        return {m.seq: m for m in self.current.held}

    @property
    def applied_seq(self) -> int:
        """The number of the last write applied here."""
        return self.current.applied_seq

    def value_of(self, key: Any) -> Any:
        """This replica's value of ``key`` (None if never written)."""
        return get(self.current.data, key)

    def versions(self) -> dict[Any, list[Any]]:
        """Per key, the values in the order this replica applied them (the sequencer's order)."""
        order: dict[Any, list[Any]] = {}
        for msg in self.current.log:
            order.setdefault(msg.key, []).append(msg.value)
        return order
