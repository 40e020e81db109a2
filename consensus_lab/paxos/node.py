"""What every Paxos node class shares: a :class:`~consensus_lab.sim.step.StepNode`
whose attributes read its state value.

The acceptor, proposer and learner of single-decree Paxos and the
Multi-Paxos server are step protocols; the node classes the rest of the
lab knows (``Acceptor``, ``Proposer``, ``Learner``, ``MultiPaxosServer``)
only show their state. A :class:`RoleNode` does that once for all of them:
before its first step it shows a fresh node's state (:meth:`RoleNode.fresh`),
so ``view``, ``describe`` and every :class:`StateField` work on a node that
has not started; ``config`` is its protocol's.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from ..sim.step import StepNode

S = TypeVar("S")
T = TypeVar("T")


class RoleNode(StepNode[S]):
    """A step node that reads its state, or a fresh node's before the first step."""

    def fresh(self) -> S:
        """The state of this node before its first step."""
        raise NotImplementedError

    def _now(self) -> S:
        """The current state; before the first step, :meth:`fresh`."""
        return self.fresh() if self.state is None else self.state

    def view(self) -> dict[str, Any]:
        """The protocol's view of the current state."""
        return self.protocol.view(self._now())

    def describe(self) -> str:
        """The protocol's one-line label of the current state."""
        return self.protocol.describe(self._now())

    @property
    def config(self) -> Any:
        """The protocol's configuration."""
        return self.protocol.config  # type: ignore[attr-defined]


class StateField(Generic[T]):
    """A read-only node attribute: the field of the same name of the node's current state.

    ``promised: StateField[Ballot | None] = StateField("The highest ballot promised.")``
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, node: None, owner: type) -> StateField[T]: ...
    @overload
    def __get__(self, node: RoleNode[Any], owner: type) -> T: ...

    def __get__(self, node: RoleNode[Any] | None, owner: type) -> Any:
        if node is None:
            return self
        return getattr(node._now(), self.name)
