"""External control of a run: its recording, replay, and out-of-turn events.

Everything that enters a run from outside a handler goes through here and is
recorded as an input (see :mod:`.choices`): nemesis actions and client
requests call ``_input``; ``fire`` and ``drop`` take one pending event out of
its turn (the choice point a widget or a model checker uses); ``call`` runs a
node method as if it were an event. ``Simulation.replay`` applies the inputs
again at the steps where they happened.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .choices import Recording, stream_seed
from .errors import ConfigError, ReplayDivergence
from .events import DELIVER, KIND_NAMES

if TYPE_CHECKING:
    from .network import Network
    from .simulation import NodeFactory, Simulation


class ControlMixin:
    """Recording, replay and out-of-turn control for :class:`Simulation`."""

    @property
    def choices(self: Simulation) -> Recording:
        """Every random draw and external input so far (a JSON-able dict)."""
        return self._cp.recording

    @property
    def choice_count(self: Simulation) -> int:
        """How many choices have been recorded (a mark for partial replays)."""
        return self._cp.count

    def rng(self: Simulation, name: str) -> random.Random:
        """A named random stream for a workload script, seeded from the run's seed.

        Its draws are not recorded: they only decide which inputs the script
        makes, and those inputs are recorded themselves, so a replay from the
        choice list does not need to run the script again.
        """
        return random.Random(stream_seed(self.seed, f"user/{name}"))

    @classmethod
    def replay(
        cls,
        factory: NodeFactory,
        node_ids: int | Iterable[str],
        choices: Recording,
        steps: int,
        *,
        seed: int = 0,
        network: Network | None = None,
        trace: bool = True,
    ) -> Simulation:
        """Rebuild a run from its recorded ``choices``, ``steps`` steps long.

        With the original ``seed`` too, the rebuilt run can go on past the
        recording exactly as the original would have.
        """
        sim = cls(factory, node_ids, seed=seed, network=network, trace=trace, replay=choices)
        # Count steps, not calls: one step() may apply several recorded
        # inputs, and each out-of-turn ``fire`` among them is a step.
        while sim.steps < steps and sim.step():
            pass
        sim._apply_recorded_inputs()
        unused = sim._cp.unused()
        if unused:
            raise ReplayDivergence(
                f"replay stopped at step {sim.steps} (asked for {steps}) with {unused} "
                "recorded choices unused: the code or the inputs differ from the recording"
            )
        return sim

    def _apply_recorded_inputs(self: Simulation) -> None:
        while (item := self._cp.next_input(self.steps)) is not None:
            action, args = item
            if action == "call":
                node_id, method, call_args = args
                self.call(node_id, method, *call_args)
            else:
                getattr(self, action)(*args)

    def _input(self: Simulation, action: str, args: list[Any]) -> None:
        """Record an external input (not one made by a scheduled event)."""
        if not self._in_event:
            self._cp.record_input(self.steps, action, args)

    def fire(self: Simulation, event_id: int) -> None:
        """Fire the pending event ``event_id`` now, ahead of its turn.

        This is the scheduling choice point: a widget's "deliver this
        message next" and the model checker's exploration both use it.
        """
        entry = self._take_pending(event_id, "fire")
        self._fire_entry((self.now, *entry[1:]))

    def drop(self: Simulation, event_id: int) -> None:
        """Lose the pending message ``event_id`` in the network (RaftScope's "drop").

        Only message deliveries can be dropped; a timer is a node's own
        business (crash or pause the node instead).
        """
        entry = self._take_pending(event_id, "drop", messages_only=True)
        src, msg, msg_id = entry[5]
        self._drop(entry[4], src, msg_id, msg, "dropped by hand")

    def duplicate(self: Simulation, event_id: int) -> int:
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

    def call(self: Simulation, node_id: str, method: str, *args: Any) -> Any:
        """Call ``node.method(ctx, *args)`` from outside, as a recorded input.

        For test harnesses and notebooks that drive a node directly, like
        6.5840's ``Start(command)``: the call is recorded (so the run
        replays from its choices), its effects are not separate inputs, and
        the invariants are checked right after it.
        """
        self._check_node(node_id)
        target = self.nodes[node_id]
        if target is None:
            raise ConfigError(f"cannot call {method}() on {node_id}: it is crashed")
        handler = getattr(target, method, None)
        if not callable(handler):
            raise ConfigError(f"{type(target).__name__} has no method {method!r}")
        self._input("call", [node_id, method, list(args)])
        self._in_event = True
        try:
            result = handler(self._contexts[node_id], *args)
        finally:
            self._in_event = False
        self._note(node_id, f"called {method}({', '.join(map(repr, args))}) -> {result!r}")
        if self._invariants:
            self._check_invariants()
        return result

    def _take_pending(self: Simulation, event_id: int, action: str,
                      messages_only: bool = False) -> tuple[Any, ...]:
        """Remove pending event ``event_id`` from the heap (recorded as an input).

        With ``messages_only``, a timer or other event is refused and nothing changes.
        """
        i, entry = self._find_pending(event_id, action, messages_only)
        self._input(action, [event_id])
        last = self._heap.pop()
        if i < len(self._heap):
            self._heap[i] = last
            heapq.heapify(self._heap)
        return entry

    def _find_pending(self: Simulation, event_id: int, action: str,
                      messages_only: bool = False) -> tuple[int, tuple[Any, ...]]:
        """Where live pending event ``event_id`` is in the heap, and its entry (raises if
        there is none)."""
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
