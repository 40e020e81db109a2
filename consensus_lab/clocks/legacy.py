"""The mutable causal-broadcast node of before issue 14, kept only for ``stores.causal``.

Temporary. :class:`~consensus_lab.clocks.broadcast.CausalBroadcastNode` is
now a step protocol over an immutable state; the causal store's
:class:`~consensus_lab.stores.causal.CausalNode` still subclasses this
object-with-a-context version (it overrides ``_deliver`` and mutates
``clock``). Delete this module when the store is converted to
:class:`~consensus_lab.clocks.broadcast.CausalBroadcast`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consensus_lab.clocks.broadcast import Broadcast, format_stamp
from consensus_lab.clocks.causal import DeliveryCondition, blocking_reason, can_deliver
from consensus_lab.clocks.vector import Stamp, VectorClock
from consensus_lab.sim import ClientRequest, Context, Node


class LegacyCausalBroadcastNode(Node):
    """A group member that delivers broadcasts in causal order (hold-back buffer).

    ``clock_cls(counters)`` must build a clock from a ``{node: counter}`` dict
    and offer ``increment(node)``, ``merge(other_clock)``, ``as_dict()`` and
    ``str()``. ``condition(sender, msg_vc, local)`` decides deliverability.
    ``replies`` is the application: on delivering a message whose text is a
    key, broadcast the value.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 clock_cls: Callable[[Mapping[str, int]], Any] = VectorClock,
                 condition: DeliveryCondition = can_deliver,
                 replies: Mapping[str, str] | None = None) -> None:
        super().__init__(node_id, peers)
        self.clock_cls = clock_cls
        self.condition = condition
        self.replies: Mapping[str, str] = dict(replies or {})
        # Invariant: clock[k] == number of broadcasts from k in `delivered` (causal condition).
        self.clock = clock_cls({n: 0 for n in sorted((node_id, *peers))})
        # Invariant: after every handler, no held-back message satisfies `condition`.
        self.held_back: list[Broadcast] = []
        self.delivered: list[Broadcast] = []
        # Invariant: len(delivered_at) == len(delivered); [k] = local time of delivery k.
        self.delivered_at: list[int] = []
        self._delivered_ids: set[tuple[str, int]] = set()

    # -- handlers -------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        """After a crash, recover the delivery log from stable storage.

        The clock is rebuilt from it (one count per delivered broadcast per
        origin), so a restarted node neither renumbers its own broadcasts nor
        delivers a message twice. Messages it held back were in memory only:
        they are gone, as after a real crash.
        """
        for msg, at in ctx.stored.get("delivered", ()):
            self.delivered.append(msg)
            self.delivered_at.append(at)
            self._delivered_ids.add(msg.msg_id)
            self.clock.increment(msg.origin)

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """``f="broadcast"``, ``value=text``: broadcast the text; reply with the stamp."""
        if request.f != "broadcast":
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: 'broadcast'", ok=False)
            return
        msg = self.broadcast(ctx, str(request.value))
        ctx.reply(request, format_stamp(msg.vc))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Ignore duplicates; hold the message back; deliver whatever became deliverable."""
        if not isinstance(msg, Broadcast):
            return
        if msg.msg_id in self._delivered_ids or msg in self.held_back:
            ctx.note(f"ignore duplicate {msg.origin}#{msg.seq}")
            return
        self.held_back.append(msg)
        self._deliver_ready(ctx)
        if msg in self.held_back:
            why = blocking_reason(msg.origin, dict(msg.vc), self.clock.as_dict())
            ctx.note(f"hold back {msg.origin}#{msg.seq} {msg.text!r}: {why or 'not deliverable'}")

    # -- the protocol -----------------------------------------------------------

    def broadcast(self, ctx: Context, text: str) -> Broadcast:
        """Count the broadcast in our own entry, deliver it locally, send it to every peer."""
        self.clock.increment(self.node_id)
        msg = Broadcast(origin=self.node_id, text=text, vc=_stamp(self.clock))
        self._deliver(ctx, msg)
        ctx.broadcast(msg)
        return msg

    def _deliver_ready(self, ctx: Context) -> None:
        """Deliver held-back messages the condition allows, until none is left that it allows."""
        progress = True
        while progress:
            progress = False
            for msg in self.held_back:
                if self.condition(msg.origin, dict(msg.vc), self.clock.as_dict()):
                    self.held_back.remove(msg)
                    self._deliver(ctx, msg)
                    progress = True
                    break

    def _deliver(self, ctx: Context, msg: Broadcast) -> None:
        """Hand ``msg`` to the application: merge its vector, record it, run the replies."""
        if msg.origin != self.node_id:
            self.clock.merge(self.clock_cls(dict(msg.vc)))
        self.delivered.append(msg)
        self.delivered_at.append(ctx.now)
        self._delivered_ids.add(msg.msg_id)
        ctx.persist("delivered", tuple(zip(self.delivered, self.delivered_at, strict=True)),
                    immutable=True)
        ctx.note(f"deliver {msg.origin}#{msg.seq} {msg.text!r} vc={self.clock}")
        if msg.text in self.replies:
            self.broadcast(ctx, self.replies[msg.text])

    # -- display ------------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """Vector clock, held-back and delivered messages (ids in delivery order), compactly.

        ``{"vc": "[A:1 B:1]", "held": "B#2", "delivered": "A#1 B#1"}`` — short
        enough for the cluster diagram; ``held_back`` and ``delivered`` hold the messages.
        """
        return {"vc": str(self.clock), "held": _ids(self.held_back),
                "delivered": _ids(self.delivered)}

    def describe(self) -> str:
        """``vc=[A:1 B:0] held=[B#1] delivered=2``."""
        held = " ".join(f"{m.origin}#{m.seq}" for m in self.held_back)
        return f"vc={self.clock} held=[{held}] delivered={len(self.delivered)}"


def _stamp(clock: Any) -> Stamp:
    """A frozen copy of any clock with ``as_dict()``: sorted ``(node, counter)`` pairs."""
    return tuple(sorted(clock.as_dict().items()))


def _ids(messages: list[Broadcast]) -> str:
    """``"Alice#1 Bob#1"``, or ``"none"``."""
    return " ".join(f"{m.origin}#{m.seq}" for m in messages) or "none"
