"""Exercise: the Paxos acceptor (接受者 Acceptor) — reference solution.

The rules (Lamport, "Paxos Made Simple" §2.2, phase 1b and phase 2b):

1. Prepare(n): unless a ballot above n is promised, promise n and report the
   accepted proposal in the Promise.
2. Accept(n, v): unless a ballot above n is promised, accept (n, v); that
   promises n too.
3. Anything refused: Nack naming the promise, state unchanged.

Check with ``consensus-lab check paxos_acceptor --answers solutions``.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Ballot, Nack, Promise


def _refuses(state: AcceptorState, ballot: Ballot) -> bool:
    """P1a: a ballot below the promise may take no part any more."""
    return state.promised is not None and ballot < state.promised


def handle_prepare(state: AcceptorState, ballot: Ballot) -> tuple[AcceptorState, Promise | Nack]:
    """Phase 1b: the new state and the reply to ``Prepare(ballot)``."""
    if _refuses(state, ballot):
        return state, Nack(ballot=ballot, promised=state.promised)  # type: ignore[arg-type]
    new = AcceptorState(promised=ballot, accepted=state.accepted)
    return new, Promise(ballot=ballot, accepted=state.accepted)


def handle_accept(state: AcceptorState, ballot: Ballot,
                  value: Any) -> tuple[AcceptorState, Accepted | Nack]:
    """Phase 2b: the new state and the reply to ``Accept(ballot, value)``."""
    if _refuses(state, ballot):
        return state, Nack(ballot=ballot, promised=state.promised)  # type: ignore[arg-type]
    new = AcceptorState(promised=ballot, accepted=(ballot, value))
    return new, Accepted(ballot=ballot, value=value)
