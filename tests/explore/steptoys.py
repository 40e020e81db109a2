"""Tiny step protocols for the world and search tests (not teaching material)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consensus_lab.sim import (
    Deliver,
    Effects,
    Fire,
    Persist,
    StepProtocol,
    Value,
    broadcast,
    frozen,
    timer,
)
from consensus_lab.sim.world import Model

HELLO_RULE = "toy: on 'go', greet every peer once"
HEARD_RULE = "toy: remember who greeted you, on disk, before anything else"


@frozen
class Hello(Value):
    """node -> every peer: hello (``n`` tells copies of two greetings apart)."""

    n: int


@frozen
class Greeter(Value):
    """Who greeted this node (durable: persisted as ``heard``), and whether it greeted."""

    me: str
    peers: tuple[str, ...]
    heard: frozenset[str]
    greeted: bool


class Greeters(StepProtocol[Greeter]):
    """Each node greets its peers when its ``go`` timer fires and counts who greeted it.

    ``forget`` makes it skip the Persist (so a crash loses who greeted it).
    """

    def __init__(self, forget: bool = False) -> None:
        self.forget = forget

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[Greeter, Effects]:
        heard = frozenset(stored.get("heard", ()))
        return Greeter(node_id, peers, heard, False), (timer("go", 1, HELLO_RULE),)

    def step(self, state: Greeter, event: Any) -> tuple[Greeter, Effects]:
        if isinstance(event, Fire):
            return (Greeter(state.me, state.peers, state.heard, True),
                    broadcast(state.peers, Hello(1), HELLO_RULE))
        assert isinstance(event, Deliver)
        heard = state.heard | {event.src}
        effects: Effects = () if self.forget else (
            Persist("heard", tuple(sorted(heard)), HEARD_RULE),)
        return Greeter(state.me, state.peers, heard, state.greeted), effects

    def view(self, state: Greeter) -> dict[str, Any]:
        return {"heard": len(state.heard), "greeted": state.greeted}


def greeters(n: int = 3, forget: bool = False) -> Model:
    """A model of ``n`` greeters ``n1``..``nN``."""
    return Model({f"n{i}": Greeters(forget) for i in range(1, n + 1)})


def nobody_heard_all(model: Model, world: Any) -> str | None:
    """Broken once some node was greeted by every peer (a bug to find)."""
    for node, state in zip(model.ids, world.states, strict=True):
        if state is not None and len(state.heard) == len(state.peers):
            return f"{node} heard everyone"
    return None
