"""The choice point: every nondeterministic decision of a run goes through here.

A run has two kinds of nondeterminism:

* random draws (network latency, drops, a node's timer durations), taken from
  named streams seeded from the run's seed, and
* external inputs (a nemesis action or a client request made from outside,
  a pending event fired out of order by a widget or a model checker).

Both are recorded: each stream keeps the list of values it produced, and the
inputs are kept with the step before which they happened. A run is
reproduced either by its seed (same inputs, same draws) or by the recording
alone: in replay mode every draw is read back from its stream's list, and
every input is applied again at the step where it first happened. A stream
asked for a value of another type than the one recorded (a float where an
int was drawn) raises :class:`ReplayDivergence`; so does a replay that
leaves recorded values unused (checked by ``Simulation.replay``).

Why one list per stream and not one list of every draw in order: each
stream is consumed by the same code in the same order, so the per-stream
order is all a replay needs, and appending a bare number is several times
cheaper than building a record per draw (the simulator draws twice per
message).

Stream seeds come from SHA-256 of ``"<seed>/<name>"``, never from ``hash()``,
which Python randomizes per process.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from .errors import ReplayDivergence

Recording = dict[str, Any]
"""``{"streams": {name: [value, ...]}, "inputs": [[step, action, args], ...]}``: JSON-able."""

_FAST_BELOW = 2**32


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for the stream ``name`` of run ``seed``."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class _Stream:
    """One named stream: its generator, its log, and what is left to replay."""

    __slots__ = ("source", "log", "replay", "cursor", "name")

    def __init__(self, seed: int, name: str, replay: list[Any] | None) -> None:
        self.name = name
        self.source = random.Random(stream_seed(seed, name))
        self.log: list[Any] = []
        self.replay = replay or None
        self.cursor = 0

    def recorded(self, kind: type) -> Any:
        """The next recorded value; checks it has the type the run asks for."""
        assert self.replay is not None
        value = self.replay[self.cursor]
        if type(value) is not kind:
            raise ReplayDivergence(
                f"stream {self.name!r}, draw #{self.cursor}: recorded {value!r}, but the run "
                f"asked for a {kind.__name__}: the code differs from the recording"
            )
        self.cursor += 1
        if self.cursor >= len(self.replay):
            self.replay = None  # recording used up: carry on live
        return value

    def unused(self) -> int:
        return 0 if self.replay is None else len(self.replay) - self.cursor


class ChoicePoint:
    """Records (or replays) every random draw and external input of a run.

    In replay mode the generators are still advanced in step with the
    recording, so when the recorded values run out the run goes on exactly
    as the original did (given the same seed).
    """

    def __init__(self, seed: int, replay: Mapping[str, Any] | None = None) -> None:
        self.seed = seed
        self._streams: dict[str, _Stream] = {}
        self._inputs: list[list[Any]] = []
        replay = replay or {}
        self._replay_streams: dict[str, list[Any]] = {
            name: list(values) for name, values in dict(replay.get("streams", {})).items()
        }
        pending = [list(x) for x in replay.get("inputs", [])]
        self._pending_inputs: list[list[Any]] | None = pending or None
        self._input_cursor = 0

    @property
    def recording(self) -> Recording:
        """Everything recorded so far (a fresh JSON-able dict)."""
        streams = {name: list(s.log) for name, s in sorted(self._streams.items()) if s.log}
        return {"streams": streams, "inputs": [list(x) for x in self._inputs]}

    @property
    def count(self) -> int:
        """How many draws and inputs have been recorded."""
        return len(self._inputs) + sum(len(s.log) for s in self._streams.values())

    def _open(self, name: str) -> _Stream:
        stream = _Stream(self.seed, name, self._replay_streams.pop(name, None))
        self._streams[name] = stream
        return stream

    def unused(self) -> int:
        """How many recorded draws and inputs a replay has not consumed yet."""
        streams = sum(s.unused() for s in self._streams.values())
        never_opened = sum(len(v) for v in self._replay_streams.values())
        inputs = 0 if self._pending_inputs is None else (
            len(self._pending_inputs) - self._input_cursor)
        return streams + never_opened + inputs

    def random(self, name: str) -> float:
        """A float in [0, 1) from stream ``name``."""
        stream = self._streams.get(name) or self._open(name)
        value = stream.source.random()
        if stream.replay is not None:
            value = stream.recorded(float)
        stream.log.append(value)
        return value

    def getrandbits(self, name: str, bits: int) -> int:
        """An int of ``bits`` random bits from stream ``name``."""
        stream = self._streams.get(name) or self._open(name)
        value = stream.source.getrandbits(bits)
        if stream.replay is not None:
            value = stream.recorded(int)
        stream.log.append(value)
        return value

    def below(self, name: str, n: int) -> int:
        """A uniform int in [0, n) from stream ``name``."""
        stream = self._streams.get(name) or self._open(name)
        source = stream.source
        # int(random() * n) is exact enough for n < 2**32 (bias < 2**-21) and
        # much faster than rejection sampling in pure Python.
        # (random.Random._randbelow is private: typeshed does not declare it)
        value = int(source.random() * n) if n < _FAST_BELOW else source._randbelow(n)  # type: ignore[attr-defined]
        if stream.replay is not None:
            value = stream.recorded(int)
        stream.log.append(value)
        return value

    def record_input(self, step: int, action: str, args: list[Any]) -> None:
        """Note an external input made before step ``step + 1``."""
        self._inputs.append([step, action, list(args)])

    def next_input(self, step: int) -> tuple[str, list[Any]] | None:
        """In replay: the next recorded external input due at ``step``, consumed."""
        pending = self._pending_inputs
        if pending is None:
            return None
        entry = pending[self._input_cursor]
        if entry[0] != step:
            return None
        self._input_cursor += 1
        if self._input_cursor >= len(pending):
            self._pending_inputs = None
        return entry[1], list(entry[2])


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
