"""Transition tables: the one description of a role that runs it *and* draws it.

A role's behaviour is a dict ``(state, event) -> (new state, actions)``
(h11's style of state machine). A protocol turns what happened — a
message, a timer, a restart — into an *event* name, looks the pair up in
its table, moves to the new state and runs the actions in order. The
actions are names of the protocol's methods, each a pure function
``action(state, src, msg) -> (state, effects)``; so the table is at once
the specification, the code path and the picture
(:func:`consensus_lab.viz.commit.state_diagram` draws it).

The state is an immutable value (:mod:`consensus_lab.sim.step`) whose
field ``phase`` is the table's state; :meth:`TableProtocol.fire` returns
the next value and the effects of the row's actions, in the order the row
lists them (so ``log_prepared`` comes before ``send_yes``: Persist before
Send).

A pair missing from the table is an event the role ignores in that state
(a late vote, a duplicate decision); the protocol writes a trace note
saying so, which is how a reader of a trace spots a message that came too
late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Protocol, TypeVar

from ..sim.step import (
    Effect,
    Effects,
    Note,
    Reply,
    Request,
    StepNode,
    StepProtocol,
)

#: ``(state, event) -> (new state, action method names)``.
Table = Mapping[tuple[str, str], tuple[str, tuple[str, ...]]]

#: Rule tags of the notes every table protocol writes.
RULE_MOVE = "transition table: in state s, event e moves the role along row (s, e)"
RULE_IGNORE = "transition table: an event with no row in this state is ignored"
RULE_NO_CLIENTS = "atomic commit: the transaction is fixed at start; nodes take no client requests"


class Phased(Protocol):
    """A state value with a table state ``phase`` (a frozen dataclass)."""

    @property
    def phase(self) -> str: ...


S = TypeVar("S", bound=Phased)


class TableProtocol(StepProtocol[S]):
    """A step protocol whose ``phase`` moves only along the rows of its ``table``.

    Subclasses set ``TABLE`` (a variant may pass another table) and write
    the actions as methods ``(state, src, msg) -> (state, effects)``.
    """

    TABLE: ClassVar[Table] = {}

    def __init__(self, table: Table | None = None) -> None:
        self.table: Table = self.TABLE if table is None else table

    def initial(self, node_id: str, peers: tuple[str, ...]) -> S:
        """The state before ``start`` reads the log (phase ``init``)."""
        raise NotImplementedError

    def fire(self, state: S, event: str, src: str = "", msg: Any = None) -> tuple[S, Effects]:
        """Take the row ``(state.phase, event)``: move, then run its actions."""
        row = self.table.get((state.phase, event))
        if row is None:
            return state, (Note(f"{state.phase}: ignores {event}", RULE_IGNORE),)
        new_phase, actions = row
        effects: list[Effect] = []
        if new_phase != state.phase:
            effects.append(Note(f"{state.phase} -> {new_phase} on {event}", RULE_MOVE))
        state = replace(state, phase=new_phase)  # type: ignore[type-var]
        for action in actions:
            state, done = getattr(self, action)(state, src, msg)
            effects.extend(done)
        return state, tuple(effects)


def refuse(request: Request, role: str) -> Effects:
    """The answer to a client request a commit role does not take."""
    return (Reply(request.request, f"{role} takes no client requests", ok=False,
                  rule=RULE_NO_CLIENTS),)


class TableNode(StepNode[S]):
    """A table protocol as a node; ``phase`` and ``table`` read its state and protocol.

    A node that has not started yet describes its
    :meth:`TableProtocol.initial` state (the trace's "start" record); every
    note is traced beside the state after the whole step, as for any node.
    """

    protocol: TableProtocol[S]

    def describe(self) -> str:
        """The protocol's label of the current state (of the initial one before start)."""
        state = self.state
        if state is None:
            state = self.protocol.initial(self.node_id, self.peers)
        return self.protocol.describe(state)

    @property
    def phase(self) -> str:
        """The table state the node is in (``"init"`` before it started)."""
        return "init" if self.state is None else self.state.phase

    @property
    def table(self) -> Table:
        """The transition table the node follows."""
        return self.protocol.table


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
