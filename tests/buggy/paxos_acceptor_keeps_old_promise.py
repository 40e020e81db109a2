"""Buggy: accepting a ballot above the promise leaves the promise where it was, so a late,
lower Accept can overwrite a proposal that may already be chosen."""

from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Nack, Promise


def handle_prepare(state, ballot):
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, state.accepted), Promise(ballot=ballot, accepted=state.accepted)


def handle_accept(state, ballot, value):
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(state.promised, (ballot, value)), Accepted(ballot=ballot, value=value)
