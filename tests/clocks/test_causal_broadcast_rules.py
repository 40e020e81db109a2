"""Causal broadcast, one step at a time: the returned state and effects, in order, with rules.

References: Birman, Schiper & Stephenson, "Lightweight Causal and Atomic
Group Multicast" (TOCS 1991): the delivery condition and the hold-back
buffer; Fidge 1988 / Mattern 1989: the vector clock rules (tick, merge).
"""

from __future__ import annotations

import dataclasses

import pytest

from consensus_lab.clocks import Broadcast, CausalBroadcast, CausalState
from consensus_lab.clocks.broadcast import (
    DELIVER_RULE,
    DUPLICATE_RULE,
    HOLD_BACK_RULE,
    NAIVE_DELIVER_RULE,
    REPLY_RULE,
    SEND_RULE,
    UNKNOWN_RULE,
)
from consensus_lab.clocks.causal import deliver_on_receipt
from consensus_lab.clocks.vector import MERGE_RULE, TICK_RULE
from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import Deliver, Fire, Note, Persist, Reply, Request, Send

PEERS = ("B", "C")
Q = Broadcast(origin="A", text="question", vc=(("A", 1), ("B", 0), ("C", 0)))
ANS = Broadcast(origin="B", text="answer", vc=(("A", 1), ("B", 1), ("C", 0)))


def boot(protocol: CausalBroadcast | None = None, node: str = "C",
         stored: dict | None = None) -> tuple[CausalBroadcast, CausalState]:
    protocol = protocol or CausalBroadcast()
    peers = tuple(n for n in ("A", "B", "C") if n != node)
    state, effects = protocol.start(node, peers, stored or {})
    assert effects == ()
    return protocol, state


def receive(protocol: CausalBroadcast, state: CausalState, msg: Broadcast,
            now: int = 10) -> tuple[CausalState, tuple]:
    return protocol.step(state, Deliver(msg.origin, msg, now))


def shape(effects: tuple) -> list[tuple[str, str]]:
    """(kind, rule) of every effect, in order."""
    return [(type(e).__name__, e.rule) for e in effects]


def test_the_state_is_an_immutable_hashable_value() -> None:
    """Equal states are interchangeable: frozen, slotted, hashable, no mutable parts."""
    protocol, state = boot()
    assert state == boot()[1] and hash(state) == hash(boot()[1])
    assert state.clock == (("A", 0), ("B", 0), ("C", 0)) and state.held_back == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.clock = ()  # type: ignore[misc]
    after, _ = receive(protocol, state, ANS)
    assert state.held_back == () and after.held_back == (ANS,)  # the old value is unchanged
    hash(after)


def test_broadcast_ticks_own_entry_delivers_locally_then_sends_then_replies() -> None:
    """Rule 1 (V[i] += 1), local delivery logged and noted, a Send per peer, then the Reply."""
    protocol, state = boot(node="A")
    request = ClientRequest(id=1, client="c1", f="broadcast", value="hi")
    state, effects = protocol.step(state, Request(request, 7))
    msg = Broadcast(origin="A", text="hi", vc=(("A", 1), ("B", 0), ("C", 0)))
    assert shape(effects) == [("Persist", TICK_RULE), ("Note", DELIVER_RULE),
                              ("Send", SEND_RULE), ("Send", SEND_RULE), ("Reply", REPLY_RULE)]
    assert effects[0] == Persist("delivered", ((msg, 7),), TICK_RULE)
    assert [(e.dst, e.msg) for e in effects if isinstance(e, Send)] == [("B", msg), ("C", msg)]
    assert effects[-1] == Reply(request, "[A:1 B:0 C:0]", rule=REPLY_RULE)
    assert state.clock == msg.vc and state.delivered == ((msg, 7),)


def test_answer_before_question_is_held_back_with_the_reason() -> None:
    """BSS 1991: W[A] = 1 > V[A] = 0, so the answer waits; nothing is persisted or sent."""
    protocol, state = boot()
    state, effects = receive(protocol, state, ANS)
    assert state.held_back == (ANS,) and state.delivered == ()
    assert shape(effects) == [("Note", HOLD_BACK_RULE)]
    assert effects[0].text == "hold back B#1 'answer': waits for A#1"


