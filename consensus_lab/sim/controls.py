"""The public controls of a :class:`~.simulation.Simulation`: everything from outside a handler.

Everything that enters a run from outside a handler is recorded as an
input (see :mod:`.choices`): nemesis actions (:class:`~.nemesis.Faults`)
and client requests call ``_input``; ``fire``, ``drop`` and ``duplicate``
take one pending event out of its turn (the choice point a widget or a
model checker uses); ``call`` runs a node method as if it were an event.
``Simulation.replay`` applies the inputs again at the steps where they
happened (:mod:`.control`). Invariants are checked after every event.

:class:`Controls` is a base class of ``Simulation``: every method below is
the ``Simulation``'s own; :mod:`.simulation` keeps the run's state and its
scheduling loop.
"""

from __future__ import annotations

import copy
import heapq
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .choices import stream_seed
from .errors import ConfigError, InvariantViolation
from .events import DELIVER, KIND_NAMES, Entry
from .history import ClientRequest
from .nemesis import Faults

if TYPE_CHECKING:
    from .choices import Recording
    from .clients import Clients
    from .events import PendingEvent
    from .node import Node

__all__ = ["Controls", "Invariant"]

Invariant = Callable[[Any], "bool | str | None"]  # (simulation) -> ok / violated


class Controls(Faults):
    """Faults, clients, recording and out-of-turn control (see the module docstring)."""

    if TYPE_CHECKING:  # besides the Host's: the Simulation's too
        _clients: Clients
        _invariants: list[tuple[str, Invariant]]

        def pending(self) -> list[PendingEvent]: ...

        def _is_stale(self, entry: Entry) -> bool: ...

        def _fire_entry(self, entry: Entry) -> None: ...

        def _drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None: ...

        def _call(self, node_id: str, node: Node, method: str, args: tuple[Any, ...]) -> Any: ...

    # ----------------------------------------------------- nodes
    def stored(self, node_id: str) -> dict[str, Any]:
        """A copy of what ``node_id`` persisted: what it would recover on restart."""
        self._check_node(node_id)
        return copy.deepcopy(self._storage[node_id])

    def incarnation(self, node_id: str) -> int:
        """How many times ``node_id`` has been started or crashed (changes on both)."""
        self._check_node(node_id)
        return self._incarnations[node_id]

    # ----------------------------------------------------- invariants
    def add_invariant(self, name: str, check: Invariant) -> None:
        """Check ``check(sim)`` after every event; False or a string = violated."""
        if not callable(check):
            raise ConfigError(f"invariant {name!r} must be callable (sim) -> bool/str/None")
        self._invariants.append((name, check))

    @property
    def invariants(self) -> tuple[tuple[str, Invariant], ...]:
        """The registered invariants, as ``(name, check)`` pairs in the order added."""
        return tuple(self._invariants)

    def check_invariants(self) -> None:
        """Check every invariant now (raises :class:`InvariantViolation`)."""
        self._check_invariants()

    def _check_invariants(self) -> None:
        for name, check in self._invariants:
            result = check(self)
            if result is False or isinstance(result, str):
                message = result if isinstance(result, str) else "returned False"
                self._record("note", "", detail=f"INVARIANT {name} VIOLATED: {message}")
                raise InvariantViolation(
                    name, message, step=self.steps, time=self.now, trace=self.trace,
                    seed=self.seed, choices=self.choices,
                )

    # ------------------------------------------------------------ clients
    def submit(self, node: str, f: str, key: Any = None, value: Any = None,
               client: str = "c1", timeout: int | None = None,
               seq: int | None = None) -> ClientRequest:
        """Send operation ``f`` from ``client`` to ``node``; returns the request.

        ``seq`` is the client's own number for the operation: a client that
        retries after a timeout sends the same ``seq`` again, so a server with
        client sessions can apply it once (default: the request's id).
        """
        return self._clients.submit(node, f, key, value, client, timeout, seq)

    # ------------------------------------------------------------ recording
    @property
    def choices(self) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._cp.recording

    @property
    def choice_count(self) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._cp.count

    def rng(self, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed.

        Its draws are not recorded: they only decide which inputs the script
        makes, and those inputs are recorded themselves, so a replay from the
        choice list does not need to run the script again.
        """
        return random.Random(stream_seed(self.seed, f"user/{name}"))

    def _input(self, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        if not self._in_event:
            self._cp.record_input(self.steps, action, args)

    # ------------------------------------------------------------ out of turn
    def fire(self, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        entry = self._take_pending(event_id, "fire")
        self._fire_entry((self.now, *entry[1:]))

    def drop(self, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        entry = self._take_pending(event_id, "drop", messages_only=True)
        src, msg, msg_id = entry[5]
        self._drop(entry[4], src, msg_id, msg, "dropped by hand")

    def duplicate(self, event_id: int) -> int:
        """Put a second copy of the pending message ``event_id`` in flight; returns its id.

        The copy is due at the same time and carries the same message id,
        like a duplicate made by the network; recorded for replay. The
        model checker's "deliver but keep a copy" is ``duplicate`` then
        ``fire``.
        """
        _i, entry = self._find_pending(event_id, "duplicate", messages_only=True)
        self._input("duplicate", [event_id])
        time, prio, _seq, kind, node, data = entry
        self.stats["duplicated"] += 1
        self._record("duplicate", data[0], node, data[2], data[1], "duplicated by hand")
        return self._push(time, kind, node, data, prio)

    def call(self, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(*args)`` from outside, as a recorded input.

        A :class:`~.step.Call` it returns (``RaftNode.submit``, ``take``) is
        carried out: the node steps on its input; its ``answer`` comes back.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        self._check_node(node_id)
        target = self.nodes[node_id]
        if target is None:
            raise ConfigError(f"cannot call {method}() on {node_id}: it is crashed")
        if not callable(getattr(target, method, None)):
            raise ConfigError(f"{type(target).__name__} has no method {method!r}")
        self._input("call", [node_id, method, list(args)])
        self._in_event = True
        try:
            result = self._call(node_id, target, method, args)
        finally:
            self._in_event = False
        if self.tracing:  # the reprs cost more than many a call
            self._record("note", node_id,
                         detail=f"called {method}({', '.join(map(repr, args))}) -> {result!r}")
        if self._invariants:
            self._check_invariants()
        return result

    def _take_pending(self, event_id: int, action: str, messages_only: bool = False) -> Entry:
        """Remove pending event ``event_id`` from the heap (recorded as an input)."""
        i, entry = self._find_pending(event_id, action, messages_only)
        self._input(action, [event_id])
        last = self._heap.pop()
        if i < len(self._heap):
            self._heap[i] = last
            heapq.heapify(self._heap)
        return entry

    def _find_pending(self, event_id: int, action: str,
                      messages_only: bool = False) -> tuple[int, Entry]:
        """Where live pending event ``event_id`` is in the heap, and its entry; with
        ``messages_only``, a timer or other event is refused (nothing changes)."""
        found = [(i, e) for i, e in enumerate(self._heap)
                 if e[2] == event_id and not self._is_stale(e)]
        if not found:
            ids = ", ".join(str(e.id) for e in self.pending()[:20])
            raise ConfigError(f"no pending event #{event_id}; pending ids: {ids or 'none'}")
        i, entry = found[0]
        if messages_only and entry[3] != DELIVER:
            verb = {"drop": "dropped", "duplicate": "duplicated"}.get(action, f"{action}ed")
            raise ConfigError(f"event #{event_id} is a {KIND_NAMES[entry[3]]}, not a message; "
                              f"only message deliveries can be {verb}")
        return i, entry
