"""Known-buggy two_phase_commit answers: an in-doubt participant commits on its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def coordinator_decision(votes: Mapping[str, bool], participants: tuple[str, ...],
                         timed_out: bool) -> str | None:
    """Any No: abort. A Yes from every participant: commit. Votes missing at the
    timeout: abort. Otherwise keep waiting (None)."""
    if not all(votes.values()):
        return "abort"
    if all(votes.get(p) for p in participants):
        return "commit"
    return "abort" if timed_out else None


def coordinator_recovery(log: Mapping[str, Any]) -> str:
    """A logged commit is re-sent; no decision in the log means abort (presumed abort)."""
    return "commit" if log.get("decision") == "commit" else "abort"


def participant_timeout(voted_yes: bool) -> str:
    """Before voting Yes it may abort on its own; after, it is in doubt: ask and wait."""
    return "commit" if voted_yes else "abort"  # BUG: in doubt, it guesses commit


def participant_recovery(log: Mapping[str, Any]) -> str:
    """A prepared record: in doubt again. A decision: keep it. Nothing: abort."""
    entry = log.get("log")
    if entry == "prepared":
        return "prepared"
    return "committed" if entry == "commit" else "aborted"
