"""Helpers for the stores' paper-rule tests: read a step's effects, in order.

A rule test calls ``protocol.step(state, input)`` and asserts on the state
and the effects it returns; these views pick the effects apart.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.sim.step import (
    CancelTimer,
    Effects,
    Note,
    Persist,
    Reply,
    Send,
    SetTimer,
)


def kinds(effects: Effects) -> list[str]:
    """The effect kinds in order, with the persisted key or timer name:
    e.g. ["persist:data", "timer:op:1", "send"]."""
    out = []
    for e in effects:
        match e:
            case Persist(key):
                out.append(f"persist:{key}")
            case SetTimer(name):
                out.append(f"timer:{name}")
            case CancelTimer(name):
                out.append(f"cancel:{name}")
            case Send():
                out.append("send")
            case Reply():
                out.append("reply")
            case Note():
                out.append("note")
    return out


def sent(effects: Effects) -> list[tuple[str, Any]]:
    """(dst, msg) of every send, in order."""
    return [(e.dst, e.msg) for e in effects if isinstance(e, Send)]


def replies(effects: Effects) -> list[tuple[Any, Any, bool]]:
    """(request, value, ok) of every reply, in order."""
    return [(e.request, e.value, e.ok) for e in effects if isinstance(e, Reply)]


def notes(effects: Effects) -> list[str]:
    """The text of every note, in order."""
    return [e.text for e in effects if isinstance(e, Note)]


def rules(effects: Effects) -> list[str]:
    """The rule of every effect, in order."""
    return [e.rule for e in effects]


def stored_after(stored: dict[str, Any], effects: Effects) -> dict[str, Any]:
    """``stored`` with the effects' Persists applied in order (what a crash keeps)."""
    out = dict(stored)
    for e in effects:
        if isinstance(e, Persist):
            out[e.key] = e.value
    return out
