"""One test per rule of 2PC, 3PC and the replicated coordinator: one pure step at a time.

Each test calls a protocol's ``start`` / ``step`` and asserts on the state
value and the effects it returns — their order (the log record before the
message that depends on it) and the rule each carries. Each docstring
quotes the rule and cites where it comes from (Gray 1978; Bernstein,
Hadzilacos & Goodman 1987 ch. 7 — "BHG"; Skeen 1981; Gray & Lamport 2006;
DDIA ch. 9).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from consensus_lab.commit import (
    ABORT,
    COMMIT,
    COORDINATOR_TABLE,
    PARTICIPANT_TABLE,
    CommitConfig,
    CoordinatorProtocol,
    Decision,
    DecisionRequest,
    ParticipantProtocol,
    Prepare,
    ReplicaProtocol,
    ThreePCParticipantProtocol,
    Vote,
    commit_protocols,
    config_for,
    coordinator_recovery_event,
    in_doubt_event,
    participant_recovery_event,
    replicated,
    saga,
    termination_event,
    threepc,
    twopc,
    vote_event,
)
from consensus_lab.commit.machine import RULE_IGNORE, RULE_MOVE, check_table
from consensus_lab.commit.messages import PreCommit, StateReport, StateRequest, StepRequest
from consensus_lab.paxos.ballot import Ballot
from consensus_lab.paxos.messages import Accept, Accepted, Promise
from consensus_lab.paxos.messages import Prepare as PaxosPrepare
from consensus_lab.sim.step import CancelTimer, Deliver, Fire, Note, Persist, Send, SetTimer

PEERS_C = ("p1", "p2", "p3")
PEERS_P = ("c1", "p2", "p3")


# ------------------------------------------------------------------ helpers
def kinds(effects):
    """``persist:tx``, ``send``, ``timer:votes``, ``cancel:votes``, ``note`` — in order."""
    out = []
    for e in effects:
        match e:
            case Persist(key):
                out.append(f"persist:{key}")
            case Send():
                out.append("send")
            case SetTimer(name):
                out.append(f"timer:{name}")
            case CancelTimer(name):
                out.append(f"cancel:{name}")
            case Note():
                out.append("note")
    return out


def sent(effects):
    return [(e.dst, e.msg) for e in effects if isinstance(e, Send)]


def persisted(effects, stored=None):
    """What stable storage holds after ``effects`` (on top of ``stored``)."""
    storage = dict(stored or {})
    storage.update((e.key, e.value) for e in effects if isinstance(e, Persist))
    return storage


def timers(effects):
    return [(e.name, e.low, e.high) for e in effects if isinstance(e, SetTimer)]


def run(protocol, state, *events):
    """Step through ``events``; the last state and every effect, in order."""
    effects = []
    for event in events:
        state, more = protocol.step(state, event)
        effects.extend(more)
    return state, tuple(effects)


def started_coordinator(stored=None, config=None):
    protocol = CoordinatorProtocol(config)
    state, effects = protocol.start("c1", PEERS_C, stored or {})
    return protocol, state, effects


def started_participant(stored=None, **kw):
    protocol = ParticipantProtocol(**kw)
    state, effects = protocol.start("p1", PEERS_P, stored or {})
    return protocol, state, effects


def yes(src):
    return Deliver(src, Vote(tx="T1", yes=True))


# ------------------------------------------------------------------ state values
def test_states_are_immutable_hashable_values():
    """sim.step: a state is an immutable, hashable value; equal states behave the same."""
    _, state, _ = started_coordinator()
    with pytest.raises(FrozenInstanceError):
        state.phase = "committed"
    again = started_coordinator()[1]
    assert state == again and hash(state) == hash(again)
    for protocol in commit_protocols("replicated").values():
        hash(protocol.start("c1", ("c2", "c3", "p1", "p2", "p3"), {})[0])


def test_start_rebuilds_the_state_from_stored_alone():
    """A crash keeps exactly what was persisted: two starts from the same storage agree."""
    protocol, state, effects = started_participant()
    state, more = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    stored = persisted(effects + more)
    assert stored == {"tx": "T1", "log": "prepared"}
    first, _ = protocol.start("p1", PEERS_P, stored)
    second, _ = protocol.start("p1", PEERS_P, stored)
    assert first == second and first.phase == "prepared" and first.locks == ("row",)


# ------------------------------------------------------------------ coordinator
def test_coordinator_logs_begin_before_any_prepare():
    """BHG §7.4: the coordinator writes a start record before sending Prepare (so a
    restart knows the transaction existed), then Prepare goes to every participant."""
    _, state, effects = started_coordinator()
    assert state.phase == "preparing"
    assert kinds(effects) == ["note", "persist:tx", "send", "send", "send", "timer:votes"]
    assert effects[1] == Persist("tx", ("T1", PEERS_C), twopc.RULE_LOG_BEGIN)
    assert sent(effects) == [(p, Prepare(tx="T1")) for p in PEERS_C]
    assert {e.rule for e in effects if isinstance(e, Send)} == {twopc.RULE_PREPARE}
    vote_timeout = CommitConfig().vote_timeout
    assert ("votes", vote_timeout, vote_timeout) in timers(effects)


def test_commit_needs_a_yes_from_every_participant():
    """BHG §7.3 AC: "the coordinator decides commit only if all participants voted Yes"."""
    protocol, state, _ = started_coordinator()
    state, effects = run(protocol, state, yes("p1"), yes("p2"))
    assert state.phase == "preparing" and sent(effects) == []
    assert state.yes_votes == {"p1", "p2"}
    state, _ = protocol.step(state, yes("p3"))
    assert state.phase == "committed"


def test_commit_is_logged_before_it_is_sent():
    """DDIA ch. 9: "the coordinator writes its commit decision to its log on disk before
    sending it" — the commit point (Gray 1978)."""
    protocol, state, _ = started_coordinator()
    state, _ = run(protocol, state, yes("p1"), yes("p2"))
    state, effects = protocol.step(state, yes("p3"))
    assert kinds(effects) == ["note", "persist:decision", "cancel:votes", "send", "send", "send"]
    assert effects[1] == Persist("decision", COMMIT, twopc.RULE_COMMIT_POINT)
    assert persisted(effects)["decision"] == COMMIT
    assert sent(effects) == [(p, Decision(tx="T1", outcome=COMMIT)) for p in PEERS_C]
    assert [e.rule for e in effects if isinstance(e, Send)] == [twopc.RULE_DECISION] * 3
    assert state.decision == COMMIT


