"""The causal delivery condition (因果一致性): when may a broadcast message be delivered?

Theory of operation (Birman, Schiper & Stephenson, "Lightweight Causal and
Atomic Group Multicast", ACM TOCS 1991 — the CBCAST protocol; DDIA ch. 9):

In causal broadcast each node ``i`` keeps a vector ``local`` in which
``local[k]`` counts the broadcasts *from node k that i has delivered*. To
broadcast, node ``i`` increments ``local[i]`` and stamps the message with a
copy of ``local`` (so the stamp says: "this is my ``V[i]``-th message, sent
after I had delivered ``V[k]`` messages from each ``k``"). Node ``i`` may
deliver a message ``m`` from sender ``j`` stamped ``V`` when

1. ``V[j] == local[j] + 1`` — ``m`` is the very next message from ``j``
   (nothing earlier from ``j`` is missing, and ``m`` is not a duplicate), and
2. ``V[k] <= local[k]`` for every ``k != j`` — ``i`` has already delivered
   every message that ``j`` had delivered before sending ``m``.

Otherwise ``m`` waits in a hold-back buffer. After delivering ``m``, node
``i`` sets ``local[j] = V[j]`` (equivalently ``local = max(local, V)``), which
may make held-back messages deliverable. Missing entries count as 0.

Note the difference from the general vector clock rules in
:mod:`consensus_lab.clocks.vector`: here only *broadcasts* are counted.
Receiving does not tick the receiver's own entry — otherwise ``V[j]`` would
count ``j``'s receives as well and rule 1 could never be satisfied.

Everything here is a pure function of its arguments; the simulator node that
uses it is :class:`consensus_lab.clocks.broadcast.CausalBroadcastNode`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

#: ``condition(sender, msg_vc, local) -> bool``: may the message be delivered now?
DeliveryCondition = Callable[[str, Mapping[str, int], Mapping[str, int]], bool]


def can_deliver(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> bool:
    """The causal delivery condition (BSS 1991): next from ``sender``, no missing dependency.

    ``V[j] == local[j] + 1`` for the sender ``j`` and ``V[k] <= local[k]`` for
    every other ``k``; missing entries count as 0. Does not modify its arguments.
    """
    return blocking_reason(sender, msg_vc, local) is None


def deliver_on_receipt(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> bool:
    """The naive condition: always deliverable (no causal ordering at all)."""
    del sender, msg_vc, local
    return True


def is_stale(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> bool:
    """True when a message from ``sender`` was already delivered: ``V[j] <= local[j]``.

    Such a message is a duplicate (the network delivered it twice) and is dropped.
    """
    return msg_vc.get(sender, 0) <= local.get(sender, 0)


def blocking_reason(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> str | None:
    """Why the message cannot be delivered yet, in one line; ``None`` when it can.

    >>> blocking_reason("B", {"A": 1, "B": 1}, {"A": 0, "B": 0})
    'waits for A#1'
    """
    seq, have = msg_vc.get(sender, 0), local.get(sender, 0)
    if seq <= have:
        return f"not new: {sender}#{seq} is already counted here ({sender}:{have})"
    if seq > have + 1:
        return f"waits for {sender}#{have + 1}"
    for node in sorted(msg_vc.keys() | local.keys()):
        if node != sender and msg_vc.get(node, 0) > local.get(node, 0):
            return f"waits for {node}#{local.get(node, 0) + 1}"
    return None
