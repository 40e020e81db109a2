"""Exercise: two-phase commit (兩階段提交 2PC) — the coordinator and the in-doubt participant.

The protocol (Gray 1978; Bernstein, Hadzilacos & Goodman 1987 ch. 7; DDIA
ch. 9, "Atomic Commit and Two-Phase Commit"): the coordinator sends Prepare;
each participant votes Yes (after writing a *prepared* record to its log) or
No; the coordinator decides and tells everyone. Write the four rules:

1. ``coordinator_decision(votes, participants, timed_out)``: ``votes`` maps
   each participant that has voted so far to True (Yes) or False (No).
   Return ``"commit"``, ``"abort"`` or ``None`` (keep waiting). A single No
   aborts; commit needs a Yes from *every* participant; if the vote timeout
   fired (``timed_out``) with votes missing, abort.
2. ``coordinator_recovery(log)``: the coordinator restarts and finds its log
   ``log`` (a dict; ``log.get("decision")`` is ``"commit"`` if it logged a
   commit before the crash, absent otherwise). Return the decision it must
   send now, ``"commit"`` or ``"abort"`` (*presumed abort*: it never told
   anyone to commit without logging it first).
3. ``participant_timeout(voted_yes)``: a participant heard nothing for a
   while. Return ``"abort"``, ``"commit"`` or ``"ask"`` (ask the coordinator
   again and keep waiting, holding its locks). Before it votes Yes it may give
   up; after a Yes it is **in doubt**: the coordinator may have committed, or
   aborted.
4. ``participant_recovery(log)``: a participant restarts; ``log.get("log")``
   is ``"prepared"``, ``"commit"``, ``"abort"`` or absent. Return the state
   it comes back in: ``"prepared"`` (in doubt again: it takes its locks back
   and asks), ``"committed"`` or ``"aborted"``.

What to do: replace each ``raise NotImplementedError`` by your code (TODO).

Check your work with ``consensus-lab check two_phase_commit`` (or
``check("two_phase_commit")`` in notebook 09). The checks try each rule on
examples, then run your rules inside every coordinator and participant of
simulated clusters with crashes and message loss, and let the model checker
try every schedule of a small one: if a participant can commit while
another aborts, it shows you the schedule, move by move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def coordinator_decision(votes: Mapping[str, bool], participants: tuple[str, ...],
                         timed_out: bool) -> str | None:
    """Rule 1: "commit", "abort", or None to keep waiting."""
    # TODO: one No aborts; commit needs every participant's Yes; missing at the timeout aborts.
    raise NotImplementedError


def coordinator_recovery(log: Mapping[str, Any]) -> str:
    """Rule 2: the decision to send after a restart, from the log."""
    # TODO: a logged commit is commit; anything else is abort (presumed abort).
    raise NotImplementedError


def participant_timeout(voted_yes: bool) -> str:
    """Rule 3: "abort", "commit" or "ask" when the coordinator has been silent too long."""
    # TODO: before a Yes you may abort; after a Yes you are in doubt.
    raise NotImplementedError


def participant_recovery(log: Mapping[str, Any]) -> str:
    """Rule 4: the state a participant restarts in: "prepared", "committed" or "aborted"."""
    # TODO: read log.get("log").
    raise NotImplementedError
