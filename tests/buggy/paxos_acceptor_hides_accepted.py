"""Buggy: promises without reporting the proposal it accepted (the proposer cannot obey P2c)."""

from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Nack, Promise


def handle_prepare(state, ballot):
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, state.accepted), Promise(ballot=ballot, accepted=None)


def handle_accept(state, ballot, value):
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, (ballot, value)), Accepted(ballot=ballot, value=value)
