"""Exercise: causal delivery (因果一致性) — reference solution.

The rule (Birman, Schiper & Stephenson 1991, causal broadcast; DDIA ch. 9):

Every node ``i`` keeps a vector ``local`` where ``local[k]`` counts the
broadcasts from node ``k`` that ``i`` has *delivered* (向量時鐘). A sender ``j``
increments its own entry and stamps its broadcast with its vector ``V``. Node
``i`` may deliver that message when

1. ``V[j] == local[j] + 1`` — it is the next message from ``j`` (not a gap,
   not a duplicate), and
2. ``V[k] <= local[k]`` for every other node ``k`` — ``i`` has already
   delivered everything ``j`` had delivered before it sent the message.

Otherwise the message is held back until its predecessors arrive. A node
missing from a vector has counter 0. The function only reads its arguments.

Check with ``consensus-lab check causal_delivery --answers solutions``.
"""

from __future__ import annotations

from collections.abc import Mapping


def can_deliver(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> bool:
    """May a message from ``sender`` stamped ``msg_vc`` be delivered at a node with ``local``?"""
    if msg_vc.get(sender, 0) != local.get(sender, 0) + 1:
        return False
    others = (msg_vc.keys() | local.keys()) - {sender}
    return all(msg_vc.get(k, 0) <= local.get(k, 0) for k in others)