def test_no_log_coordinator_sends_commit_without_the_commit_point():
    """The ``no-log-coordinator`` bug: the same row, without the Persist."""
    protocol, state, _ = started_coordinator(config=config_for("no-log-coordinator"))
    _, effects = run(protocol, state, yes("p1"), yes("p2"), yes("p3"))
    assert "persist:decision" not in kinds(effects)
    assert sent(effects) == [(p, Decision(tx="T1", outcome=COMMIT)) for p in PEERS_C]


def test_one_no_aborts_everyone():
    """BHG §7.3: a No vote means abort; under presumed abort nothing need be logged."""
    protocol, state, _ = started_coordinator()
    state, effects = protocol.step(state, Deliver("p2", Vote(tx="T1", yes=False)))
    assert state.phase == "aborted"
    assert "decision" not in persisted(effects)
    assert sent(effects) == [(p, Decision(tx="T1", outcome=ABORT)) for p in PEERS_C]


def test_missing_votes_at_the_timeout_abort():
    """BHG §7.3: a coordinator that times out waiting for votes may decide abort."""
    protocol, state, _ = started_coordinator()
    state, _ = run(protocol, state, yes("p1"), Fire("votes"))
    assert state.phase == "aborted"


@pytest.mark.parametrize(("stored", "event", "state"), [
    ({}, "begin", "preparing"),
    ({"tx": ("T1", PEERS_C), "decision": COMMIT}, "recover: commit logged", "committed"),
    ({"tx": ("T1", PEERS_C)}, "recover: no decision logged", "aborted"),
])
def test_coordinator_recovery_rule(stored, event, state):
    """Mohan et al. 1986 (presumed abort): with a commit record, re-send Commit;
    with none, the answer is abort."""
    assert coordinator_recovery_event(stored) == event
    _, value, effects = started_coordinator(stored)
    assert value.phase == state
    if state != "preparing":
        outcome = COMMIT if state == "committed" else ABORT
        assert sent(effects) == [(p, Decision(tx="T1", outcome=outcome)) for p in PEERS_C]
        assert not any(isinstance(e, Persist) for e in effects)  # nothing new to log


def test_decided_coordinator_answers_a_question():
    """BHG §7.4 (cooperative termination): an in-doubt participant asks; the coordinator
    that knows the outcome tells it."""
    protocol, state, _ = started_coordinator({"tx": ("T1", PEERS_C), "decision": COMMIT})
    same, effects = protocol.step(state, Deliver("p2", DecisionRequest(tx="T1")))
    assert effects == (Send("p2", Decision(tx="T1", outcome=COMMIT), twopc.RULE_ANSWER),)
    assert same == state


