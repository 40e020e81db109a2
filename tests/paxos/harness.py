"""Helpers shared by the Paxos tests (not part of the library).

* :func:`kinds` and :func:`sent` read a step's returned effects, in order,
  so a paper-rule test can assert the exact effects of one input.
* :func:`kv_history` (the library's, from :mod:`consensus_lab.paxos.lessons`)
  turns a run's client history into the checker's form.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.paxos.lessons import kv_history
from consensus_lab.sim.step import CancelTimer, Effects, Note, Persist, Send, SetTimer

__all__ = ["kinds", "kv_history", "rules", "sent"]


def kinds(effects: Effects) -> list[str]:
    """The effect kinds in order, with the persisted key or timer name:
    e.g. ``["persist:promised", "persist:accepted", "send"]``."""
    out = []
    for e in effects:
        if isinstance(e, Persist):
            out.append(f"persist:{e.key}")
        elif isinstance(e, SetTimer):
            out.append(f"timer:{e.name}")
        elif isinstance(e, CancelTimer):
            out.append(f"cancel:{e.name}")
        elif isinstance(e, Send):
            out.append("send")
        elif isinstance(e, Note):
            out.append("note")
        else:
            out.append(type(e).__name__.lower())
    return out


def sent(effects: Effects) -> list[tuple[str, Any]]:
    """``(dst, msg)`` of every Send, in order."""
    return [(e.dst, e.msg) for e in effects if isinstance(e, Send)]


def rules(effects: Effects) -> list[str]:
    """The rule of every effect, in order (every effect must carry one)."""
    return [e.rule for e in effects]
