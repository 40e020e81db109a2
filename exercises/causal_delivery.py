"""Exercise: causal delivery (因果一致性) — write the delivery condition ``can_deliver``.

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

Example (the chapter's Everest question): Alice broadcasts the question
stamped ``{Alice: 1}``; Bob delivers it and answers, stamped
``{Alice: 1, Bob: 1}``. If the answer reaches Charlie first (``local`` all
zeros), rule 2 fails for ``Alice`` and Charlie holds the answer back.

What to do: replace the ``raise`` in ``can_deliver`` by your code (TODO).
The simulator's ``CausalBroadcastNode`` calls it for every message it holds.

Check your work with ``consensus-lab check causal_delivery`` (or
``check("causal_delivery")`` in the notebook). The checks test each rule on
small examples and seeded random vectors, then run the Everest scenario and a
sweep of simulated runs with reordered and duplicated messages.
"""

from __future__ import annotations

from collections.abc import Mapping


def can_deliver(sender: str, msg_vc: Mapping[str, int], local: Mapping[str, int]) -> bool:
    """May a message from ``sender`` stamped ``msg_vc`` be delivered at a node with ``local``?"""
    # TODO: rule 1 for the sender's entry, rule 2 for every other node; missing = 0.
    raise NotImplementedError