def test_an_event_with_no_row_is_ignored_with_a_note():
    """Transition table: a late vote changes nothing; the note says it was ignored."""
    protocol, state, _ = started_coordinator({"tx": ("T1", PEERS_C), "decision": COMMIT})
    same, effects = protocol.step(state, yes("p1"))
    assert same == state
    assert effects == (Note("committed: ignores Yes", RULE_IGNORE),)


# ------------------------------------------------------------------ participant
def test_yes_vote_is_preceded_by_the_prepared_record():
    """DDIA ch. 9: "a participant that votes yes must first write its prepared state
    durably" (BHG §7.3: the prepared record); from then on it is in doubt, locks held."""
    protocol, state, _ = started_participant()
    state, effects = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    assert kinds(effects) == ["note", "persist:log", "cancel:abort", "send", "timer:ask"]
    assert effects[0] == Note("working -> prepared on Prepare, vote Yes", RULE_MOVE)
    assert effects[1] == Persist("log", "prepared", twopc.RULE_PREPARED)
    assert sent(effects) == [("c1", Vote(tx="T1", yes=True))]
    assert effects[3].rule == twopc.RULE_YES
    assert state.in_doubt and state.locks == ("row",)


def test_forgetful_participant_votes_yes_without_the_prepared_record():
    """The ``forgetful-participant`` bug: the same row, without the Persist."""
    protocol, state, _ = started_participant(config=config_for("forgetful-participant"))
    _, effects = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    assert "persist:log" not in kinds(effects)
    assert sent(effects) == [("c1", Vote(tx="T1", yes=True))]


def test_no_vote_aborts_at_once_and_releases_locks():
    """BHG §7.3: a participant that votes No may abort at once (its No decides)."""
    protocol, state, _ = started_participant(vote_yes=False)
    state, effects = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    assert state.phase == "aborted" and state.locks == ()
    assert sent(effects) == [("c1", Vote(tx="T1", yes=False))]
    assert kinds(effects).index("persist:log") < kinds(effects).index("send")


def test_participant_may_abort_on_its_own_before_voting():
    """BHG §7.3: before it votes Yes a participant may abort unilaterally; it then
    answers Prepare with No."""
    protocol, state, effects = started_participant(abort_after=5)
    assert ("abort", 5, 5) in timers(effects)
    assert next(e for e in effects if isinstance(e, SetTimer) and e.name == "abort").rule == \
        twopc.RULE_ABORT_TIMER
    state, _ = protocol.step(state, Fire("abort"))
    assert state.phase == "aborted"
    _, effects = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    assert sent(effects) == [("c1", Vote(tx="T1", yes=False))]


def test_in_doubt_participant_waits_and_asks():
    """DDIA ch. 9: once it voted Yes a participant must wait for the coordinator; it can
    neither commit nor abort on its own. It asks again on a timer."""
    protocol, state, _ = started_participant()
    state, _ = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    state, effects = protocol.step(state, Fire("ask"))
    assert state.phase == "prepared" and state.locks == ("row",)
    assert sent(effects) == [("c1", DecisionRequest(tx="T1"))]
    ask_after = CommitConfig().ask_after
    assert ("ask", ask_after, ask_after) in timers(effects)
    assert [e.rule for e in effects] == [RULE_IGNORE if isinstance(e, Note) else
                                         twopc.RULE_ASK if isinstance(e, Send) else
                                         twopc.RULE_ASK_LATER for e in effects]
    assert in_doubt_event(CommitConfig()) == "ask timeout"
    assert in_doubt_event(config_for("commit-on-timeout")) == "give up: commit"


def test_commit_on_timeout_gives_up_and_commits():
    """The ``commit-on-timeout`` bug: an in-doubt participant decides alone."""
    protocol, state, _ = started_participant(config=config_for("commit-on-timeout"))
    state, _ = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    state, effects = protocol.step(state, Fire("ask"))
    assert state.phase == "committed" and persisted(effects)["log"] == COMMIT


@pytest.mark.parametrize(("stored", "event", "state", "locks"), [
    ({}, "join", "working", ("row",)),
    ({"tx": "T1", "log": "prepared"}, "recover: prepared", "prepared", ("row",)),
    ({"tx": "T1", "log": COMMIT}, "recover: committed", "committed", ()),
    ({"tx": "T1", "log": ABORT}, "recover: aborted", "aborted", ()),
    ({"tx": "T1"}, "recover: nothing logged", "aborted", ()),
])
def test_participant_recovery_rule(stored, event, state, locks):
    """BHG §7.4: a participant that restarts with a prepared record is in doubt again
    (takes its locks back and asks); without one it had not voted Yes and aborts."""
    assert participant_recovery_event(stored) == event
    _, value, effects = started_participant(stored)
    assert (value.phase, value.locks) == (state, locks)
    if state == "prepared":
        assert ("c1", DecisionRequest(tx="T1")) in sent(effects)


