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

Choice = tuple[Any, ...]
"""("r", stream, float) | ("b", stream, bits, int) | ("i", stream, n, int)
| ("x", step, action, args): one recorded draw or external input."""


_FAST_BELOW = 2**32


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for the stream ``name`` of run ``seed``."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class ChoicePoint:
    """Records (or replays) every random draw and external input of a run.

    In replay mode the generators are still advanced in step with the
    recording, so when the recorded choices run out the run goes on exactly
    as the original did (given the same seed).
    """

    def __init__(self, seed: int, replay: Sequence[Choice] | None = None) -> None:
        self.seed = seed
        self.choices: list[Choice] = []
        self._replay = [tuple(c) for c in replay] if replay else None
        self._cursor = 0
        self._sources: dict[str, random.Random] = {}

    @property
    def replaying(self) -> bool:
        """True while recorded choices remain to be read back."""
        return self._replay is not None

    def _source(self, name: str) -> random.Random:
        source = self._sources.get(name)
        if source is None:
            source = self._sources[name] = random.Random(stream_seed(self.seed, name))
        return source

    def _recorded(self, kind: str, name: str) -> Choice:
        assert self._replay is not None
        entry = self._replay[self._cursor]
        if entry[0] != kind or entry[1] != name:
            raise ReplayDivergence(
                f"choice #{self._cursor}: recorded {list(entry[:2])!r}, "
                f"but the run asked for {[kind, name]!r}"
            )
        self._advance()
        return entry

    def _advance(self) -> None:
        assert self._replay is not None
        self._cursor += 1
        if self._cursor >= len(self._replay):
            self._replay = None  # recording used up: carry on live

    def unused(self) -> int:
        """How many recorded choices a replay has not consumed yet."""
        return 0 if self._replay is None else len(self._replay) - self._cursor

    def random(self, name: str) -> float:
        """A float in [0, 1) from stream ``name``."""
        value = (self._sources.get(name) or self._source(name)).random()
        if self._replay is not None:
            value = self._recorded("r", name)[2]
        self.choices.append(("r", name, value))
        return value

    def getrandbits(self, name: str, bits: int) -> int:
        """An int of ``bits`` random bits from stream ``name``."""
        value = (self._sources.get(name) or self._source(name)).getrandbits(bits)
        if self._replay is not None:
            value = self._recorded("b", name)[3]
        self.choices.append(("b", name, bits, value))
        return value

    def below(self, name: str, n: int) -> int:
        """A uniform int in [0, n) from stream ``name``."""
        source = self._sources.get(name) or self._source(name)
        # int(random() * n) is exact enough for n < 2**32 (bias < 2**-21) and
        # much faster than rejection sampling in pure Python.
        value = int(source.random() * n) if n < _FAST_BELOW else source._randbelow(n)  # type: ignore[attr-defined]
        if self._replay is not None:
            value = self._recorded("i", name)[3]
        self.choices.append(("i", name, n, value))
        return value

    def record_input(self, step: int, action: str, args: list[Any]) -> None:
        """Note an external input made before step ``step + 1``."""
        self.choices.append(("x", step, action, list(args)))

    def next_input(self, step: int) -> tuple[str, list[Any]] | None:
        """In replay: the next recorded external input due at ``step``, consumed."""
        if self._replay is None:
            return None
        entry = self._replay[self._cursor]
        if entry[0] != "x" or entry[1] != step:
            return None
        self._advance()
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

    def _randbelow(self, n: int) -> int:
        """An int in [0, n), recorded as one choice.

        ``randrange``, ``randint``, ``choice`` and ``shuffle`` all call this
        (a private hook of ``random.Random``); one recorded draw per call
        keeps the choice list short and the hot path fast.
        """
        return self._point.below(self._name, n)

    def getstate(self) -> Any:  # noqa: D102
        raise TypeError("a ChoiceRandom has no state of its own: replay its run instead")

    def setstate(self, state: Any) -> None:  # noqa: D102
        raise TypeError("a ChoiceRandom has no state of its own: replay its run instead")
