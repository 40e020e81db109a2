"""Exercise: vector clocks (向量時鐘) — reference solution.

The rules (Fidge 1988, Mattern 1989; DDIA ch. 9, causal consistency 因果一致性):

* A vector clock has one counter per node; a node missing from the clock has counter 0.
* Local event or send at node ``i``: ``V[i] += 1`` (``increment``, given).
* ``merge(W)``: ``V[k] = max(V[k], W[k])`` for every node ``k`` in either clock.
* Receive a message stamped ``W`` at node ``i`` — ``update(W, i)``: merge, *then*
  tick your own entry. Receiving is an event too (接收也是一個事件).
* ``V`` *happens before* ``W`` (V → W) when every ``V[k] <= W[k]`` and ``V != W``.
  Strict: a clock never happens before itself.
* ``V`` and ``W`` are *concurrent* (V ‖ W) when neither ``V <= W`` nor ``W <= V``.
  Symmetric, and equal clocks are not concurrent.

Check with ``consensus-lab check vector_clock --answers solutions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class VectorClock:
    """A mutable vector clock keyed by node id (a str); missing entries are 0."""

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __init__(self, counters: VectorClock | Mapping[str, int] | None = None, *,
                 nodes: Iterable[str] = ()) -> None:
        self.counters: dict[str, int] = {node: 0 for node in nodes}
        if isinstance(counters, VectorClock):
            counters = counters.counters
        for node, counter in dict(counters or {}).items():
            if not isinstance(node, str) or type(counter) is not int or counter < 0:
                raise ValueError("node ids must be str and counters ints >= 0, "
                                 f"got {node!r}: {counter!r}")
            self.counters[node] = counter

    # -- given ------------------------------------------------------------------

    def __getitem__(self, node: str) -> int:
        """The counter of ``node``; 0 when the clock has no entry for it."""
        return self.counters.get(node, 0)

    def increment(self, node: str) -> None:
        """A local event (or a send) at ``node``: ``V[node] += 1``."""
        self.counters[node] = self[node] + 1

    def copy(self) -> VectorClock:
        """An independent clock with the same entries."""
        return VectorClock(self)

    def as_dict(self) -> dict[str, int]:
        """A new ``{node: counter}`` dict sorted by node id."""
        return {node: self.counters[node] for node in sorted(self.counters)}

    def __eq__(self, other: object) -> bool:
        """Equal when every entry is equal, missing entries counting as 0."""
        if not isinstance(other, VectorClock):
            return NotImplemented
        nodes = self.counters.keys() | other.counters.keys()
        return all(self[node] == other[node] for node in nodes)

    def __le__(self, other: VectorClock) -> bool:
        """``V <= W``: equal, or V happens before W."""
        return self == other or self.happens_before(other)

    def __str__(self) -> str:
        return "[" + " ".join(f"{n}:{c}" for n, c in self.as_dict().items()) + "]"

    def __repr__(self) -> str:
        return f"VectorClock({self.as_dict()!r})"

    # -- the exercise -------------------------------------------------------------

    def merge(self, other: VectorClock) -> None:
        """Set every entry to the maximum of its value here and in ``other`` (in place)."""
        for node in other.counters:
            self.counters[node] = max(self[node], other[node])

    def update(self, other: VectorClock, node: str) -> None:
        """``node`` receives a message stamped ``other``: merge, then tick ``node``'s entry."""
        self.merge(other)
        self.increment(node)

    def happens_before(self, other: VectorClock) -> bool:
        """True when every entry here is ``<=`` the one in ``other`` and the clocks differ."""
        nodes = self.counters.keys() | other.counters.keys()
        return all(self[n] <= other[n] for n in nodes) and self != other

    def concurrent(self, other: VectorClock) -> bool:
        """True when neither clock is ``<=`` the other."""
        return not self <= other and not other <= self
