"""Logical clocks and causal broadcast (DDIA ch. 9: 因果一致性, 向量時鐘).

* :class:`LamportClock` — one counter; orders events consistently with causality.
* :class:`VectorClock` — one counter per node; tells causally related from concurrent.
* :func:`can_deliver` — the causal delivery condition (BSS 1991), a pure function.
* :class:`CausalBroadcast` — causal broadcast as a step protocol over the immutable
  :class:`CausalState`; inputs carry the local time (``now``).
* :class:`CausalBroadcastNode` / :class:`NaiveBroadcastNode` — simulator nodes that
  run it, delivering broadcasts in causal order (hold-back buffer) or on receipt.
* :func:`everest`, :func:`random_broadcasts` — ready-made runs.
* :func:`causal_events`, :func:`relation` — a run's application events with their
  vector clocks, and happens-before / concurrent between two of them.

The pure modules (``lamport``, ``vector``, ``causal``) import only the standard
library; ``broadcast``, ``timed`` and ``scenarios`` also use :mod:`consensus_lab.sim`.
"""

from consensus_lab.clocks.broadcast import (
    Broadcast,
    CausalBroadcast,
    CausalBroadcastNode,
    CausalState,
    NaiveBroadcastNode,
    format_stamp,
)
from consensus_lab.clocks.causal import (
    DeliveryCondition,
    blocking_reason,
    can_deliver,
    deliver_on_receipt,
    is_stale,
)
from consensus_lab.clocks.errors import ClockError, ClockTypeError
from consensus_lab.clocks.events import (
    CausalEvent,
    causal_events,
    compare_entries,
    delivery_label,
    event_labels,
    event_rows,
    explain_relation,
    find_event,
    relation,
    vector_text,
)
from consensus_lab.clocks.lamport import LamportClock
from consensus_lab.clocks.scenarios import (
    ANSWER,
    EVEREST_NETWORK,
    EVEREST_NODES,
    QUESTION,
    RANDOM_NETWORK,
    WEATHER,
    all_broadcasts,
    all_delivered,
    causal_order_invariant,
    delivered_texts,
    everest,
    everest_nodes,
    held_back_notes,
    random_broadcasts,
    submit_everest,
)
from consensus_lab.clocks.vector import Stamp, VectorClock

__all__ = [
    "ANSWER", "Broadcast", "CausalBroadcast", "CausalBroadcastNode", "CausalEvent",
    "CausalState", "ClockError",
    "ClockTypeError", "DeliveryCondition", "EVEREST_NETWORK", "EVEREST_NODES", "LamportClock",
    "NaiveBroadcastNode", "QUESTION", "RANDOM_NETWORK", "Stamp", "VectorClock", "WEATHER",
    "all_broadcasts", "all_delivered", "blocking_reason", "can_deliver", "causal_events",
    "causal_order_invariant", "compare_entries", "deliver_on_receipt", "delivered_texts",
    "delivery_label", "event_labels", "event_rows", "everest", "everest_nodes",
    "explain_relation", "find_event", "format_stamp", "held_back_notes", "is_stale",
    "random_broadcasts", "relation", "submit_everest", "vector_text",
]
