"""Buggy: accepts any Accept, even one below the ballot it promised (breaks P1a)."""

from consensus_lab.grading.paxos_common import AcceptorState
from consensus_lab.paxos import Accepted, Nack, Promise


def handle_prepare(state, ballot):
    if state.promised is not None and ballot < state.promised:
        return state, Nack(ballot=ballot, promised=state.promised)
    return AcceptorState(ballot, state.accepted), Promise(ballot=ballot, accepted=state.accepted)


def handle_accept(state, ballot, value):
    promised = ballot if state.promised is None else max(state.promised, ballot)
    return AcceptorState(promised, (ballot, value)), Accepted(ballot=ballot, value=value)
