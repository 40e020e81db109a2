"""Small nodes used by the simulator's tests (not part of the library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consensus_lab.sim import ClientRequest, Context, Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    """sender → receiver: a numbered ping."""

    n: int

    def __str__(self) -> str:
        return f"Ping({self.n})"


class Recorder(Node):
    """Records every message and timer; persists a counter; pings on request."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.received: list[tuple[str, int]] = []
        self.timers: list[tuple[str, int]] = []
        self.volatile = 0
        self.durable = 0

    def on_start(self, ctx: Context) -> None:
        self.durable = ctx.stored.get("durable", 0)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.received.append((src, msg.n))
        self.volatile += 1

    def on_timer(self, ctx: Context, name: str) -> None:
        self.timers.append((name, ctx.now))

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        if request.f == "ping":
            ctx.broadcast(Ping(n=request.value))
            ctx.reply(request, "sent")
        elif request.f == "save":
            self.durable = request.value
            ctx.persist("durable", request.value)
            ctx.reply(request, "saved")
        elif request.f == "ignore":
            pass
        else:
            ctx.reply(request, f"unknown f {request.f}", ok=False)

    def view(self) -> dict[str, Any]:
        return {"got": len(self.received), "durable": self.durable}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rumor:
    """gossiper → random peer: the sender's count so far."""

    n: int

    def __str__(self) -> str:
        return f"Rumor({self.n})"


class Gossip(Node):
    """Every few ticks tells a random peer a rumor; counts the rumors heard."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.heard = 0
        self.told = 0

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer("gossip", ctx.rng.randint(1, 6))

    def on_timer(self, ctx: Context, name: str) -> None:
        self.told += 1
        ctx.send(ctx.rng.choice(self.peers), Rumor(n=self.told))
        ctx.set_timer("gossip", ctx.rng.randint(4, 9))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.heard += 1

    def view(self) -> dict[str, Any]:
        return {"heard": self.heard, "told": self.told}


class OneShot(Node):
    """Sends one rumor to each peer at start, then nothing: the run ends."""

    def on_start(self, ctx: Context) -> None:
        ctx.broadcast(Rumor(n=0))


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """node → peer: a numbered greeting."""

    n: int

    def __str__(self) -> str:
        return f"Hello({self.n})"


class Greeter(Node):
    """Greets every peer once at start; counts greetings; a timer ticks once."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.got = 0

    def on_start(self, ctx: Context) -> None:
        ctx.broadcast(Hello(n=int(self.node_id[1:])))
        ctx.set_timer("tick", 50)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.got += 1

    def on_timer(self, ctx: Context, name: str) -> None:
        ctx.note("tick")

    def view(self) -> dict[str, Any]:
        return {"got": self.got}