def test_decision_releases_locks():
    """Strict two-phase locking: the locks go only with the outcome, after it is logged."""
    protocol, state, _ = started_participant()
    state, _ = protocol.step(state, Deliver("c1", Prepare(tx="T1")))
    state, effects = protocol.step(state, Deliver("c1", Decision(tx="T1", outcome=COMMIT)))
    assert state.phase == "committed" and state.locks == ()
    assert persisted(effects)["log"] == COMMIT
    assert kinds(effects) == ["note", "persist:log", "cancel:ask", "cancel:abort"]
    assert effects[1].rule == twopc.RULE_LOG_OUTCOME
    assert effects[2].rule == effects[3].rule == twopc.RULE_RELEASE


def test_vote_event_unanimity_and_the_majority_bug():
    """The decision rule: unanimity; ``majority-commit`` wrongly settles for a majority."""
    two = frozenset({"p1"})
    assert vote_event(two, PEERS_C, "p2", True, CommitConfig()) == "Yes"
    assert vote_event(two, PEERS_C, "p2", True, config_for("majority-commit")) == "Yes from all"
    assert vote_event(two, PEERS_C, "p2", False, CommitConfig()) == "No"


def test_tables_name_real_states_and_actions():
    """Every row of a table names a known state and an existing action method."""
    check_table(COORDINATOR_TABLE, ("init", "preparing", "committed", "aborted"),
                CoordinatorProtocol)
    bad = {**PARTICIPANT_TABLE, ("working", "oops"): ("working", ("no_such_action",))}
    with pytest.raises(ValueError, match="no_such_action"):
        check_table(bad, ("init", "working", "prepared", "committed", "aborted"),
                    ParticipantProtocol)


def test_every_effect_carries_a_rule():
    """sim.step: every effect names the rule it carries out."""
    for name, protocol in commit_protocols("2pc").items():
        peers = tuple(i for i in ("c1", "p1", "p2", "p3") if i != name)
        _, effects = protocol.start(name, peers, {})
        assert effects and all(e.rule for e in effects), name


# ------------------------------------------------------------------ 3PC
@pytest.mark.parametrize(("own", "reports", "event"), [
    ("uncertain", {"p2": "committed"}, "terminate: commit"),
    ("precommitted", {"p2": "aborted"}, "terminate: abort"),
    ("uncertain", {"p2": "working"}, "terminate: abort"),
    ("uncertain", {"p2": "precommitted"}, "terminate: precommit first"),
    ("precommitted", {"p2": "precommitted"}, "terminate: commit"),
    ("uncertain", {"p2": "uncertain"}, "terminate: abort"),
    ("uncertain", {}, "terminate: abort"),
])
def test_termination_rules(own, reports, event):
    """BHG §7.5 TR1-TR4: any aborted → abort; any committed → commit; some
    pre-committed → pre-commit the rest, then commit; all uncertain → abort."""
    assert termination_event(own, reports) == event


def test_3pc_state_is_logged_before_the_vote_and_the_ack():
    """Skeen 1981: a participant forces uncertain (then pre-committed) to its log before
    it answers with its Yes (then its Ack)."""
    protocol = ThreePCParticipantProtocol()
    state, _ = protocol.start("p1", PEERS_P, {})
    state, effects = protocol.step(state, Deliver("c1", threepc.CanCommit(tx="T1")))
    assert kinds(effects) == ["note", "persist:log", "send", "timer:coordinator"]
    assert effects[1] == Persist("log", "uncertain", threepc.RULE_LOG_STATE)
    state, effects = protocol.step(state, Deliver("c1", PreCommit(tx="T1")))
    assert kinds(effects)[1:3] == ["persist:log", "send"]
    assert persisted(effects) == {"log": "precommitted"} and state.phase == "precommitted"


def test_3pc_backup_precommits_the_uncertain_before_committing():
    """Skeen 1981: no participant commits while another might still be uncertain, so a
    backup first brings the uncertain ones to pre-committed (TR4)."""
    protocol = ThreePCParticipantProtocol()
    state, _ = protocol.start("p1", PEERS_P, {})
    state = replace(state, phase="precommitted")
    state, effects = protocol.step(state, Fire("coordinator"))
    assert ("p2", StateRequest(tx="T1")) in sent(effects)
    assert timers(effects)[-1][0] == "collect"
    state, _ = run(protocol, state, Deliver("p2", StateReport(tx="T1", state="uncertain")),
                   Deliver("p3", StateReport(tx="T1", state="precommitted")))
    assert state.reports == {("p2", "uncertain"), ("p3", "precommitted")}
    state, effects = protocol.step(state, Fire("collect"))
    assert sent(effects) == [("p2", PreCommit(tx="T1"))] and state.phase == "precommitted"
    assert [e.rule for e in effects if isinstance(e, Send)] == [threepc.RULE_TR4]


