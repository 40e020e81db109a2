"""Grading checks for the ``raft_append_entries`` exercise (日誌複製).

Theory of operation: the learner writes the follower's half of
AppendEntries as two functions on a :class:`~consensus_lab.raft.RaftLog`:
``consistency_check(log, prev_log_index, prev_log_term) -> (ok,
conflict_term, conflict_index)`` and ``merge_entries(log, prev_log_index,
entries) -> changed``. The checks

1. try each rule on small logs chosen so that each classic slip answers
   differently (accepting when the log is too short, a hint that points at
   ``prev_log_index`` instead of the start of the conflicting term, a merge
   that truncates everything after ``prev_log_index`` even when the entries
   match);
2. compare both functions with the rules on hundreds of seeded random
   leader and follower logs that obey Log Matching;
3. plug them into :class:`~consensus_lab.raft.RaftProtocol` as its rules
   (:func:`check_rule`, :func:`merge_rule`) and run a seed sweep of five-node clusters on a
   network that loses, duplicates and reorders messages, with crashes and
   partitions, checked by the five safety invariants. A failure reports the
   seed, the broken property, the tail of the trace and :func:`replay`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from types import ModuleType
from typing import Any

from consensus_lab.grading import raft_common as common
from consensus_lab.grading.base import MUTATED_INPUT, PROPERTY, Check, expect
from consensus_lab.raft import Log, LogEntry, RaftConfig, RaftLog, RaftNode, RaftRules, RaftState
from consensus_lab.raft.log import LogReads
from consensus_lab.raft.rules import check_log, merge_log
from consensus_lab.sim import Simulation

EXERCISE = "raft_append_entries"
RANDOM_CASES = 400

Checker = Callable[[RaftLog, int, int], tuple[bool, int, int]]
Merger = Callable[[RaftLog, int, Sequence[LogEntry]], bool]


def check_rule(check: Checker) -> Callable[[RaftState, int, int], tuple[bool, int, int]]:
    """The learner's ``consistency_check`` as the protocol's rule; an acceptance the log
    does not support stops the run with :class:`~.raft_common.WrongAnswer`."""
    def rule(state: RaftState, prev: int, prev_term: int) -> tuple[bool, int, int]:
        log = state.log
        ok, conflict_term, conflict_index = check(log, prev, prev_term)  # type: ignore[arg-type]
        ours = log.term_at(prev)
        if ok and ours != prev_term:
            raise common.WrongAnswer(
                f"{state.node_id}'s consistency_check(log {_terms(log)}, prev_log_index="
                f"{prev}, prev_log_term={prev_term}) accepted, but the log has "
                f"{'no entry' if ours is None else f'term {ours}'} at index {prev}: the "
                "leader's entries would land in the wrong place",
                hint=_SHORT if ours is None else _ACCEPT)
        return bool(ok), conflict_term, conflict_index
    return rule


def merge_rule(merge: Merger) -> Callable[[RaftState, int, tuple[LogEntry, ...]],
                                          tuple[Log, bool]]:
    """The learner's ``merge_entries`` as the protocol's rule: it changes a working copy
    of the log (:meth:`Log.thaw`) and the protocol takes the result."""
    def rule(state: RaftState, prev: int, entries: tuple[LogEntry, ...]) -> tuple[Log, bool]:
        before = state.log
        work = before.thaw()
        changed = merge(work, prev, entries)
        log = work.freeze()
        for offset, entry in enumerate(entries):
            if log.term_at(prev + 1 + offset) != entry.term:
                raise common.WrongAnswer(
                    f"after {state.node_id}'s merge_entries(log {_terms(before)}, "
                    f"prev_log_index={prev}, entries {_terms(entries)}) the log is "
                    f"{_terms(log)}: entry "
                    f"{prev + 1 + offset} should now be the leader's, of term {entry.term}",
                    hint=_MERGE)
        kept = next((i for i, (old, new) in enumerate(zip(before.entries, log.entries,
                                                          strict=False)) if old is not new),
                    min(len(before.entries), len(log.entries)))
        if kept < len(before.entries) and log.rewrites == before.rewrites:
            log = replace(log, rewrites=before.rewrites + 1)  # entries were removed: tell
            # the protocol (its clients lose) and the invariants (look at the whole log)
        return log, changed
    return rule


def factory(module: ModuleType, config: RaftConfig | None = None) -> common.NodeFactory:
    """Nodes that check and merge with ``module``'s functions."""
    config = config or RaftConfig()
    rules = replace(RaftRules.of(config), consistency_check=check_rule(module.consistency_check),
                    merge_entries=merge_rule(module.merge_entries))
    return partial(RaftNode, config=config, rules=rules)


