"""Scripted starts on world values: a short story told move by move, then the search.

Some hazards are far from a cold start (Figure 8 needs three terms of
history), so a scene may start from the world after a *prefix*: a tuple
of :class:`~consensus_lab.sim.world.Move` values, taken before the search
begins (:attr:`~.space.Scene.prefix`; the search's depth and fault
budgets count from its end, and :func:`~.replay.explore_scene` replays it
as the setup of every counterexample). :class:`Script` writes such a
prefix the way one tells the story: deliver this message, fire that
timer, hand a node a command, cut the network into groups.

A partition is not a move of the world: the script emulates it by
dropping, after every move, each message in flight between two groups
(what the simulator's partition does to a message sent across it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..sim import ConfigError
from ..sim.world import Model, Move, Packet, World

__all__ = ["Script", "ScriptStuck"]

PacketTest = Callable[[Packet], bool]


class ScriptStuck(ConfigError):
    """A scripted move could not happen: the message or timer it names is not there."""


class Script:
    """A prefix under construction: the moves so far and the world they lead to."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.world: World = model.initial()
        self.moves: list[Move] = []
        self.groups: tuple[frozenset[str], ...] = ()

    @property
    def prefix(self) -> tuple[Move, ...]:
        """The moves written so far (a :attr:`~.space.Scene.prefix`)."""
        return tuple(self.moves)

    def take(self, move: Move) -> None:
        """Apply ``move``, then lose whatever crosses a partition."""
        self.world = self.model.apply(self.world, move)[0]
        self.moves.append(move)
        for packet in [p for p in self.world.net if self._cut(p)]:
            self.world = self.model.apply(self.world, Move("drop", packet[0], packet))[0]
            self.moves.append(Move("drop", packet[0], packet))

    # ------------------------------------------------------------ moves
    def deliver(self, src: str, dst: str, kind: type, where: PacketTest | None = None) -> None:
        """Deliver the first ``kind`` message in flight from ``src`` to ``dst``."""
        self.take(Move("deliver", dst, self.find(src, dst, kind, where)))

    def drop(self, src: str, dst: str, kind: type, where: PacketTest | None = None) -> None:
        """Lose the first ``kind`` message in flight from ``src`` to ``dst``."""
        self.take(Move("drop", dst, self.find(src, dst, kind, where)))

    def fire(self, node: str, name: str) -> None:
        """Fire ``node``'s timer ``name``."""
        live = self.world.timers[self.model.index[node]]
        if name not in live:
            raise ScriptStuck(f"{node} has no live timer {name!r}; live: "
                              f"{', '.join(live) or 'none'}")
        self.take(Move("fire", node, name=name))

    def input(self, node: str, value: Any) -> None:
        """Hand ``node`` the input ``value`` (a client command)."""
        self.take(Move("input", node, value=value))

    def settle(self, keep: PacketTest | None = None, limit: int = 200) -> None:
        """Deliver every message in flight, and the answers, but those ``keep`` holds back."""
        for _ in range(limit):
            ready = [p for p in self.world.net if keep is None or not keep(p)]
            if not ready:
                return
            self.take(Move("deliver", ready[0][0], ready[0]))
        raise ScriptStuck(f"still not settled after {limit} deliveries")

    # ------------------------------------------------------------ the network
    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups``; unnamed nodes form one more group."""
        named = [frozenset(g) for g in groups]
        rest = frozenset(self.model.ids).difference(*named)
        self.groups = (*named, rest) if rest else tuple(named)

    def heal(self) -> None:
        """Remove every partition."""
        self.groups = ()

    def _cut(self, packet: Packet) -> bool:
        dst, src, _msg = packet
        return any((src in g) != (dst in g) for g in self.groups)

    def find(self, src: str, dst: str, kind: type, where: PacketTest | None = None) -> Packet:
        """The first ``kind`` packet in flight from ``src`` to ``dst`` (``where`` holds)."""
        for packet in self.world.net:
            if packet[:2] == (dst, src) and isinstance(packet[2], kind) \
                    and (where is None or where(packet)):
                return packet
        flight = "; ".join(f"{s}->{d} {m}" for d, s, m in self.world.net) or "nothing"
        raise ScriptStuck(f"no {kind.__name__} from {src} to {dst} is in flight; "
                          f"in flight: {flight}")
