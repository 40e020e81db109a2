"""The public controls of a :class:`~.simulation.Simulation`, delegated to its parts.

A run is composed of parts (:class:`~.nemesis.Nemesis`, :class:`~.clients.Clients`,
:class:`~.control.Control`); the methods a learner calls
(``crash``, ``partition``, ``submit``, ``fire``, ``call`` ...) live
here, each a one-line hand-over, so :mod:`.simulation` keeps only the run's
state and its scheduling loop. :class:`Controls` is a base class of
``Simulation``: every method below is the ``Simulation``'s own.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InvariantViolation
from .history import ClientRequest
from .network import Network

if TYPE_CHECKING:
    from .choices import Recording
    from .clients import Clients
    from .control import Control
    from .nemesis import Nemesis
    from .trace import Trace

__all__ = ["Controls", "Invariant"]

Invariant = Callable[[Any], "bool | str | None"]  # (simulation) -> ok / violated


class Controls:
    """Faults, clients, recording and out-of-turn control (see the module docstring)."""

    _nemesis: Nemesis
    _clients: Clients
    _control: Control
    _invariants: list[tuple[str, Invariant]]
    steps: int
    now: int
    seed: int
    trace: Trace

    _storage: dict[str, dict[str, Any]]
    _incarnations: dict[str, int]

    def _check_node(self, node_id: str) -> None: ...

    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None,
                rule: str = "") -> None: ...

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

    # ------------------------------------------------------------ nemesis
    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups``; unnamed nodes form one more group."""
        self._nemesis.partition(*groups)

    def partition_one_way(self, src: str, dst: str) -> None:
        """Cut only the direction ``src -> dst`` (``dst`` can still reach ``src``)."""
        self._nemesis.partition_one_way(src, dst)

    def heal(self) -> None:
        """Remove every partition."""
        self._nemesis.heal()

    def set_network(self, network: Network | Mapping[str, Any]) -> None:
        """Replace the network model (latency, drops, per-link overrides, cuts)."""
        self._nemesis.set_network(network)

    def crash(self, node: str) -> None:
        """Crash ``node``: it loses everything it did not persist."""
        self._nemesis.crash(node)

    def restart(self, node: str) -> None:
        """Restart a crashed ``node`` from its persisted state only."""
        self._nemesis.restart(node)

    def pause(self, node: str) -> None:
        """Freeze ``node`` (a GC pause): its events wait until ``resume``."""
        self._nemesis.pause(node)

    def resume(self, node: str) -> None:
        """Unfreeze ``node``: everything that waited fires now, in order."""
        self._nemesis.resume(node)

    def set_clock(self, node: str, skew: int = 0, drift_ppm: int = 0) -> None:
        """Give ``node`` a clock ``skew`` ticks off that runs ``drift_ppm`` fast (or slow)."""
        self._nemesis.set_clock(node, skew, drift_ppm)

    def at(self, time: int, action: str, *args: Any) -> None:
        """Schedule the nemesis ``action(*args)`` at ``time`` (e.g. ``at(500, "crash", "n1")``)."""
        self._nemesis.at(time, action, *args)

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

    # ------------------------------------------------------------ control
    @property
    def choices(self) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._control.choices

    @property
    def choice_count(self) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._control.choice_count

    def rng(self, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed.

        Its draws are not recorded: they only decide which inputs the script
        makes, and those inputs are recorded themselves, so a replay from the
        choice list does not need to run the script again.
        """
        return self._control.rng(name)

    def _input(self, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        self._control.input(action, args)

    def fire(self, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        self._control.fire(event_id)

    def drop(self, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        self._control.drop(event_id)

    def duplicate(self, event_id: int) -> int:
        """Put a second copy of the pending message ``event_id`` in flight; returns its id.

        The copy is due at the same time and carries the same message id,
        like a duplicate made by the network; recorded for replay. The
        model checker's "deliver but keep a copy" is ``duplicate`` then
        ``fire``.
        """
        return self._control.duplicate(event_id)

    def call(self, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(*args)`` from outside, as a recorded input.

        A :class:`~.step.Call` it returns (``RaftNode.submit``, ``take``) is
        carried out: the node steps on its input; its ``answer`` comes back.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        return self._control.call(node_id, method, *args)
