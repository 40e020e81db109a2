"""What the simulator holds per node: a :class:`Node`.

A node of the lab is a :class:`~.step.StepNode`: a step protocol and its
current state value (see :mod:`.step`). :class:`Node` is what every node
object has in common, whatever drives it: its id, its sorted peers, and a
view of its state for tables, diagrams and traces. It never touches a
socket, a clock or a global random generator.
"""

from __future__ import annotations

from typing import Any


class Node:
    """Base class of every simulated node (subclass :class:`~.step.StepNode`)."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        self.node_id = node_id
        self.peers = tuple(sorted(peers))

    def view(self) -> dict[str, Any]:
        """A small dict of the state worth showing in a table or diagram."""
        return {}

    def describe(self) -> str:
        """A one-line label of the node's state (used in traces and diagrams)."""
        return ", ".join(f"{k}={v}" for k, v in self.view().items())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node_id}>"