# ------------------------------------------------------------------ replicated coordinator
def test_replica_adopts_an_accepted_outcome():
    """Paxos Made Simple §2.2 (P2c), as Gray & Lamport use it: a replica that wants to
    abort but hears of an accepted commit proposes commit."""
    protocol = ReplicaProtocol()
    state, _ = protocol.start("c2", ("c1", "c3", "p1"), {})
    state, effects = protocol.step(state, Fire("decide"))  # no votes: proposes abort
    assert state.wanted == ABORT
    assert kinds(effects)[:2] == ["persist:round", "note"]  # the round, before the ballot
    ballot = state.ballot
    _, effects = protocol.step(state, Deliver(
        "c1", Promise(ballot=ballot, accepted=(Ballot(1, "c1"), COMMIT))))
    assert ("c1", Accept(ballot=ballot, value=COMMIT)) in sent(effects)
    assert all(e.rule == replicated.RULE_P2C for e in effects if isinstance(e, Send))


def test_replica_acceptor_persists_before_answering():
    """PMS §2.2: an acceptor remembers its promise and accepted value across a crash."""
    protocol = ReplicaProtocol()
    state, _ = protocol.start("c2", ("c1", "c3", "p1"), {})
    state, promise = protocol.step(state, Deliver("c1", PaxosPrepare(ballot=Ballot(1, "c1"))))
    state, accept = protocol.step(state, Deliver(
        "c1", Accept(ballot=Ballot(1, "c1"), value=COMMIT)))
    effects = promise + accept
    assert kinds(effects)[:2] == ["persist:promised", "send"]
    assert promise[0].rule == replicated.RULE_PROMISE_LOG
    assert kinds(accept) == ["persist:promised", "persist:accepted", "send"]
    assert persisted(effects)["accepted"] == (Ballot(1, "c1"), COMMIT)
    assert ("c1", Accepted(ballot=Ballot(1, "c1"), value=COMMIT)) in sent(effects)
    recovered, _ = protocol.start("c2", ("c1", "c3", "p1"), persisted(effects))
    assert (recovered.promised, recovered.accepted) == (state.promised, state.accepted)


# ------------------------------------------------------------------ saga
def test_saga_logs_progress_before_each_request():
    """Garcia-Molina & Salem 1987: the saga log is written before each step is asked for,
    so a restarted orchestrator carries on."""
    protocol = saga.OrchestratorProtocol()
    state, effects = protocol.start("o1", ("s1", "s2"), {})
    assert kinds(effects) == ["note", "persist:progress", "send"]
    assert effects[1] == Persist("progress", ("running", 1), saga.RULE_SAGA_LOG)
    assert sent(effects) == [("s1", StepRequest(saga="S1", step=1))]
    recovered, again = protocol.start("o1", ("s1", "s2"), persisted(effects))
    assert recovered == state and sent(again) == sent(effects)


@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_protocols_run_without_node_objects(protocol):
    """The protocols alone make a run: start every node, deliver sends first-in first-out
    (timers never fire), keep what each Persisted — every participant commits."""
    from consensus_lab.commit import atomicity_of, commit_ids, outcome_of

    ids = commit_ids(protocol, 3)
    protocols = commit_protocols(protocol, 3)
    states, storage, queue = {}, {i: {} for i in ids}, []
    for i in ids:
        states[i], effects = protocols[i].start(i, tuple(p for p in ids if p != i), {})
        storage[i] = persisted(effects, storage[i])
        queue.extend((i, e.dst, e.msg) for e in effects if isinstance(e, Send))
    while queue:
        src, dst, msg = queue.pop(0)
        states[dst], effects = protocols[dst].step(states[dst], Deliver(src, msg))
        storage[dst] = persisted(effects, storage[dst])
        queue.extend((dst, e.dst, e.msg) for e in effects if isinstance(e, Send))
    outcomes = {p: outcome_of(states[p]) for p in ids if p.startswith("p")}
    assert outcomes == {"p1": COMMIT, "p2": COMMIT, "p3": COMMIT}
    assert atomicity_of(outcomes) is None
    assert all(storage[p]["log"] == COMMIT for p in outcomes)
