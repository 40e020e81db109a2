"""The application-level events of a causal-broadcast run, and happens-before between them.

Theory of operation (Lamport 1978; Fidge 1988, Mattern 1989; DDIA ch. 9, 因果一致性):

An application sees two kinds of event at a node: it *broadcasts* a message,
or it *delivers* one from someone else (the hold-back buffer and the network
are below the application and are not events here). :func:`causal_events`
lists them per node, in order, from the nodes' own logs
(:attr:`CausalBroadcastNode.delivered` and ``delivered_at``; a node delivers its
own broadcast at once, so its log is exactly its application history), and
gives every event the vector clock the rules of
:mod:`consensus_lab.clocks.vector` assign to it:

* a broadcast at node ``i`` ticks ``V[i]`` (rule 1, a send);
* a delivery at ``i`` of a message merges the clock of that message's
  broadcast event, then ticks ``V[i]`` (rule 2, *merge then tick*).

These *event clocks* are not the vectors the protocol stamps on its messages:
causal delivery counts only broadcasts (see :mod:`consensus_lab.clocks.causal`),
so two deliveries at different nodes can carry equal protocol vectors. Event
clocks tick on every event, so equal clocks mean the same event and
:func:`relation` reads happens-before straight off them (rule 3):
``a → b`` when ``V(a) <= V(b)`` entry by entry and they differ; ``a ‖ b``
when neither is ``<=`` the other.

The clocks are computed after the run, in any order consistent with the logs
(a delivery waits until its broadcast's clock is known). A node that crashed
lost its log, so a run whose surviving logs refer to a broadcast nobody
remembers raises :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consensus_lab.clocks.broadcast import Broadcast, CausalBroadcastNode, format_stamp
from consensus_lab.clocks.vector import Stamp, VectorClock

#: The four answers of :func:`relation`.
BEFORE, AFTER, CONCURRENT, SAME = "a → b", "b → a", "a ‖ b", "same event"


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalEvent:
    """One application-level event: node ``node``'s ``index``-th broadcast or delivery."""

    id: str  # "Alice.2": Alice's second event
    node: str
    index: int  # 1, 2, ... in the node's own order
    time: int  # the node's local clock when it happened
    kind: str  # "broadcast" or "deliver"
    message: Broadcast  # the message broadcast or delivered
    vc: Stamp  # the event's vector clock: broadcast = tick; deliver = merge, then tick

    @property
    def what(self) -> str:
        """``broadcast 'How high is Everest?'`` or ``deliver Alice#1 'How high is Everest?'``."""
        if self.kind == "broadcast":
            return f"broadcast {self.message.text!r}"
        return f"deliver {self.message.origin}#{self.message.seq} {self.message.text!r}"

    @property
    def clock(self) -> VectorClock:
        """The event's vector clock as a (new) :class:`VectorClock`."""
        return VectorClock(self.vc)

    def __str__(self) -> str:
        return f"{self.id} {self.what} {format_stamp(self.vc)}"


def causal_events(sim: Any) -> list[CausalEvent]:
    """Every broadcast and application-level delivery of ``sim``, per node in id order.

    ``sim`` is a :class:`~consensus_lab.sim.Simulation` of
    :class:`CausalBroadcastNode` (or :class:`NaiveBroadcastNode`) nodes;
    crashed nodes (no log) contribute nothing.
    """
    names = tuple(sim.node_ids)
    logs = {i: list(zip(n.delivered, n.delivered_at, strict=True)) for i in names
            if isinstance(n := sim.nodes[i], CausalBroadcastNode)}
    clocks = {i: VectorClock(nodes=names) for i in logs}
    done: dict[str, list[CausalEvent]] = {i: [] for i in logs}
    broadcast_vc: dict[tuple[str, int], Stamp] = {}
    progress = True
    while progress:
        progress = False
        for node_id, log in logs.items():
            while len(done[node_id]) < len(log):
                msg, at = log[len(done[node_id])]
                event = _next_event(node_id, len(done[node_id]) + 1, msg, at,
                                    clocks[node_id], broadcast_vc)
                if event is None:
                    break  # its broadcast's clock is not known yet
                done[node_id].append(event)
                progress = True
    stuck = [(i, log[len(done[i])][0]) for i, log in logs.items() if len(done[i]) < len(log)]
    if stuck:
        node_id, msg = stuck[0]
        raise ValueError(f"cannot place {node_id}'s delivery of {msg}: no live node remembers "
                         f"broadcasting it ({msg.origin} crashed and lost its log?)")
    return [event for i in logs for event in done[i]]


def _next_event(node_id: str, index: int, msg: Broadcast, at: int, clock: VectorClock,
                broadcast_vc: dict[tuple[str, int], Stamp]) -> CausalEvent | None:
    """Apply rule 1 (own broadcast) or rule 2 (delivery) to ``clock``; None if not yet possible."""
    if msg.origin == node_id:
        kind = "broadcast"
        clock.increment(node_id)
        broadcast_vc[msg.msg_id] = clock.as_pairs()
    elif msg.msg_id in broadcast_vc:
        kind = "deliver"
        clock.update(VectorClock(broadcast_vc[msg.msg_id]), node_id)
    else:
        return None
    return CausalEvent(id=f"{node_id}.{index}", node=node_id, index=index, time=at, kind=kind,
                       message=msg, vc=clock.as_pairs())


# -- happens-before ----------------------------------------------------------------------


