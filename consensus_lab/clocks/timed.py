"""A node's local clock reading as part of its input (temporary: until ``sim/`` carries it).

Two step protocols of the lab need the time: causal broadcast records *when*
it delivered each message, and Spanner's TrueTime reads the node's clock at
every step (``TT.now()``, commit wait). A pure step function cannot call a
clock, so the reading comes in with the input::

    protocol.step(state, Timed(now=105, event=Deliver("n2", msg)))

``now`` is the node's *local* clock (skew and drift included, as
``ctx.now`` reads it), never the simulator's true time.

:class:`TimedStepNode` is the :class:`~consensus_lab.sim.StepNode` that
wraps every input this way. It also keeps each trace note's state label as
it was when the note was written (:class:`LabelledNote`), so seeded runs
keep the trace digests they had when these nodes were mutable objects.

Temporary by design: once the simulator's inputs carry the local time
(``Deliver``/``Fire``/``Request`` with a ``now`` field) and a note can carry
its state label, this module goes away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import (
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Request,
    StepNode,
    StepProtocol,
    carry_out,
)

if TYPE_CHECKING:
    from consensus_lab.sim import Context

__all__ = ["LabelledNote", "Timed", "TimedStepNode", "split"]

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Timed:
    """The input ``event``, arriving when the node's local clock reads ``now`` (ticks)."""

    now: int
    event: Input


@dataclass(frozen=True, slots=True)
class LabelledNote(Note):
    """A :class:`~consensus_lab.sim.step.Note` with the node's state label at that moment.

    ``state`` is ``protocol.describe(state)`` of the state the protocol had
    reached when it wrote the note (a step may go on changing it afterwards).
    """

    state: str = ""


def split(event: Input | Timed) -> tuple[int, Input]:
    """``(now, input)`` of a :class:`Timed` input; a bare input has no time and is refused."""
    if not isinstance(event, Timed):
        raise TypeError(f"this protocol reads the node's clock: step it with "
                        f"Timed(now, event), got {event!r}")
    return event.now, event.event


class TimedStepNode(StepNode[S], Generic[S]):
    """A :class:`StepNode` whose inputs carry the local clock: ``Timed(ctx.now, input)``.

    The clock read (``ctx.now``) happens here, in the adapter, and nowhere in
    the protocol. Temporary: see the module docstring.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], protocol: StepProtocol[S]) -> None:
        super().__init__(node_id, peers, protocol)
        self._label: str | None = None  # the label of the note being carried out

    def _timed(self, ctx: Context, event: Input) -> None:
        step: Any = self.protocol.step  # it accepts Timed inputs (wider than Input)
        self._run(ctx, step(self._state(), Timed(ctx.now, event)))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """One ``Timed(ctx.now, Deliver(src, msg))`` step."""
        self._timed(ctx, Deliver(src, msg))

    def on_timer(self, ctx: Context, name: str) -> None:
        """One ``Timed(ctx.now, Fire(name))`` step."""
        self._timed(ctx, Fire(name))

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """One ``Timed(ctx.now, Request(request))`` step."""
        self._timed(ctx, Request(request))

    def _run(self, ctx: Context, result: tuple[S, Effects]) -> None:
        """Carry out the effects in order; a note is traced beside its own state label."""
        self.state, self.last_effects = result
        for effect in self.last_effects:
            self._label = effect.state if isinstance(effect, LabelledNote) else None
            carry_out(ctx, (effect,))
        self._label = None

    def describe(self) -> str:
        """The label of the note being written, else of the state (the boot state before start)."""
        if self._label is not None:
            return self._label
        if self.state is None:  # the trace's "start" record comes before on_start
            return self.protocol.describe(self.protocol.start(self.node_id, self.peers, {})[0])
        return self.protocol.describe(self.state)
