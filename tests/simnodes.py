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


class Chatter(Node):
    """Sends a ping to a random peer every few ticks; counts what it got."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.count = 0
        self.sent = 0

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer("chat", ctx.rng.randint(1, 5))

    def on_timer(self, ctx: Context, name: str) -> None:
        self.sent += 1
        ctx.send(ctx.rng.choice(self.peers), Ping(n=self.sent))
        ctx.set_timer("chat", ctx.rng.randint(3, 8))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.count += 1

    def view(self) -> dict[str, Any]:
        return {"count": self.count}
