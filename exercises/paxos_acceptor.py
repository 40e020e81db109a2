"""Exercise: the Paxos acceptor (接受者 Acceptor) — write ``handle_prepare`` and ``handle_accept``.

An acceptor remembers two things (and keeps them on disk): ``promised``, the
highest ballot it has promised, and ``accepted``, the proposal it accepted
last as ``(ballot, value)``. Both start as None. The rules (Lamport, "Paxos
Made Simple" §2.2, phase 1b and phase 2b; DDIA ch. 9, 共識 consensus):

1. **Prepare(n)**: if no ballot above ``n`` is promised, promise ``n``: the
   new state has ``promised = n``, and the reply is ``Promise(ballot=n,
   accepted=state.accepted)`` — it reports the proposal already accepted, so
   the proposer can adopt its value (rule P2c). A Prepare for the very
   ballot already promised (a resent message) may be promised again.
2. **Accept(n, v)**: if no ballot above ``n`` is promised (P1a: "an acceptor
   can accept a proposal numbered n iff it has not responded to a prepare
   request having a number greater than n"), accept it: the new state is
   ``promised = n, accepted = (n, v)`` — accepting n is a promise of n too —
   and the reply is ``Accepted(ballot=n, value=v)``.
3. Anything refused is answered ``Nack(ballot=n, promised=state.promised)``
   and leaves the state as it was.

Ballots are :class:`~consensus_lab.paxos.Ballot` objects ``(round,
proposer_id)``; they compare with ``<``, ``>``, ``==`` (by round, then id).
The state is an :class:`AcceptorState` (frozen: make a new one, e.g.
``AcceptorState(promised=n, accepted=state.accepted)``).

Example: in state ``promised=2.p1, accepted=(1.p2, 'x')``, ``Prepare(3.p1)``
gives the state ``promised=3.p1, accepted=(1.p2, 'x')`` and the reply
``Promise(3.p1, accepted=(1.p2, 'x'))``; ``Accept(1.p2, 'y')`` gives
``Nack(1.p2, promised=2.p1)`` and no change.

What to do: replace each ``raise NotImplementedError`` by your code (TODO).
Keep the signatures; the functions only read their arguments.

Check your work with ``consensus-lab check paxos_acceptor`` (or
``check("paxos_acceptor")`` in notebook 08). The checks try each rule on
small examples, compare your answers with the rules on hundreds of random
cases, run 300 simulated clusters whose acceptors use your functions, and
then let the model checker try every schedule of a small cluster: if two
values can be chosen it shows you the schedule, move by move.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Ballot, Nack, Promise


def handle_prepare(state: AcceptorState, ballot: Ballot) -> tuple[AcceptorState, Promise | Nack]:
    """Phase 1b: the new state and the reply to ``Prepare(ballot)`` (rules 1 and 3)."""
    # TODO: refuse a ballot below state.promised; else promise it and report state.accepted.
    raise NotImplementedError


def handle_accept(state: AcceptorState, ballot: Ballot,
                  value: Any) -> tuple[AcceptorState, Accepted | Nack]:
    """Phase 2b: the new state and the reply to ``Accept(ballot, value)`` (rules 2 and 3)."""
    # TODO: refuse a ballot below state.promised; else accept (ballot, value) and promise ballot.
    raise NotImplementedError
