"""Transition tables: the one description of a role that runs it *and* draws it.

A role's behaviour is a dict ``(state, event) -> (new state, actions)``
(h11's style of state machine). A node turns what happened — a message,
a timer, a restart — into an *event* name, looks the pair up, moves to the
new state and runs the actions in order. The actions are names of the
node's methods, each ``action(ctx, src, msg)``; so the table is at once the
specification, the code path and the picture
(:func:`consensus_lab.viz.commit.state_diagram` draws it).

A pair missing from the table is an event the role ignores in that state
(a late vote, a duplicate decision); the node writes a trace note saying
so, which is how a reader of a trace spots a message that came too late.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

from ..sim import Context, Node

#: ``(state, event) -> (new state, action method names)``.
Table = Mapping[tuple[str, str], tuple[str, tuple[str, ...]]]


class TableNode(Node):
    """A node whose ``state`` moves only along the rows of its class's ``TABLE``.

    Subclasses set ``TABLE`` (may be replaced per instance for a variant)
    and ``STATS``, the attributes that are measurements (times) rather
    than protocol state, left out of :meth:`state_key`.
    """

    TABLE: ClassVar[Table] = {}
    STATS: ClassVar[tuple[str, ...]] = ()
    #: Attributes fixed at construction (peers by role, the config): not state.
    CONSTANTS: ClassVar[tuple[str, ...]] = ("config", "participants", "coordinators",
                                            "coordinator", "others", "services")

    def __init__(self, node_id: str, peers: tuple[str, ...], initial: str) -> None:
        super().__init__(node_id, peers)
        self.table: Table = self.TABLE
        self.state = initial

    def fire(self, ctx: Context, event: str, src: str = "", msg: Any = None) -> bool:
        """Take the row ``(state, event)``: move, then run its actions; False if none."""
        row = self.table.get((self.state, event))
        if row is None:
            ctx.note(f"{self.state}: ignores {event}")
            return False
        new_state, actions = row
        if new_state != self.state:
            ctx.note(f"{self.state} -> {new_state} on {event}")
        self.state = new_state
        for action in actions:
            getattr(self, action)(ctx, src, msg)
        return True

    def state_key(self) -> Hashable:
        """The protocol state without the measurements in ``STATS`` and the constants."""
        from ..sim.node import freeze

        state = {k: v for k, v in vars(self).items()
                 if k not in ("node_id", "peers", "table", *self.STATS, *self.CONSTANTS)}
        return freeze(state)


def check_table(table: Table, states: tuple[str, ...], actions: type) -> None:
    """Raise ValueError unless every row names known states and existing action methods."""
    for (state, event), (new_state, names) in table.items():
        for s in (state, new_state):
            if s not in states:
                raise ValueError(f"row ({state!r}, {event!r}): unknown state {s!r}; "
                                 f"states: {', '.join(states)}")
        for name in names:
            if not callable(getattr(actions, name, None)):
                raise ValueError(f"row ({state!r}, {event!r}): {actions.__name__} has no "
                                 f"action method {name!r}")
