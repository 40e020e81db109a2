"""Vector clocks (向量時鐘): detect whether two events are causally related or concurrent.

Theory of operation (Fidge 1988, Mattern 1989; DDIA ch. 9, "causal consistency"):

A vector clock holds one counter per node. Node ``i`` keeps its own vector
``V`` and follows three rules:

1. **Local event or send** — increment your own entry: ``V[i] += 1``
   (:meth:`VectorClock.increment`).
2. **Receive** a message stamped ``W`` — take the element-wise maximum
   ``V[k] = max(V[k], W[k])`` for every ``k`` (:meth:`VectorClock.merge`), then
   count the receive as an event of your own: ``V[i] += 1``. The two steps
   together are :meth:`VectorClock.update` — *merge, then tick*, in that order.
3. **Compare** — ``V <= W`` when every entry of ``V`` is ``<=`` the same entry
   of ``W``. Event ``a`` *happens before* ``b`` (a → b) exactly when
   ``V(a) <= V(b)`` and ``V(a) != V(b)`` (:meth:`VectorClock.happens_before`,
   strict). Two events are *concurrent* (a ‖ b) when neither vector is ``<=``
   the other (:meth:`VectorClock.concurrent`). Equal vectors are the same
   event, hence *not* concurrent — the chapter's ``concurrent`` (``not a→b and
   not b→a``) gets this case wrong.

A node that has never been heard of has counter 0: missing entries are 0
everywhere (``VectorClock({"A": 1}) == VectorClock({"A": 1, "B": 0})``).

Design decision — **mutable clock, immutable stamps.** The chapter's API
mutates (``alice.increment()`` changes Alice's clock) and a node owns exactly
one clock that moves forward, so :class:`VectorClock` is mutable and, like
``dict``, unhashable. A message must never share that mutable object with its
sender, so messages carry a *stamp*: :meth:`VectorClock.as_pairs` returns a
tuple of sorted ``(node, counter)`` pairs, which fits a frozen dataclass and
is turned back into a clock with ``VectorClock(pairs)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from consensus_lab.clocks.errors import ClockTypeError, check_counter, check_node_id

#: The immutable form of a vector clock carried in messages: sorted ``(node, counter)`` pairs.
Stamp = tuple[tuple[str, int], ...]

#: Rule 1, as a step protocol's effects cite it.
TICK_RULE = ("vector clock rule 1 (Fidge 1988, Mattern 1989): before a local event or a send, "
             "increment your own entry, V[i] += 1")
#: The merge half of rule 2.
MERGE_RULE = ("vector clock merge rule (Fidge 1988, Mattern 1989): on receipt of a message "
              "stamped W, set V[k] = max(V[k], W[k]) for every k")


def _counters(value: object) -> dict[str, int]:
    """Return a validated ``{node: counter}`` dict from a clock, mapping or pairs."""
    if isinstance(value, VectorClock):
        return dict(value._counters)
    items: Iterable[Any]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise _not_a_clock(value)
    else:
        items = value
    counters: dict[str, int] = {}
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise _not_a_clock(value)
        node, counter = item
        counters[check_node_id(node)] = check_counter(counter, what=f"counter for {node!r}")
    return counters


def _not_a_clock(value: object) -> ClockTypeError:
    return ClockTypeError(
        "expected a VectorClock, a mapping {node: counter} or (node, counter) pairs, "
        f"got {value!r} ({type(value).__name__})"
    )


class VectorClock:
    """A vector clock keyed by node id; missing entries count as 0.

    ``VectorClock()`` is the zero clock; ``VectorClock({"A": 1})`` or
    ``VectorClock([("A", 1)])`` start from given counters; ``nodes=`` lists ids
    to show as ``0`` in :meth:`__str__`.

    >>> alice = VectorClock(nodes="ABC")
    >>> alice.increment("A"); print(alice)
    [A:1 B:0 C:0]
    >>> bob = VectorClock(nodes="ABC"); bob.update(alice, "B"); print(bob)
    [A:1 B:1 C:0]
    >>> alice.happens_before(bob), bob.concurrent(alice)
    (True, False)
    """

    __slots__ = ("_counters",)
    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __init__(
        self,
        counters: VectorClock | Mapping[str, int] | Iterable[tuple[str, int]] | None = None,
        *,
        nodes: Iterable[str] = (),
    ) -> None:
        # Invariant: every key is a non-empty str, every value an int >= 0.
        self._counters: dict[str, int] = {check_node_id(n): 0 for n in nodes}
        if counters is not None:
            self._counters.update(_counters(counters))

    # -- the three rules ------------------------------------------------------

    def increment(self, node: str) -> None:
        """Rule 1: count a local event (or a send) at ``node``: ``V[node] += 1``."""
        check_node_id(node)
        self._counters[node] = self._counters.get(node, 0) + 1

    def merge(self, other: VectorClock | Mapping[str, int]) -> None:
        """Take the element-wise maximum with ``other`` in place (first half of rule 2)."""
        for node, counter in _counters(other).items():
            self._counters[node] = max(self._counters.get(node, 0), counter)

    def update(self, other: VectorClock | Mapping[str, int], node: str) -> None:
        """Rule 2: on receiving a message stamped ``other`` at ``node`` — merge, *then* tick.

        Ticking after the merge makes the receive event strictly later than both
        the receiver's previous state and the message (chapter: 接收也是一個事件,
        "receiving is an event too").
        """
        check_node_id(node)
        self.merge(other)
        self.increment(node)

    def happens_before(self, other: VectorClock | Mapping[str, int]) -> bool:
        """Rule 3: ``self → other``: every entry ``<=`` and the vectors differ (strict)."""
        return self <= other and self != other

    def concurrent(self, other: VectorClock | Mapping[str, int]) -> bool:
        """``self ‖ other``: neither ``self <= other`` nor ``other <= self``.

        Symmetric, and never true of equal clocks (an event is not concurrent
        with itself).
        """
        theirs = VectorClock(other)
        return not (self <= theirs) and not (theirs <= self)

    # -- comparison -----------------------------------------------------------

    def __le__(self, other: object) -> bool:
        """``V <= W``: every entry of ``V`` is ``<=`` that of ``W`` (missing = 0)."""
        if not isinstance(other, (VectorClock, Mapping)):
            return NotImplemented
        theirs = _counters(other)
        return all(c <= theirs.get(n, 0) for n, c in self._counters.items())

    def __lt__(self, other: object) -> bool:
        """``V < W`` is :meth:`happens_before`."""
        if not isinstance(other, (VectorClock, Mapping)):
            return NotImplemented
        return self.happens_before(other)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, (VectorClock, Mapping)):
            return NotImplemented
        return VectorClock(other) <= self

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, (VectorClock, Mapping)):
            return NotImplemented
        return VectorClock(other).happens_before(self)

    def __eq__(self, other: object) -> bool:
        """Equal when every entry is equal, missing entries counting as 0."""
        if not isinstance(other, (VectorClock, Mapping)):
            return NotImplemented
        theirs = _counters(other)
        nodes = self._counters.keys() | theirs.keys()
        return all(self._counters.get(n, 0) == theirs.get(n, 0) for n in nodes)

    # -- access and display ---------------------------------------------------

    def __getitem__(self, node: str) -> int:
        """The counter of ``node`` (0 when the clock has never seen it)."""
        return self._counters.get(check_node_id(node), 0)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node ids this clock has an entry for (zeros included), sorted."""
        return tuple(sorted(self._counters))

    def copy(self) -> VectorClock:
        """An independent clock with the same entries."""
        return VectorClock(self)

    def as_dict(self) -> dict[str, int]:
        """A new ``{node: counter}`` dict, sorted by node id (zeros included)."""
        return {n: self._counters[n] for n in sorted(self._counters)}

    def as_pairs(self) -> Stamp:
        """The immutable stamp to put in a message: sorted ``(node, counter)`` pairs."""
        return tuple((n, self._counters[n]) for n in sorted(self._counters))

    def __str__(self) -> str:
        return "[" + " ".join(f"{n}:{c}" for n, c in self.as_pairs()) + "]"

    def __repr__(self) -> str:
        return f"VectorClock({self.as_dict()!r})"
