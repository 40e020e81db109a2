"""How a Dynamo-style replica decides which versions of a key to keep.

Two policies, both pure functions over immutable values so they can be
unit-tested on their own and carried in frozen messages:

* **Last write wins (LWW)** — a version is ``(stamp, value)`` with
  ``stamp = (local wall-clock time, node id)``. A replica keeps only the
  version with the highest stamp. Cheap, always converges, but a write
  stamped by a node whose clock runs behind *loses* to an older write from
  a node whose clock runs ahead: an acknowledged write silently vanishes
  (Cassandra's behaviour; DDIA ch. 5 "last write wins" and ch. 8 clocks).
* **Siblings** (Riak, Dynamo paper §4.4) — a version is a :class:`Sibling`:
  its value, the *dot* ``(node, counter)`` that names the write, and the
  *context* the client read before writing (a vector clock stamp). A new
  version supersedes exactly the versions its context has seen (the dot is
  covered by the context); versions it has not seen stay as siblings. A
  read returns every sibling plus the join of their clocks as the context
  for the next write, which then replaces them all. Using a dot per version
  (dotted version vectors, Preguiça et al. 2010) rather than one bumped
  vector clock keeps two blind writes through the same node as siblings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..clocks.vector import Stamp, VectorClock

#: An LWW stamp: (local time at the coordinator, coordinator id).
LwwStamp = tuple[int, str]
LWW_ZERO: LwwStamp = (-(2**62), "")


def lww_merge(mine: tuple[LwwStamp, Any] | None,
              theirs: tuple[LwwStamp, Any]) -> tuple[LwwStamp, Any]:
    """The version an LWW replica keeps: the one with the higher stamp."""
    if mine is None or theirs[0] > mine[0]:
        return theirs
    return mine


@dataclass(frozen=True, slots=True, kw_only=True)
class Sibling:
    """One version of a key: ``value`` written as ``dot`` after seeing ``context``."""

    value: Any
    dot: tuple[str, int]
    context: Stamp = ()

    def clock(self) -> VectorClock:
        """Everything this version has seen: its context plus its own dot."""
        clock = VectorClock(self.context)
        clock.merge({self.dot[0]: self.dot[1]})
        return clock

    def seen_by(self, clock: VectorClock | Stamp) -> bool:
        """True when ``clock`` covers this version's dot (it was read before)."""
        return VectorClock(clock)[self.dot[0]] >= self.dot[1]

    def __str__(self) -> str:
        return f"{self.value!r}@{self.dot[0]}:{self.dot[1]}"


def sibling_merge(mine: Iterable[Sibling], theirs: Iterable[Sibling]) -> tuple[Sibling, ...]:
    """Union of two sibling sets, minus every version another one has seen.

    Sorted by dot so that every replica holds the same tuple for the same set.
    """
    union = {s.dot: s for s in (*mine, *theirs)}
    kept = [s for s in union.values()
            if not any(o.dot != s.dot and s.seen_by(o.context) for o in union.values())]
    return tuple(sorted(kept, key=lambda s: s.dot))


def join_context(siblings: Iterable[Sibling]) -> Stamp:
    """The context a read hands back: the join of every sibling's clock."""
    clock = VectorClock()
    for s in siblings:
        clock.merge(s.clock())
    return clock.as_pairs()


@dataclass(frozen=True, slots=True, kw_only=True)
class Versioned:
    """What a siblings-mode read returns: every concurrent value and the context to write with.

    ``values`` is sorted by the versions' dots. Pass ``context`` back in a
    :class:`Write` to supersede all of them.
    """

    values: tuple[Any, ...]
    context: Stamp = ()

    def __str__(self) -> str:
        return "{" + ", ".join(repr(v) for v in self.values) + "}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """A client's write value in siblings mode: ``value`` plus the ``context`` it read."""

    value: Any
    context: Stamp = ()

    def __str__(self) -> str:
        return repr(self.value)
