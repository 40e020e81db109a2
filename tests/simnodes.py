"""Small step-protocol nodes used by the simulator's tests (not part of the library).

Each toy is a :class:`~consensus_lab.sim.StepProtocol` over a frozen state,
run by a :class:`~consensus_lab.sim.StepNode` subclass whose attributes
(``received``, ``durable``, ``heard`` ...) read the current state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from consensus_lab.sim import (
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Reply,
    Request,
    Send,
    SetTimer,
    StepNode,
    StepProtocol,
    broadcast,
    timer,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    """sender → receiver: a numbered ping."""

    n: int

    def __str__(self) -> str:
        return f"Ping({self.n})"


@dataclass(frozen=True, slots=True)
class RecorderState:
    """Every message and timer seen; a counter that is persisted, one that is not."""

    peers: tuple[str, ...]
    received: tuple[tuple[str, int], ...] = ()
    timers: tuple[tuple[str, int], ...] = ()
    volatile: int = 0
    durable: int = 0


class RecorderProtocol(StepProtocol[RecorderState]):
    """Records every message and timer; persists a counter; pings on request."""

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[RecorderState, Effects]:
        return RecorderState(peers, durable=stored.get("durable", 0)), ()

    def step(self, state: RecorderState, event: Input) -> tuple[RecorderState, Effects]:
        if isinstance(event, Deliver):
            return replace(state, received=(*state.received, (event.src, event.msg.n)),
                           volatile=state.volatile + 1), ()
        if isinstance(event, Fire):
            return replace(state, timers=(*state.timers, (event.name, event.now))), ()
        request = event.request
        if request.f == "ping":
            return state, (*broadcast(state.peers, Ping(n=request.value)), Reply(request, "sent"))
        if request.f == "save":
            return replace(state, durable=request.value), (
                Persist("durable", request.value), Reply(request, "saved"))
        if request.f == "ignore":
            return state, ()
        return state, (Reply(request, f"unknown f {request.f}", ok=False),)

    def view(self, state: RecorderState) -> dict[str, Any]:
        return {"got": len(state.received), "durable": state.durable}


class Recorder(StepNode[RecorderState]):
    """A :class:`RecorderProtocol` node; the attributes read its state."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, RecorderProtocol())

    @property
    def received(self) -> list[tuple[str, int]]:
        return list(self._state().received)

    @property
    def timers(self) -> list[tuple[str, int]]:
        return list(self._state().timers)

    @property
    def volatile(self) -> int:
        return self._state().volatile

    @property
    def durable(self) -> int:
        return self._state().durable


@dataclass(frozen=True, slots=True, kw_only=True)
class Rumor:
    """gossiper → a peer: the sender's count so far."""

    n: int

    def __str__(self) -> str:
        return f"Rumor({self.n})"


@dataclass(frozen=True, slots=True)
class GossipState:
    peers: tuple[str, ...]
    heard: int = 0
    told: int = 0


class GossipProtocol(StepProtocol[GossipState]):
    """Every few ticks (a random range) tells the next peer a rumor; counts rumors heard."""

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[GossipState, Effects]:
        return GossipState(peers), (SetTimer("gossip", 1, 6),)

    def step(self, state: GossipState, event: Input) -> tuple[GossipState, Effects]:
        if isinstance(event, Fire):
            told = state.told + 1
            dst = state.peers[told % len(state.peers)]
            return replace(state, told=told), (Send(dst, Rumor(n=told)),
                                               SetTimer("gossip", 4, 9))
        if isinstance(event, Deliver):
            return replace(state, heard=state.heard + 1), ()
        return state, (Reply(event.request, "Gossip takes no client requests", ok=False),)

    def view(self, state: GossipState) -> dict[str, Any]:
        return {"heard": state.heard, "told": state.told}


class Gossip(StepNode[GossipState]):
    """A :class:`GossipProtocol` node."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, GossipProtocol())

    @property
    def heard(self) -> int:
        return self._state().heard

    @property
    def told(self) -> int:
        return self._state().told


class OneShotProtocol(StepProtocol[tuple[str, ...]]):
    """Sends one rumor to each peer at start, then nothing: the run ends."""

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[tuple[str, ...], Effects]:
        return peers, broadcast(peers, Rumor(n=0))

    def step(self, state: tuple[str, ...], event: Input) -> tuple[tuple[str, ...], Effects]:
        if isinstance(event, Request):
            return state, (Reply(event.request, "OneShot takes no client requests", ok=False),)
        return state, ()


class OneShot(StepNode[tuple[str, ...]]):
    """A :class:`OneShotProtocol` node."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, OneShotProtocol())


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """node → peer: a numbered greeting."""

    n: int

    def __str__(self) -> str:
        return f"Hello({self.n})"


class GreeterProtocol(StepProtocol[int]):
    """Greets every peer once at start; counts greetings (the state); a timer ticks once."""

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[int, Effects]:
        return 0, (*broadcast(peers, Hello(n=int(node_id[1:]))), timer("tick", 50))

    def step(self, state: int, event: Input) -> tuple[int, Effects]:
        if isinstance(event, Deliver):
            return state + 1, ()
        if isinstance(event, Fire):
            return state, (Note("tick"),)
        return state, (Reply(event.request, "Greeter takes no client requests", ok=False),)

    def view(self, state: int) -> dict[str, Any]:
        return {"got": state}


class Greeter(StepNode[int]):
    """A :class:`GreeterProtocol` node."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, GreeterProtocol())

    @property
    def got(self) -> int:
        return self._state()