# -- logs for the examples --------------------------------------------------------------


def _entries(terms: Sequence[int], start: int = 1) -> tuple[LogEntry, ...]:
    """Entries with these terms from index ``start``; a command names its index and term,
    so two logs holding the same (index, term) hold the same entry (Log Matching)."""
    return tuple(LogEntry(term=t, command=f"i{start + k}t{t}") for k, t in enumerate(terms))


def _log(terms: Sequence[int]) -> RaftLog:
    return RaftLog(_entries(terms))


def _terms(log: LogReads | Sequence[LogEntry] | Sequence[int]) -> str:
    """``[1 1 2]``: the terms of a log, of some entries, or a list of terms."""
    items = log.entries if isinstance(log, LogReads) else log
    return "[" + " ".join(str(getattr(e, "term", e)) for e in items) + "]"


def _state(log: RaftLog) -> list[tuple[int, Any]]:
    return [(e.term, e.command) for e in log.entries]


def _ask_check(module: ModuleType, terms: Sequence[int], prev: int, prev_term: int,
               seed: int | None = None) -> tuple[str, Any]:
    """Call the learner's check on a fresh log; fail if it changed the log."""
    log = _log(terms)
    call = (f"consistency_check(log {_terms(log)}, prev_log_index={prev}, "
            f"prev_log_term={prev_term})")
    got = module.consistency_check(log, prev, prev_term)
    expect(_state(log) == _state(_log(terms)), f"{call} changed the log to {_terms(log)}; the "
           "check only reads it (the merge comes after)", kind=MUTATED_INPUT, seed=seed)
    return call, got


def _expect_shape(call: str, got: Any, seed: int | None = None) -> None:
    expect(isinstance(got, tuple) and len(got) == 3, f"{call} returned {got!r}; it must "
           "return a tuple (ok, conflict_term, conflict_index)", seed=seed)


CheckCase = tuple[Sequence[int], int, int, tuple[bool, int, int], str]


def _run_check_cases(module: ModuleType, cases: list[CheckCase]) -> None:
    for terms, prev, prev_term, expected, why in cases:
        call, got = _ask_check(module, terms, prev, prev_term)
        _expect_shape(call, got)
        if expected[0]:
            expect(got[0] is True, f"{call} returned {got!r}, expected ok = True: {why}")
        else:
            expect(tuple(got) == expected, f"{call} returned {got!r}, expected {expected}: {why}")


LOG_A = (1, 1, 2, 2, 2)


def check_accept_matching_prev(module: ModuleType) -> None:
    """Step 2: accept when the log holds prev_log_term at prev_log_index (index 0 always)."""
    _run_check_cases(module, [
        ((), 0, 0, (True, 0, 0), "index 0 stands before every log, with term 0: the very "
         "first AppendEntries always passes"),
        (LOG_A, 0, 0, (True, 0, 0), "index 0 matches for every log"),
        (LOG_A, 2, 1, (True, 0, 0), "our entry 2 has term 1, as the leader says"),
        (LOG_A, 5, 2, (True, 0, 0), "our last entry, 5, has term 2, as the leader says"),
        (LOG_A, 3, 2, (True, 0, 0), "our entry 3 has term 2; entries after it do not matter "
         "to the check"),
    ])


def check_reject_too_short(module: ModuleType) -> None:
    """Step 2: no entry at prev_log_index: reject with conflict_term 0, last index + 1."""
    _run_check_cases(module, [
        ((), 1, 1, (False, 0, 1), "our log is empty, so it has no entry 1: reject; the hint "
         "says 'retry from index 1' (conflict_term 0 means 'too short')"),
        (LOG_A, 6, 2, (False, 0, 6), "our log ends at index 5, so it has no entry 6: reject, "
         "and the leader should retry from 6"),
        (LOG_A, 9, 3, (False, 0, 6), "our log ends at index 5: reject, and the hint is our "
         "length + 1 = 6, not prev_log_index"),
    ])


def check_reject_term_mismatch(module: ModuleType) -> None:
    """Step 2: another term at prev_log_index: reject; hint = that term and its first index."""
    _run_check_cases(module, [
        (LOG_A, 4, 3, (False, 2, 3), "our entry 4 has term 2, not 3: reject; the hint names "
         "our term 2 and the first index holding it, 3, so the leader can skip the whole term"),
        (LOG_A, 5, 1, (False, 2, 3), "our entry 5 has term 2, not 1: the hint is term 2, "
         "which starts at index 3"),
        (LOG_A, 2, 3, (False, 1, 1), "our entry 2 has term 1, not 3: term 1 starts at index 1"),
        ((1, 3, 3, 3), 4, 2, (False, 3, 2), "our entry 4 has term 3, not 2: term 3 starts at "
         "index 2"),
    ])


