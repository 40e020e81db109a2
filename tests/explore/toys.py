"""Tiny protocols whose state spaces are small enough to count by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consensus_lab.sim import ClientRequest, Context, Network, Node, Simulation

#: Every message takes one tick: the search ignores time anyway.
NET = Network(latency=(1, 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class Read:
    """incrementer → register: what is your value?"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """register → incrementer: the value now."""

    value: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """incrementer → register: store this value."""

    value: int


class Register(Node):
    """Holds one integer; answers reads and applies writes blindly."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.value = 0
        self.writes = 0

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, Read):
            ctx.send(src, Value(value=self.value))
        elif isinstance(msg, Write):
            self.value = msg.value
            self.writes += 1


class Incrementer(Node):
    """Read-modify-write without a lock: the classic lost update."""

    def on_start(self, ctx: Context) -> None:
        ctx.send("r", Read())

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, Value):
            ctx.send(src, Write(value=msg.value + 1))


def racy_factory(node_id: str, peers: tuple[str, ...]) -> Node:
    return Register(node_id, peers) if node_id == "r" else Incrementer(node_id, peers)


def racy_counter() -> Simulation:
    """Two incrementers, one register; the shortest lost update takes 6 deliveries."""
    return Simulation(racy_factory, ["a", "b", "r"], network=NET)


def no_lost_update(sim: Simulation) -> str | None:
    """Once both writes landed, the register must hold 2."""
    register = sim.nodes["r"]
    if register is not None and register.writes == 2 and register.value != 2:
        return f"two increments applied but the register holds {register.value}"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    """pinger → peer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong:
    """peer → pinger."""


class Pinger(Node):
    """n1 pings every peer once; peers answer; n1 remembers who answered."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.pings = 0
        self.pongs: set[str] = set()

    def on_start(self, ctx: Context) -> None:
        if self.node_id == "n1":
            ctx.broadcast(Ping())

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, Ping):
            self.pings += 1
            ctx.send(src, Pong())
        else:
            self.pongs.add(src)


def ping_pong() -> Simulation:
    """n1 pings n2 and n3: 3 x 3 states without faults (see the tests)."""
    return Simulation(Pinger, 3, network=NET)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inc:
    """client node → counter: add one."""


class Counter(Node):
    """Counts Inc messages; the sender sends exactly one."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.count = 0

    def on_start(self, ctx: Context) -> None:
        if self.node_id == "n1":
            ctx.send("n2", Inc())

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.count += 1


def one_increment() -> Simulation:
    """n1 sends one Inc to n2: a duplicate makes n2 count 2."""
    return Simulation(Counter, 2, network=NET)


def counted_once(sim: Simulation) -> str | None:
    node = sim.nodes["n2"]
    if node is not None and node.count > 1:
        return f"n2 counted {node.count} increments, one was sent"
    return None


class Dispenser(Node):
    """Hands out ticket numbers; ``durable`` says whether it persists the next one."""

    durable = True

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.next_ticket = 1

    def on_start(self, ctx: Context) -> None:
        self.next_ticket = ctx.stored.get("next_ticket", 1)

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        ticket = self.next_ticket
        self.next_ticket += 1
        if self.durable:
            ctx.persist("next_ticket", self.next_ticket)
        ctx.reply(request, ticket)


class ForgetfulDispenser(Dispenser):
    """Keeps the counter in memory only: a restart hands out ticket 1 again."""

    durable = False


class UniqueTickets:
    """Invariant with memory: no ticket is handed out twice (over the whole run)."""

    def __init__(self) -> None:
        self.issued: dict[int, int] = {}  # ticket -> request id

    def state_key(self) -> Any:
        return frozenset(self.issued.items())

    def check(self, sim: Simulation) -> str | None:
        for op in sim.history:
            if op.type == "ok":
                first = self.issued.setdefault(op.value, op.request_id)
                if first != op.request_id:
                    return f"ticket {op.value} handed out twice (requests {first}, {op.request_id})"
        return None


def dispenser(factory: type[Dispenser] = Dispenser) -> Simulation:
    """One dispenser, two client requests in flight."""
    sim = Simulation(factory, ["d"], network=NET)
    sim.add_invariant("unique tickets", UniqueTickets().check)
    sim.submit("d", "take", client="c1")
    sim.submit("d", "take", client="c2")
    return sim


class Tally(Node):
    """Adds what its clients hand it (``sim.call(node, "add", n)``); sends nothing."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers)
        self.total = 0

    def add(self, ctx: Context, amount: int) -> None:
        self.total += amount


def tallies() -> Simulation:
    """Two tallies, nothing pending: only the search's calls can change them."""
    return Simulation(Tally, 2, network=NET)


def under_three(sim: Simulation) -> bool | str:
    """No tally reaches 3 (which needs both calls at one node)."""
    full = [n for n, node in sim.nodes.items() if node.total >= 3]
    return not full or f"{full[0]} reached 3"
