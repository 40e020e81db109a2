"""Helpers shared by the Raft tests (not part of the library).

* :class:`Server` drives one :class:`RaftProtocol` state value with inputs
  (``deliver``, ``fire``, ``submit``) and records every effect each step
  returns, in order, with the storage its Persist effects wrote, so a
  paper-rule test can assert the exact effects of one message.
* ``node_with(...)`` starts a :class:`Server` from "persisted" state, the
  way the simulator restarts one.
* ``disconnect`` / ``connect`` / ``set_disconnected`` mimic the 6.5840
  harness: a disconnected server can neither send nor receive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from consensus_lab.raft import (
    LEADER,
    LogEntry,
    RaftConfig,
    RaftProtocol,
    RaftState,
    RequestVoteReply,
    Submit,
)
from consensus_lab.sim import Simulation
from consensus_lab.sim.step import (
    CancelTimer,
    Deliver,
    Effect,
    Effects,
    Fire,
    Input,
    Persist,
    Send,
    SetTimer,
)


def entries(*terms: int, prefix: str = "c", start: int = 1) -> tuple[LogEntry, ...]:
    """Log entries with the given terms; entry i holds command f"{prefix}{i}"."""
    return tuple(LogEntry(term=t, command=f"{prefix}{start + i}") for i, t in enumerate(terms))


class Server:
    """One Raft state value under test: each input is one ``protocol.step``.

    ``effects`` collects what the steps returned since the last ``clear()``;
    ``storage`` is what their Persist effects wrote (a crash keeps only it).
    Reading an attribute of the state (``server.role``, ``server.log``) reads
    ``server.state``; ``next_index`` and ``match_index`` come back as dicts.
    """

    def __init__(self, protocol: RaftProtocol, state: RaftState, storage: dict[str, Any],
                 effects: Effects = ()) -> None:
        self.protocol, self.state, self.storage = protocol, state, storage
        self.effects: list[Effect] = list(effects)

    def step(self, event: Input | Submit) -> Effects:
        """One input; returns (and records) its effects."""
        self.state, effects = self.protocol.step(self.state, event)
        for effect in effects:
            if isinstance(effect, Persist):
                self.storage[effect.key] = effect.value
        self.effects.extend(effects)
        return effects

    def deliver(self, src: str, msg: Any) -> Effects:
        return self.step(Deliver(src, msg))

    def fire(self, name: str) -> Effects:
        return self.step(Fire(name))

    def submit(self, command: Any) -> tuple[int, int, bool]:
        """6.5840's Start: (index, term, is_leader)."""
        before = self.state
        self.step(Submit(command))
        if before.role != LEADER:
            return -1, before.current_term, False
        return before.log.last_index + 1, before.current_term, True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.state, name)

    @property
    def next_index(self) -> dict[str, int]:
        return dict(self.state.next_index)

    @property
    def match_index(self) -> dict[str, int]:
        return dict(self.state.match_index)

    # ---------------------------------------------------------------- views
    def clear(self) -> None:
        self.effects.clear()

    def sent(self) -> list[tuple[str, Any]]:
        """(dst, msg) of every Send, in order."""
        return [(e.dst, e.msg) for e in self.effects if isinstance(e, Send)]

    def kinds(self) -> list[str]:
        """The effect kinds in order, with the persisted key or timer name:
        e.g. ["persist:current_term", "timer:election", "send"]."""
        out = []
        for e in self.effects:
            if isinstance(e, Persist):
                out.append(f"persist:{e.key}")
            elif isinstance(e, SetTimer):
                out.append(f"timer:{e.name}")
            elif isinstance(e, CancelTimer):
                out.append(f"cancel:{e.name}")
            else:
                out.append(type(e).__name__.lower())
        return out

    def timers(self) -> list[tuple[str, int, int]]:
        """(name, low, high) of every SetTimer, in order."""
        return [(e.name, e.low, e.high) for e in self.effects if isinstance(e, SetTimer)]


def start(stored: dict[str, Any], config: RaftConfig | None = None, node_id: str = "n1",
          peers: tuple[str, ...] = ("n2", "n3")) -> Server:
    """A server booted from ``stored`` (its start effects recorded)."""
    protocol = RaftProtocol(config)
    state, effects = protocol.start(node_id, peers, stored)
    return Server(protocol, state, dict(stored), effects)


def node_with(term: int = 0, log: Iterable[LogEntry] = (), voted_for: str | None = None,
              config: RaftConfig | None = None, node_id: str = "n1",
              peers: tuple[str, ...] = ("n2", "n3"), snapshot: tuple[int, int] | None = None,
              snapshot_data: Any = None) -> Server:
    """A follower started from this persisted state; its effects are cleared."""
    stored: dict[str, Any] = {"current_term": term, "voted_for": voted_for, "log": tuple(log)}
    if snapshot is not None:
        stored["snapshot_meta"] = snapshot
        stored["snapshot"] = snapshot_data
    server = start(stored, config, node_id, peers)
    server.clear()
    return server


def make_leader(node: Server) -> None:
    """Time out, win the election with the first peers' votes; clears the effects."""
    node.fire("election")
    for peer in node.peers:
        if node.role == LEADER:
            break
        node.deliver(peer, RequestVoteReply(term=node.current_term, vote_granted=True))
    assert node.role == LEADER
    node.clear()