MergeCase = tuple[Sequence[int], int, Sequence[int], Sequence[int], bool, str]


def _run_merge_cases(module: ModuleType, cases: list[MergeCase]) -> None:
    for terms, prev, new_terms, expected_terms, expected_changed, why in cases:
        log = _log(terms)
        entries = _entries(new_terms, start=prev + 1)
        expected = _reference_merge(_log(terms), prev, entries)
        assert [e.term for e in expected.entries] == list(expected_terms)
        call = (f"merge_entries(log {_terms(terms)}, prev_log_index={prev}, entries "
                f"{_terms(entries)})")
        changed = module.merge_entries(log, prev, entries)
        expect(_state(log) == _state(expected) and changed == expected_changed
               and isinstance(changed, bool),
               f"{call} left the log as {_terms(log)} and returned {changed!r}, expected "
               f"{_terms(expected)} and {expected_changed}: {why}")


def check_append_new(module: ModuleType) -> None:
    """Step 4: new entries after our last one are appended; a heartbeat changes nothing."""
    _run_merge_cases(module, [
        ((), 0, (1, 1), (1, 1), True, "the log was empty: both entries are new"),
        (LOG_A, 5, (3,), (1, 1, 2, 2, 2, 3), True, "entry 6 is new"),
        (LOG_A, 5, (), LOG_A, False, "a heartbeat (no entries) changes nothing"),
    ])


def check_truncate_at_conflict(module: ModuleType) -> None:
    """Step 3: delete from the first entry whose term differs, then append the rest."""
    _run_merge_cases(module, [
        (LOG_A, 2, (2, 3), (1, 1, 2, 3), True, "entry 3 (term 2) is already there; entry 4 "
         "has term 2 here but 3 in the message: delete 4 and 5, then append"),
        (LOG_A, 3, (3,), (1, 1, 2, 3), True, "entry 4 conflicts (2 here, 3 in the message): "
         "delete entries 4 and 5, append the new entry 4"),
        (LOG_A, 1, (1, 4, 4, 4, 4, 4), (1, 1, 4, 4, 4, 4, 4), True, "entry 2 matches; entry "
         "3 is the first conflict: keep 1..2, replace everything from 3"),
        (LOG_A, 0, (1, 1, 2, 3, 3, 3), (1, 1, 2, 3, 3, 3), True, "entries 1..3 match; the "
         "first conflict is at 4"),
    ])


def check_stale_message(module: ModuleType) -> None:
    """A duplicate or stale message whose entries we already hold changes nothing."""
    _run_merge_cases(module, [
        (LOG_A, 2, (2, 2), LOG_A, False, "entries 3 and 4 are already here with the same "
         "terms (a duplicated or reordered old message): keep entry 5 too — it may already "
         "have been acknowledged and counted by the leader to commit"),
        (LOG_A, 0, (1,), LOG_A, False, "entry 1 is already here; the rest of the log stays"),
        (LOG_A, 1, (1, 2), LOG_A, False, "entries 2 and 3 match: nothing to do"),
        (LOG_A, 3, (2, 2, 4), (1, 1, 2, 2, 2, 4), True, "entries 4 and 5 are already here; "
         "only entry 6 is new"),
    ])


# -- references and seeded random logs -------------------------------------------------------


def _reference_check(log: RaftLog, prev: int, prev_term: int) -> tuple[bool, int, int]:
    """(ok, conflict_term, conflict_index) as the library's consistency check answers."""
    return check_log(log, prev, prev_term)


def _reference_merge(log: RaftLog, prev: int, entries: Sequence[LogEntry]) -> RaftLog:
    """``log`` after the library's merge of ``entries`` after ``prev``."""
    merged, _ = merge_log(log.freeze(), prev, tuple(entries))
    return merged.thaw()


def _random_logs(rng: random.Random) -> tuple[list[int], list[int]]:
    """Leader and follower terms sharing a prefix, then diverging (Log Matching holds)."""
    prefix: list[int] = []
    for _ in range(rng.randint(0, 6)):
        prefix.append(max(prefix[-1] if prefix else 1, rng.randint(1, 3)))
    top = prefix[-1] if prefix else 1
    pool = list(range(top, top + 6))
    rng.shuffle(pool)
    lead_terms, follow_terms = sorted(pool[:3]), sorted(pool[3:])
    leader = prefix + sorted(rng.choice(lead_terms) for _ in range(rng.randint(0, 5)))
    follower = prefix + sorted(rng.choice(follow_terms) for _ in range(rng.randint(0, 5)))
    return leader, follower


