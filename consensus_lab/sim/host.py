"""What a :class:`~.simulation.Simulation` offers the code it is made of.

The simulation owns the run's state (nodes, heap, timers, storage, clocks,
trace, history) and the helpers that change it; the actions of its base
classes (:class:`~.nemesis.Faults`, :class:`~.controls.Controls`) and its
parts (:class:`~.clients.Clients`, :class:`~.nemesis.Nemesis`) use them.
:class:`Host` declares them once, for the type checker only: at run time
it is an empty base class, and every name below is the simulation's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .choices import ChoicePoint
    from .clock import NodeClock
    from .events import Entry
    from .history import History
    from .network import Network
    from .node import Node
    from .trace import Trace


class Host:
    """The run's state and helpers, as the :class:`~.simulation.Simulation` sets them."""

    if TYPE_CHECKING:
        node_ids: tuple[str, ...]
        seed: int
        now: int
        steps: int
        tracing: bool
        trace: Trace
        history: History
        stats: dict[str, int]
        network: Network
        nodes: dict[str, Node | None]
        crashed: frozenset[str]
        paused: frozenset[str]
        _cp: ChoicePoint
        _heap: list[Entry]
        _in_event: bool
        _storage: dict[str, dict[str, Any]]
        _incarnations: dict[str, int]
        _timers: dict[str, dict[str, int]]
        _held: dict[str, list[Entry]]
        _clocks: dict[str, NodeClock]

        def _check_node(self, node_id: str) -> None: ...

        def _check_network_ids(self, network: Network) -> None: ...

        def _boot(self, node_id: str) -> None: ...

        def _input(self, action: str, args: list[Any]) -> None: ...

        def _push(self, time: int, kind: int, node: str, data: Any, prio: int = ...) -> int: ...

        def _take(self, node_id: str, node: Node, event: Any) -> None: ...

        def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                    message: Any = None, detail: str = "", state: str | None = None,
                    rule: str = "") -> None: ...