# ------------------------------------------------------------- 6.5840-style links
def disconnected(sim: Simulation) -> set[str]:
    """The nodes disconnected by these helpers (kept on the simulation object: a node
    cut off from everyone because all the others are disconnected is not itself)."""
    return set(getattr(sim, "test_disconnected", ()))


def set_disconnected(sim: Simulation, down: Iterable[str]) -> None:
    """Exactly the nodes in ``down`` are cut from everyone (6.5840's disconnect)."""
    down = set(down)
    sim.test_disconnected = frozenset(down)  # type: ignore[attr-defined]
    cut = {(a, b) for a in sim.node_ids for b in sim.node_ids
           if a != b and (a in down or b in down)}
    sim.set_network(sim.network.with_blocked(cut))


def disconnect(sim: Simulation, *nodes: str) -> None:
    set_disconnected(sim, disconnected(sim) | set(nodes))


def connect(sim: Simulation, *nodes: str) -> None:
    set_disconnected(sim, disconnected(sim) - set(nodes))


def logs(sim: Simulation) -> dict[str, list[tuple[int, Any]]]:
    """Each live node's log entries after its snapshot as (term, command)."""
    return {i: [(e.term, e.command) for e in n.log.entries]
            for i, n in sim.nodes.items() if n is not None}


def wait_applied(sim: Simulation, index: int, count: int, within: int = 5_000) -> Any:
    """Run until ``count`` nodes applied ``index`` (6.5840's wait); returns the command."""
    from consensus_lab.raft import n_committed

    deadline = sim.now + within
    while True:
        got, command = n_committed(sim, index)
        if got >= count:
            return command
        if sim.now >= deadline:
            break
        sim.run(until=sim.now + 20)
    raise AssertionError(f"index {index} applied on {n_committed(sim, index)[0]} < {count} "
                         f"nodes by t={sim.now} (seed {sim.seed})")


def peer_of(sim: Simulation, node: str, k: int) -> str:
    """6.5840's ``(leader + k) % servers`` on node ids."""
    ids = sim.node_ids
    return ids[(ids.index(node) + k) % len(ids)]


class Clients:
    """6.5840 churn-style clients, in virtual time.

    Each client keeps one value in flight: it submits it to the first live
    node that accepts it as leader (stale leaders included, as in 6.5840),
    then watches that index. When some node has applied the index, the
    client "saw" the outcome: its own value there goes into ``seen`` as
    (index, value). After ``give_up_after`` ms without an outcome, or when
    another value took the index, it moves on to a new value — or, with
    ``retry``, submits the same value again (6.5840's ``one(..., true)``).
    With ``limit`` a client stops after that many values were seen.
    ``step()`` is called between short ``sim.run``s.
    """

    def __init__(self, sim: Simulation, count: int = 3, give_up_after: int = 1_000,
                 retry: bool = False, limit: int | None = None) -> None:
        self.sim = sim
        self.names = [f"c{i}" for i in range(1, count + 1)]
        self.give_up_after = give_up_after
        self.retry = retry
        self.limit = limit
        self.numbers = dict.fromkeys(self.names, 0)  # client -> its current value's number
        self.done_count = dict.fromkeys(self.names, 0)
        self.waiting: dict[str, tuple[str, int, int]] = {}  # client -> (value, index, since)
        self.seen: list[tuple[int, str]] = []
        self.submitted = 0

    @property
    def done(self) -> bool:
        return self.limit is not None and all(
            n >= self.limit for n in self.done_count.values())

    def step(self) -> None:
        from consensus_lab.raft import n_committed, submit

        sim = self.sim
        for name in self.names:
            if name in self.waiting:
                value, index, since = self.waiting[name]
                count, command = n_committed(sim, index)
                if count and command == value:
                    self.seen.append((index, value))
                    self.done_count[name] += 1
                elif not count and sim.now - since <= self.give_up_after:
                    continue
                del self.waiting[name]
                if not (count and command == value) and self.retry:
                    self.numbers[name] -= 1  # the same value again
                continue
            if self.limit is not None and self.done_count[name] >= self.limit:
                continue
            self.numbers[name] += 1
            value = f"{name}-v{self.numbers[name]}"
            for node_id in sim.node_ids:
                if sim.nodes[node_id] is None or node_id in sim.paused:
                    continue
                index, _, ok = submit(sim, value, node_id)
                if ok:
                    self.submitted += 1
                    self.waiting[name] = (value, index, sim.now)
                    break
            else:
                self.numbers[name] -= 1  # nobody leads: try this value again later

    def run(self, duration: int, tick: int = 10, until_done: bool = False) -> None:
        """Let ``duration`` ms pass (or less, once ``done`` with ``until_done``), the
        clients acting every ``tick`` ms."""
        end = self.sim.now + duration
        while self.sim.now < end and not (until_done and self.done):
            self.sim.run(until=min(end, self.sim.now + tick))
            self.step()


def final_log(sim: Simulation, last_index: int) -> dict[int, Any]:
    """index -> command for 1..last_index, each applied by every node (6.5840's wait)."""
    return {index: wait_applied(sim, index, len(sim.node_ids))
            for index in range(1, last_index + 1)}