def check_random_logs(module: ModuleType) -> None:
    """On 400 seeded random leader/follower logs: check and merge agree with the rules."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        leader, follower = _random_logs(rng)
        leader_log = _log(leader)
        prev = rng.randint(0, len(leader))
        prev_term = leader_log.term_at(prev) or 0
        entries = tuple(leader_log.entries[prev:prev + rng.randint(0, 4)])
        call, got = _ask_check(module, follower, prev, prev_term, seed)
        _expect_shape(call, got, seed)
        want = _reference_check(_log(follower), prev, prev_term)
        same = got[0] is True if want[0] else tuple(got) == want
        expect(same, f"{call} returned {got!r}, expected {want} (the leader's log is "
               f"{_terms(leader)}; case seed {seed})", kind=PROPERTY, seed=seed,
               hint=_hint_for_check(want))
        if not want[0]:
            continue
        log = _log(follower)
        changed = module.merge_entries(log, prev, entries)
        expected = _reference_merge(_log(follower), prev, entries)
        want_changed = _state(expected) != _state(_log(follower))
        expect(_state(log) == _state(expected) and changed == want_changed,
               f"merge_entries(log {_terms(follower)}, prev_log_index={prev}, entries "
               f"{_terms(entries)}) left the log as {_terms(log)} and returned {changed!r}, "
               f"expected {_terms(expected)} and {want_changed} (the leader's log is "
               f"{_terms(leader)}; case seed {seed})", kind=PROPERTY, seed=seed, hint=_MERGE)


def _hint_for_check(want: tuple[bool, int, int]) -> str:
    if want[0]:
        return _ACCEPT
    return _SHORT if want[1] == 0 else _MISMATCH


# -- the simulator ------------------------------------------------------------------------------


def replay(seed: int, answers: str = "exercises") -> Simulation:
    """Rerun sweep seed ``seed`` with your functions (raises the same violation)."""
    return common.storm(factory(common.load_learner(EXERCISE, answers)), seed)


def check_sweep(module: ModuleType) -> None:
    """Seed sweep: lossy, duplicating, reordering network, crashes, partitions: safe and live."""
    common.sweep(factory(module), what="your consistency_check and merge_entries on every "
                 "follower", replay="consensus_lab.grading.raft_append_entries.replay(seed={seed})")


# Hints point at the rule and the usual slip, not at the code.
_ACCEPT = ("the check passes exactly when your term at prev_log_index equals prev_log_term; "
           "index 0 has term 0 in every log")
_SHORT = ("no entry at prev_log_index is a rejection too — and then the hint is 'my log is "
          "too short': conflict_term 0 and the index just after your last entry")
_MISMATCH = ("on a term mismatch the hint is your term at prev_log_index and the *first* "
             "index of that term in your log, so the leader skips the whole term at once")
_MERGE = ("Figure 2, steps 3 and 4: only an entry that conflicts with a new one (same "
          "index, different term) is deleted, with all that follows it; a message whose "
          "entries you already hold — duplicated, or arriving late — leaves the log alone, "
          "and the return value says whether the log changed")

CHECKS: tuple[Check, ...] = (
    Check(name="accept_matching_prev", prop="the check accepts when prev_log_term is at "
          "prev_log_index", hint=_ACCEPT, fn=check_accept_matching_prev),
    Check(name="reject_too_short", prop="a log too short is rejected: hint (0, last index + 1)",
          hint=_SHORT, fn=check_reject_too_short),
    Check(name="reject_term_mismatch", prop="a term mismatch is rejected: hint (our term, its "
          "first index)", hint=_MISMATCH, fn=check_reject_term_mismatch),
    Check(name="append_new", prop="merge appends new entries; a heartbeat changes nothing",
          hint=_MERGE, fn=check_append_new),
    Check(name="truncate_at_conflict", prop="merge truncates at the first conflicting entry "
          "only", hint=_MERGE, fn=check_truncate_at_conflict),
    Check(name="stale_message", prop="a stale or duplicated message never truncates",
          hint=_MERGE, fn=check_stale_message),
    Check(name="random_logs", prop="400 random leader/follower logs: the same results as the "
          "rules", hint=_MERGE, fn=check_random_logs),
    Check(name="sweep", prop="30 simulated runs, lossy and reordering network, crashes: safe, "
          "and every node catches up", hint=_MERGE, fn=check_sweep),
)
