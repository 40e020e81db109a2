"""What a step's effects do: the one place that says it, for the simulator and the checker.

A step protocol returns ``(state, effects)``; whoever runs it replaces the
node's state with the new value and then carries out the effects, *in
order*, on its side of the world. Two callers do that:

* the seeded :class:`~.simulation.Simulation` (a timed heap, latencies,
  faults, a trace: :class:`~.runner.NodeOut`), and
* the model checker's :class:`~.world.Model` (a world value with no time).

Both call :func:`carry_out` with an :class:`Outbox`: their own answer to
"persist this", "send that", "arm this timer". So what each effect means
(a Persist is written before the Send that follows it; a SetTimer
replaces a timer of the same name; a CancelTimer of no timer is nothing)
is written once, here, and the two worlds cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Protocol

from .history import ClientRequest
from .step import CancelTimer, Effects, Note, Persist, Reply, Send, SetTimer

__all__ = ["Outbox", "carry_out"]


class Outbox(Protocol):
    """One node's side of the world, as the effects of its steps see it."""

    def persist(self, key: str, value: Any) -> None:
        """Write ``value`` (immutable) under ``key`` in the node's stable storage."""

    def send(self, dst: str, msg: Any, rule: str) -> None:
        """Put ``msg`` on the network to ``dst``."""

    def set_timer(self, name: str, low: int, high: int) -> None:
        """(Re)arm the timer ``name`` for a duration in ``[low, high]`` (drawn, or ignored)."""

    def cancel_timer(self, name: str) -> None:
        """Forget the timer ``name`` if it is set."""

    def reply(self, request: ClientRequest, value: Any, ok: bool) -> None:
        """Answer the client operation ``request``."""

    def note(self, text: str, rule: str) -> None:
        """Write ``text`` beside the node (the trace; the checker keeps none)."""


def carry_out(out: Outbox, effects: Effects) -> None:
    """Do ``effects`` to ``out``, in the order the protocol returned them."""
    for effect in effects:
        kind = type(effect)
        if kind is Send:
            out.send(effect.dst, effect.msg, effect.rule)  # type: ignore[union-attr]
        elif kind is SetTimer:
            out.set_timer(effect.name, effect.low, effect.high)  # type: ignore[union-attr]
        elif kind is Persist:
            out.persist(effect.key, effect.value)  # type: ignore[union-attr]
        elif kind is CancelTimer:
            out.cancel_timer(effect.name)  # type: ignore[union-attr]
        elif kind is Reply:
            out.reply(effect.request, effect.value, effect.ok)  # type: ignore[union-attr]
        elif isinstance(effect, Note):
            out.note(effect.text, effect.rule)
        else:
            raise TypeError(f"unknown effect {effect!r}; allowed: "
                            "Persist, Send, SetTimer, CancelTimer, Reply, Note")
