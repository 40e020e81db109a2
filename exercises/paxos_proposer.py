"""Exercise: the Paxos proposer's choice (提議者 Proposer) — write ``choose_value``.

After phase 1 a proposer holds the ``Promise`` messages of a majority of
acceptors for its ballot. Each promise's ``accepted`` is the proposal that
acceptor has accepted, as ``(ballot, value)``, or None. The rule (Lamport,
"Paxos Made Simple" §2.2, P2c; DDIA ch. 9, 共識 consensus):

    propose the value of the highest-numbered proposal among the promises'
    accepted proposals; your own value only if none of them reports one.

Why: a value may already be chosen by a majority you did not hear from.
Every majority shares an acceptor with yours, and the highest-ballot
proposal you see is the one that may have been chosen — proposing anything
else could choose a second value.

``promises`` is a list of :class:`~consensus_lab.paxos.Promise` in the order
they arrived (``promise.ballot``, ``promise.accepted``). Ballots are
:class:`~consensus_lab.paxos.Ballot` objects ``(round, proposer_id)``; they
compare with ``<`` and ``>`` (by round, then id), and ``max`` works on them.

Example: promises reporting ``(1.p1, 'red')``, None and ``(2.p2, 'green')``
→ ``'green'``; promises reporting nothing → ``own_value``.

What to do: replace ``raise NotImplementedError`` by your code (TODO). Keep
the signature; the function only reads its arguments.

Check your work with ``consensus-lab check paxos_proposer`` (or
``check("paxos_proposer")`` in notebook 08). The checks try the rule on
small examples and hundreds of random ones, run 300 simulated clusters
whose proposers use your function, and then let the model checker try every
schedule of a small contested cluster: if two values can be chosen it shows
you the schedule, move by move.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.paxos import Promise


def choose_value(promises: list[Promise], own_value: Any) -> Any:
    """The value to propose in phase 2, given a majority's promises (rule P2c)."""
    # TODO: among the promises that report an accepted proposal, take the highest ballot's
    # value; if none reports one, your own value.
    raise NotImplementedError
