"""A recording stand-in for the simulator's Context, shared by the paper-rule tests.

A rule test calls one handler of a node with a :class:`FakeContext` and
asserts the exact effects it emitted, in order (sends, persists, timers,
replies, notes), without a simulation around it.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from consensus_lab.sim import ClientRequest


class FakeContext:
    """A Context that only records: ("send", dst, msg), ("persist", key, value),
    ("timer", name, after), ("cancel", name), ("reply", request, value, ok), ("note", text)."""

    def __init__(self, node_id: str = "n1", peers: tuple[str, ...] = ("n2", "n3"),
                 stored: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self.node_id = node_id
        self.peers = peers
        self.now = 0
        self.rng = random.Random(seed)
        self.storage: dict[str, Any] = dict(stored or {})
        self.effects: list[tuple[Any, ...]] = []

    @property
    def stored(self) -> Mapping[str, Any]:
        return MappingProxyType(copy.deepcopy(self.storage))

    def send(self, dst: str, msg: Any) -> None:
        self.effects.append(("send", dst, msg))

    def broadcast(self, msg: Any) -> None:
        for dst in self.peers:
            self.send(dst, msg)

    def set_timer(self, name: str, after: int) -> None:
        self.effects.append(("timer", name, after))

    def cancel_timer(self, name: str) -> None:
        self.effects.append(("cancel", name))

    def persist(self, key: str, value: Any, *, immutable: bool = False) -> None:
        self.storage[key] = value if immutable else copy.deepcopy(value)
        self.effects.append(("persist", key, value))

    def reply(self, request: ClientRequest, value: Any = None, ok: bool = True) -> None:
        self.effects.append(("reply", request, value, ok))

    def note(self, text: str) -> None:
        self.effects.append(("note", text))

    # ---------------------------------------------------------------- views
    def clear(self) -> None:
        self.effects.clear()

    def sent(self) -> list[tuple[str, Any]]:
        """(dst, msg) of every send, in order."""
        return [(e[1], e[2]) for e in self.effects if e[0] == "send"]

    def kinds(self) -> list[str]:
        """The effect kinds in order, with the persisted key or timer name:
        e.g. ["persist:current_term", "timer:election", "send"]."""
        out = []
        for e in self.effects:
            out.append(f"{e[0]}:{e[1]}" if e[0] in ("persist", "timer", "cancel") else e[0])
        return out
