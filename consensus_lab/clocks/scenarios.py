"""Ready-made causal-broadcast runs: the chapter's Everest example and a random workload.

* :func:`everest` — Alice asks "How high is Everest?"; Bob, on delivering the
  question, answers "8849 m"; the question travels a slow link to Charlie, so
  the answer reaches Charlie first. Charlie also says "nice weather", which is
  concurrent with both. A causal node holds the answer back until the
  question arrives; :class:`~consensus_lab.clocks.broadcast.NaiveBroadcastNode`
  shows the answer before the question.

  (In the chapter Alice sends the unrelated remark; but a second message from
  the same sender is causally *after* her first one, by program order. To be
  truly concurrent the remark must come from someone who has not yet seen the
  question — Charlie.)
* :func:`random_broadcasts` — a seeded workload over a network that reorders
  and duplicates messages, checked after every event by
  :func:`causal_order_invariant` and at the end by :func:`all_delivered`.
  ``random_broadcasts(seed=s)`` twice gives the same trace digest.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from consensus_lab.clocks.broadcast import Broadcast, CausalBroadcastNode
from consensus_lab.sim import Network, Node, Simulation

NodeFactory = Callable[..., Node]

EVEREST_NODES = ("Alice", "Bob", "Charlie")
QUESTION = "How high is Everest?"
ANSWER = "8849 m"
WEATHER = "nice weather"

#: 5 ticks everywhere, except the slow link Alice → Charlie (the question is late)
#: and Charlie → Bob (so Bob answers before he hears about the weather).
EVEREST_NETWORK = (Network(latency=(5, 5))
                   .with_link("Alice", "Charlie", latency=(40, 40))
                   .with_link("Charlie", "Bob", latency=(20, 20)))


def everest_nodes(factory: NodeFactory = CausalBroadcastNode) -> NodeFactory:
    """A node factory for the Everest cast: Bob answers the question, the others only listen.

    ``factory`` is a node class (or a ``functools.partial`` of one) that accepts
    ``replies=``. Use it with :data:`EVEREST_NODES`, :data:`EVEREST_NETWORK` and
    :func:`submit_everest`, e.g. as a ``SimulationPlayer``'s factory and setup.
    """

    def make(node_id: str, peers: tuple[str, ...]) -> Node:
        replies = {QUESTION: ANSWER} if node_id == "Bob" else {}
        return factory(node_id, peers, replies=replies)

    return make


def submit_everest(sim: Simulation) -> None:
    """Submit the scenario's two client requests: Alice asks, Charlie remarks on the weather."""
    sim.submit("Alice", "broadcast", value=QUESTION)
    sim.submit("Charlie", "broadcast", value=WEATHER)


def everest(factory: NodeFactory = CausalBroadcastNode, *, seed: int = 0,
            run: bool = True) -> Simulation:
    """The Everest scenario on ``factory`` nodes; stabilized unless ``run=False``.

    ``factory`` is a node class (or a ``functools.partial`` of one) that accepts
    ``replies=``; Bob gets ``replies={QUESTION: ANSWER}``. With ``run=False``
    the two client requests are submitted and nothing has fired yet, so a
    notebook can step or ``fire`` events itself.
    """
    sim = Simulation(everest_nodes(factory), EVEREST_NODES, seed=seed, network=EVEREST_NETWORK)
    submit_everest(sim)
    if run:
        sim.stabilize()
    return sim


#: The random workload's network: random latency, 30% of messages reordered, 10% duplicated.
RANDOM_NETWORK = Network(latency=(1, 20), reorder=0.3, reorder_delay=40, duplicate=0.1)