def test_the_question_releases_the_answer_merge_then_log_each_in_causal_order() -> None:
    """Delivering the question makes the answer deliverable: both in one step, question first;
    each delivery persists the log (merge rule) before its note."""
    protocol, state = boot()
    state, _ = receive(protocol, state, ANS, now=5)
    state, effects = receive(protocol, state, Q, now=9)
    assert shape(effects) == [("Persist", MERGE_RULE), ("Note", DELIVER_RULE)] * 2
    assert [m for m, _ in state.delivered] == [Q, ANS] and state.held_back == ()
    assert state.delivered == ((Q, 9), (ANS, 9))
    assert effects[0] == Persist("delivered", ((Q, 9),), MERGE_RULE)
    assert effects[2] == Persist("delivered", ((Q, 9), (ANS, 9)), MERGE_RULE)
    assert state.clock == (("A", 1), ("B", 1), ("C", 0))


def test_one_step_notes_each_delivery_in_order() -> None:
    """Q releases the held-back answer: two notes, Q's first; the trace labels both with
    the state after the whole step (one rule for every protocol)."""
    protocol, state = boot()
    state, _ = receive(protocol, state, ANS)
    after, effects = receive(protocol, state, Q)
    notes = [e.text for e in effects if isinstance(e, Note)]
    assert len(notes) == 2 and "A#1" in notes[0] and "B#1" in notes[1]
    assert protocol.describe(state) == "vc=[A:0 B:0 C:0] held=[B#1] delivered=0"
    assert protocol.describe(after) == "vc=[A:1 B:1 C:0] held=[] delivered=2"


def test_duplicates_are_discarded_whether_delivered_or_held() -> None:
    """BSS 1991: a message seen before changes nothing."""
    protocol, state = boot()
    held, _ = receive(protocol, state, ANS)
    for before, msg in ((held, ANS), (receive(protocol, state, Q)[0], Q)):
        after, effects = receive(protocol, before, msg)
        assert after == before
        assert shape(effects) == [("Note", DUPLICATE_RULE)]
        assert effects[0].text == f"ignore duplicate {msg.origin}#{msg.seq}"


def test_delivering_a_question_runs_the_application_reply() -> None:
    """Bob delivers the question, then broadcasts his answer stamped after it."""
    protocol, state = boot(CausalBroadcast(replies={"question": "answer"}), node="B")
    state, effects = receive(protocol, state, Q)
    assert shape(effects) == [("Persist", MERGE_RULE), ("Note", DELIVER_RULE),
                              ("Persist", TICK_RULE), ("Note", DELIVER_RULE),
                              ("Send", SEND_RULE), ("Send", SEND_RULE)]
    assert [e.msg for e in effects if isinstance(e, Send)] == [ANS, ANS]


def test_naive_condition_delivers_on_receipt_and_says_so() -> None:
    protocol, state = boot(CausalBroadcast(condition=deliver_on_receipt))
    state, effects = receive(protocol, state, ANS)
    assert shape(effects) == [("Persist", MERGE_RULE), ("Note", NAIVE_DELIVER_RULE)]
    assert state.held_back == ()


def test_start_rebuilds_the_clock_from_the_persisted_log_only() -> None:
    """A crash keeps the delivery log and loses the hold-back buffer."""
    protocol, state = boot()
    state, _ = receive(protocol, state, ANS)
    state, effects = receive(protocol, state, Q)
    stored = {e.key: e.value for e in effects if isinstance(e, Persist)}
    _, recovered = boot(protocol, stored=stored)
    assert recovered.clock == state.clock and recovered.delivered == state.delivered
    _, lost = boot(protocol, stored={})
    assert lost.held_back == () and lost.delivered == ()


def test_unknown_operation_is_refused_and_timers_do_nothing() -> None:
    protocol, state = boot()
    request = ClientRequest(id=2, client="c1", f="put")
    after, effects = protocol.step(state, Request(request, 0))
    assert after == state and shape(effects) == [("Reply", UNKNOWN_RULE)]
    assert not effects[0].ok and "unknown operation 'put'" in effects[0].value
    assert protocol.step(state, Fire("x", 0)) == (state, ())


def test_the_delivery_time_is_the_input_clock() -> None:
    """The protocol reads no clock: the time comes with the input (its ``now``)."""
    protocol, state = boot()
    for now in (0, 42):
        after, _ = protocol.step(state, Deliver("A", Q, now))
        assert after.delivered[-1][1] == now
