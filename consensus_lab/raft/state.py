"""One Raft server's state as an immutable value (Figure 2, "State").

:class:`RaftState` is a frozen dataclass of small values: the log is a
:class:`~.log.Log`, the applied store a :class:`~.store.KVValue`, maps are
tuples of ``(peer, index)`` pairs in the order of ``peers`` and sets are
frozensets. Equal states behave the same, so a model checker can hash them.

Durable part (Figure 2, "Persistent state on all servers"): ``current_term``,
``voted_for``, ``log`` and ``snapshot_data``. A step changes them only
together with the :class:`~consensus_lab.sim.step.Persist` effects that
write them, placed before any ``Send`` that depends on them. One deliberate
lag: entries a leader appends are marked ``log_dirty`` and written before
its next send or commit count (one write per batch, as etcd's ``Ready``
batches), so a crash before then loses entries nobody has seen.

Volatile part: everything else, rebuilt by ``start`` after a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from ..sim import ClientRequest
from ..sim.step import Value, frozen
from .log import EMPTY_LOG, Log
from .store import EMPTY_STORE, KVValue

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"

#: The role state machine of Figure 4 of the paper: (from, event, to). The
#: become_* functions implement exactly these edges; the election notebook
#: draws its diagram from this table (and a test checks the code against it).
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (FOLLOWER, "election timeout: start election", CANDIDATE),
    (CANDIDATE, "election timeout: new election", CANDIDATE),
    (CANDIDATE, "votes from a majority", LEADER),
    (CANDIDATE, "AppendEntries from this term's leader, or a higher term", FOLLOWER),
    (LEADER, "message with a higher term", FOLLOWER),
    (FOLLOWER, "message with a higher term: adopt it", FOLLOWER),
)

Pairs = tuple[tuple[str, int], ...]


@frozen
class Submit(Value):
    """An input: start agreement on ``command`` (6.5840's ``Start``; a leader appends it)."""

    command: Any


@frozen
class RaftState(Value):
    """Figure 2's state of one server, and what this implementation keeps besides."""

    node_id: str
    peers: tuple[str, ...]
    # -- durable (written only through Persist effects)
    current_term: int = 0
    voted_for: str | None = None
    log: Log = EMPTY_LOG
    snapshot_data: Any = None
    # -- volatile, all servers.  Invariant: last_applied <= commit_index <= log.last_index
    role: str = FOLLOWER
    leader_id: str | None = None
    commit_index: int = 0
    last_applied: int = 0
    store: Any = EMPTY_STORE  # the state machine: a KVValue, or what the protocol restores
    applied: tuple[tuple[int, int, Any], ...] = ()  # (index, term, command) if keep_applied
    pending: tuple[tuple[int, ClientRequest, int], ...] = ()  # (index, request, term)
    log_dirty: bool = False  # a leader's appended entries not yet persisted
    # -- volatile, candidates and leaders (cleared on becoming a follower)
    votes: frozenset[str] = frozenset()
    next_index: Pairs = ()
    match_index: Pairs = ()
    probing: frozenset[str] = frozenset()  # followers whose last answer was a rejection

    def quorum(self) -> int:
        """How many servers make a majority."""
        return (len(self.peers) + 1) // 2 + 1

    def committed(self) -> tuple[tuple[int, Any], ...]:
        """(index, command) of the committed entries still in the log (after the snapshot)."""
        log = self.log
        return tuple((i, log.entry(i).command)
                     for i in range(log.snapshot_index + 1, self.commit_index + 1))


S = TypeVar("S", bound=RaftState)


def evolve(state: S, **changes: Any) -> S:
    """``dataclasses.replace`` for states, without its cost (a step makes several).

    It reads every field at once (an ``attrgetter``), puts the changes in,
    and writes the fields of a new object through their slot descriptors
    (which a frozen class allows) instead of calling ``__init__``; an
    unknown field name raises.
    """
    cls = type(state)
    layout = _LAYOUTS.get(cls) or _layout(cls)
    values = list(layout.read_all(state))
    for name, value in changes.items():
        at = layout.places.get(name)
        if at is None:
            raise TypeError(f"{cls.__name__} has no field {name}; fields: "
                            f"{', '.join(layout.places)}")
        values[at] = value
    new = object.__new__(cls)
    for write, value in zip(layout.writers, values, strict=True):
        write(new, value)
    return new


class _Layout(NamedTuple):
    """How :func:`evolve` reads and writes the fields of one state class."""

    read_all: Callable[[Any], tuple[Any, ...]]
    places: dict[str, int]  # field name -> its position
    writers: tuple[Callable[[Any, Any], None], ...]


_LAYOUTS: dict[type, _Layout] = {}


def _layout(cls: type) -> _Layout:
    names = [f.name for f in fields(cls)]
    layout = _LAYOUTS[cls] = _Layout(attrgetter(*names), {n: i for i, n in enumerate(names)},
                                     tuple(getattr(cls, n).__set__ for n in names))
    return layout


def get(pairs: Pairs, peer: str) -> int:
    """The index ``pairs`` holds for ``peer``."""
    for key, value in pairs:
        if key == peer:
            return value
    raise KeyError(peer)


def put(pairs: Pairs, peer: str, value: int) -> Pairs:
    """``pairs`` with ``peer``'s index set to ``value`` (same order)."""
    return tuple((key, value if key == peer else old) for key, old in pairs)


__all__ = ["CANDIDATE", "FOLLOWER", "KVValue", "LEADER", "Pairs", "RaftState", "Submit",
           "TRANSITIONS", "evolve", "get", "put"]
