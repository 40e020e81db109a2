"""The choice point: every nondeterministic decision of a run goes through here.

A run has two kinds of nondeterminism:

* random draws (network latency, drops, a node's ``ctx.rng``), taken from
  named streams seeded from the run's seed, and
* external inputs (a nemesis action or a client request made from outside,
  a pending event fired out of order by a widget or a model checker).

Both are appended to one list, ``choices``, in the order they happen. A run
is reproduced either by its seed (same inputs, same draws) or by the list
alone: in replay mode every draw is read back from the list instead of from
a generator, and every external input is applied again at the step where it
first happened. A replay that asks for a draw from another stream than the
one recorded raises :class:`ReplayDivergence`.

Stream seeds come from SHA-256 of ``"<seed>/<name>"``, never from ``hash()``,
which Python randomizes per process.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

from .errors import ReplayDivergence

Choice = list[Any]  # ["r", stream, float] | ["b", stream, bits, int] | ["x", step, action, args]


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for the stream ``name`` of run ``seed``."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class ChoicePoint:
    """Records (or replays) every random draw and external input of a run."""

    def __init__(self, seed: int, replay: Sequence[Choice] | None = None) -> None:
        self.seed = seed
        self.choices: list[Choice] = []
        self._replay = [list(c) for c in replay] if replay is not None else None
        self._cursor = 0
        self._sources: dict[str, random.Random] = {}

    @property
    def replaying(self) -> bool:
        """True while recorded choices remain to be read back."""
        return self._replay is not None and self._cursor < len(self._replay)

    def _source(self, name: str) -> random.Random:
        source = self._sources.get(name)
        if source is None:
            source = self._sources[name] = random.Random(stream_seed(self.seed, name))
        return source

    def _recorded(self, kind: str, name: str) -> Choice:
        assert self._replay is not None
        if self._cursor >= len(self._replay):
            raise ReplayDivergence(f"replay ran out of choices at a {kind!r} draw from {name!r}")
        entry = self._replay[self._cursor]
        if entry[0] != kind or entry[1] != name:
            raise ReplayDivergence(
                f"choice #{self._cursor}: recorded {entry[:2]!r}, "
                f"but the run asked for {[kind, name]!r}"
            )
        self._cursor += 1
        return entry

    def random(self, name: str) -> float:
        """A float in [0, 1) from stream ``name``."""
        if self._replay is not None:
            value = self._recorded("r", name)[2]
        else:
            value = self._source(name).random()
        self.choices.append(["r", name, value])
        return value

    def getrandbits(self, name: str, bits: int) -> int:
        """An int of ``bits`` random bits from stream ``name``."""
        if self._replay is not None:
            value = self._recorded("b", name)[3]
        else:
            value = self._source(name).getrandbits(bits)
        self.choices.append(["b", name, bits, value])
        return value

    def below(self, name: str, n: int) -> int:
        """A uniform int in [0, n) from stream ``name`` (rejection sampling)."""
        bits = n.bit_length()
        value = self.getrandbits(name, bits)
        while value >= n:
            value = self.getrandbits(name, bits)
        return value

    def record_input(self, step: int, action: str, args: list[Any]) -> None:
        """Note an external input made before step ``step + 1``."""
        self.choices.append(["x", step, action, list(args)])

    def next_input(self, step: int) -> tuple[str, list[Any]] | None:
        """In replay: the next recorded external input due at ``step``, consumed."""
        if self._replay is None or self._cursor >= len(self._replay):
            return None
        entry = self._replay[self._cursor]
        if entry[0] != "x" or entry[1] != step:
            return None
        self._cursor += 1
        return entry[2], list(entry[3])


class ChoiceRandom(random.Random):
    """A ``random.Random`` whose every draw goes through a :class:`ChoicePoint`.

    ``random()`` and ``getrandbits()`` are the two primitives every other
    method (``randint``, ``choice``, ``shuffle``, ``uniform``…) is built on,
    so overriding them routes all draws through the choice point.
    """

    def __init__(self, point: ChoicePoint, name: str) -> None:
        self._point = point
        self._name = name
        super().__init__(0)

    def seed(self, *args: object, **kwargs: object) -> None:  # noqa: D102
        """Seeding is the choice point's job; ignored here."""

    def random(self) -> float:
        """A float in [0, 1), recorded."""
        return self._point.random(self._name)

    def getrandbits(self, k: int) -> int:
        """``k`` random bits, recorded."""
        return self._point.getrandbits(self._name, k)

    def getstate(self) -> Any:  # noqa: D102
        raise TypeError("a ChoiceRandom has no state of its own: replay its run instead")

    def setstate(self, state: Any) -> None:  # noqa: D102
        raise TypeError("a ChoiceRandom has no state of its own: replay its run instead")