def _clock(x: Any) -> VectorClock:
    """A clock from an event, a VectorClock, a mapping or a stamp."""
    return x.clock if isinstance(x, CausalEvent) else VectorClock(x)


def relation(a: Any, b: Any) -> str:
    """``"a → b"``, ``"b → a"``, ``"a ‖ b"`` or ``"same event"``, from the two vector clocks.

    ``a`` and ``b`` are :class:`CausalEvent` values, clocks, ``{node: counter}``
    mappings or stamps.
    """
    va, vb = _clock(a), _clock(b)
    if va == vb:
        return SAME
    if va.happens_before(vb):
        return BEFORE
    if vb.happens_before(va):
        return AFTER
    return CONCURRENT


def compare_entries(a: Any, b: Any) -> list[tuple[str, int, int, str]]:
    """``(node, a[node], b[node], "<" | "=" | ">")`` for every node of either clock, sorted."""
    va, vb = _clock(a), _clock(b)
    rows = []
    for node in sorted(set(va.nodes) | set(vb.nodes)):
        x, y = va[node], vb[node]
        rows.append((node, x, y, "<" if x < y else ">" if x > y else "="))
    return rows


def explain_relation(a: Any, b: Any) -> str:
    """One sentence: the relation and the entries that decide it."""
    rows = compare_entries(a, b)
    name_a, name_b = (x.id if isinstance(x, CausalEvent) else "a" for x in (a, b))
    smaller = [f"{n} ({x} < {y})" for n, x, y, s in rows if s == "<"]
    larger = [f"{n} ({x} > {y})" for n, x, y, s in rows if s == ">"]
    verdict = relation(a, b)
    if verdict == SAME:
        return f"{name_a} and {name_b} have equal clocks: they are the same event."
    if verdict == BEFORE:
        return (f"{name_a} → {name_b}: every entry of {name_a} is <= the same entry of {name_b} "
                f"and at least one is smaller: {', '.join(smaller)}; so {name_a} happened before "
                f"{name_b}.")
    if verdict == AFTER:
        flipped = [f"{n} ({y} < {x})" for n, x, y, s in rows if s == ">"]
        return (f"{name_b} → {name_a}: every entry of {name_b} is <= the same entry of {name_a} "
                f"and at least one is smaller: {', '.join(flipped)}; so {name_b} happened before "
                f"{name_a}.")
    return (f"{name_a} ‖ {name_b}: {name_a} is larger at {', '.join(larger)} but smaller at "
            f"{', '.join(smaller)}; neither clock is <= the other, so the events are concurrent.")


# -- finding and showing -------------------------------------------------------------------


def find_event(events: Iterable[CausalEvent], *, node: str | None = None,
               kind: str | None = None, text: str | None = None) -> CausalEvent:
    """The first event matching every given field (``text`` is the message's text)."""
    for event in events:
        if ((node is None or event.node == node) and (kind is None or event.kind == kind)
                and (text is None or event.message.text == text)):
            return event
    raise ValueError(f"no event with node={node!r} kind={kind!r} text={text!r}")


def vector_text(stamp: Stamp | Mapping[str, int]) -> str:
    """The counters alone, in node-id order: ``[1,2,0]`` (the chapter's notation)."""
    pairs = sorted(stamp.items()) if isinstance(stamp, Mapping) else stamp
    return "[" + ",".join(str(counter) for _node, counter in pairs) + "]"


def event_rows(events: Sequence[CausalEvent]) -> list[dict[str, Any]]:
    """One row per event (:func:`consensus_lab.viz.events_table` makes them a
    DataFrame indexed by id)."""
    return [{"id": e.id, "node": e.node, "time": e.time, "what": e.what,
             "vector clock": format_stamp(e.vc)} for e in events]


def event_labels(events: Iterable[CausalEvent]) -> Any:
    """A ``label(record)`` for ``spacetime_diagram``: ``Alice.1 [1,0,0]`` on every app event.

    Matches the nodes' ``deliver Origin#seq`` trace notes to the events (the
    same node, the same message), marks hold-backs ``held Bob#1``, and leaves
    every other record unlabelled.
    """
    by_note = {(e.node, f"{e.message.origin}#{e.message.seq}"): e for e in events}

    def label(record: Any) -> str:
        words = str(record.detail).split() if record.kind == "note" else []
        if words[:1] == ["deliver"] and (event := by_note.get((record.node, *words[1:2]))):
            return f"{event.id} {vector_text(event.vc)}"
        if words[:2] == ["hold", "back"]:
            return f"held {' '.join(words[2:3])}"
        return ""

    return label


def delivery_label(record: Any) -> str:
    """A ``label(record)`` for a run still in progress (e.g. a ``SimulationPlayer``).

    ``Alice#1 [1,0,0]`` on each delivery note: the message and the node's
    protocol vector after delivering it (counts of delivered broadcasts, the
    vector causal delivery checks); ``held Bob#1`` on hold-backs; else ``""``.
    """
    detail = str(record.detail) if record.kind == "note" else ""
    words = detail.split()
    if words[:1] == ["deliver"] and len(words) > 1 and "vc=[" in detail:
        entries = detail.rsplit("vc=[", 1)[1].rstrip("]").split()
        return f"{words[1]} [{','.join(e.rsplit(':', 1)[-1] for e in entries)}]"
    if words[:2] == ["hold", "back"]:
        return f"held {' '.join(words[2:3])}"
    return ""