def random_broadcasts(seed: int = 0, *, factory: NodeFactory = CausalBroadcastNode,
                      nodes: Sequence[str] = ("n1", "n2", "n3"), messages: int = 8,
                      network: Network = RANDOM_NETWORK, check: bool = True) -> Simulation:
    """Broadcast ``messages`` texts from random nodes at random times, then stabilize.

    With ``check``, :func:`causal_order_invariant` is checked after every event
    and :func:`all_delivered` at the end; a failure raises
    :class:`~consensus_lab.sim.InvariantViolation` carrying the seed and trace.
    """
    sim = Simulation(factory, tuple(nodes), seed=seed, network=network)
    if check:
        sim.add_invariant("causal order: no message delivered before its cause",
                          causal_order_invariant())
    # The workload's own seeded stream: its decisions reach the run as submits, which the
    # simulator records as inputs, so Simulation.replay(choices) alone rebuilds the run.
    workload = random.Random(f"workload/{seed}")
    at = 0
    for index in range(messages):
        at += workload.randint(0, 15)
        sim.run(until=at)
        sim.submit(workload.choice(tuple(nodes)), "broadcast", value=f"m{index + 1}")
    sim.stabilize()
    if check:
        sim.add_invariant("liveness: every broadcast delivered at every node", all_delivered)
        sim.check_invariants()
    return sim


def _broadcast_nodes(sim: Simulation) -> list[tuple[str, CausalBroadcastNode]]:
    """The live causal-broadcast nodes, in id order."""
    return [(i, n) for i in sim.node_ids if isinstance(n := sim.nodes[i], CausalBroadcastNode)]


def all_broadcasts(sim: Simulation) -> dict[tuple[str, int], Broadcast]:
    """Every broadcast made so far, by ``(origin, seq)`` (each origin delivers its own)."""
    found: dict[tuple[str, int], Broadcast] = {}
    for node_id, node in _broadcast_nodes(sim):
        for msg in node.delivered:
            if msg.origin == node_id:
                found[msg.msg_id] = msg
    return found


def _before(a: dict[str, int], b: dict[str, int]) -> bool:
    """Vector ``a`` happens before vector ``b`` (strict; missing = 0)."""
    nodes = a.keys() | b.keys()
    return a != b and all(a.get(n, 0) <= b.get(n, 0) for n in nodes)


def causal_order_invariant() -> Callable[[Simulation], str | None]:
    """An invariant: every node delivers a message only after every message that happens before it.

    Stateful for speed: each call checks only the deliveries made since the last call.
    """
    checked: dict[str, int] = {}

    def check(sim: Simulation) -> str | None:
        known = all_broadcasts(sim)
        vectors = {msg_id: dict(msg.vc) for msg_id, msg in known.items()}
        for node_id, node in _broadcast_nodes(sim):
            start = checked.get(node_id, 0)
            seen = {m.msg_id for m in node.delivered[:start]}
            for msg in node.delivered[start:]:
                problem = _delivery_problem(node_id, msg, seen, vectors, known)
                if problem:
                    return problem
                seen.add(msg.msg_id)
            checked[node_id] = len(node.delivered)
        return None

    return check


def _delivery_problem(node_id: str, msg: Broadcast, seen: set[tuple[str, int]],
                      vectors: dict[tuple[str, int], dict[str, int]],
                      known: dict[tuple[str, int], Broadcast]) -> str | None:
    """Why delivering ``msg`` after ``seen`` breaks causal order, or None."""
    if msg.msg_id in seen:
        return f"{node_id} delivered {msg} twice"
    mine = dict(msg.vc)
    for other_id in sorted(vectors):
        if other_id not in seen and _before(vectors[other_id], mine):
            return f"{node_id} delivered {msg} before its cause {known[other_id]}"
    return None


def all_delivered(sim: Simulation) -> str | None:
    """Every broadcast has been delivered at every live node (check after stabilizing)."""
    known = all_broadcasts(sim)
    for node_id, node in _broadcast_nodes(sim):
        have = {m.msg_id for m in node.delivered}
        missing = [str(known[i]) for i in sorted(known) if i not in have]
        if missing:
            held = ", ".join(str(m) for m in node.held_back) or "nothing"
            return f"{node_id} never delivered {', '.join(missing)} (held back: {held})"
    return None


def delivered_texts(sim: Simulation) -> dict[str, list[str]]:
    """``{node: [text, ...]}`` in delivery order — the table a notebook shows."""
    return {node_id: [m.text for m in node.delivered] for node_id, node in _broadcast_nodes(sim)}


def held_back_notes(sim: Simulation) -> list[Any]:
    """The trace records of every hold-back, for a notebook to show."""
    return [r for r in sim.trace if r.kind == "note" and str(r.detail).startswith("hold back")]
