"""Shared types for grading: a check, its result, and the failure a check raises.

Theory of operation: a *check* is a function ``fn(module) -> None`` that takes
the learner's loaded module and raises :class:`GradingFailure` with a precise
message when one property of the exercise does not hold. The runner
(:mod:`consensus_lab.grading.runner`) calls the checks in the trusted judge, against a proxy
whose functions run in a sandboxed oracle process, and turns
whatever happened into a :class:`CheckResult` — PASS, FAIL, ERROR (the
learner's code raised something unexpected) or TIMEOUT (it did not finish) —
which :mod:`consensus_lab.grading.report` renders as friendly text. A check is
worth ``points`` (1 unless said otherwise) and may belong to a ``part`` of a
lab ("A".."D"; "" for none); its result earns those points only on PASS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, Literal

Status = Literal["PASS", "FAIL", "ERROR", "TIMEOUT", "SKIP"]

#: Kinds of failure, so a report (or a test) can tell them apart.
WRONG_RESULT = "wrong_result"  # a rule example gave the wrong answer
PROPERTY = "property"  # a property failed on a seeded random case
INVARIANT = "invariant"  # a simulator run broke an invariant
LIVENESS = "liveness"  # a simulator run made no progress once every fault was healed
MUTATED_INPUT = "mutated_input"  # the function changed an argument it must only read
NOT_IMPLEMENTED = "not_implemented"  # the stub still raises NotImplementedError
EXCEPTION = "exception"  # the learner's code raised an unexpected exception
LOAD_ERROR = "load_error"  # the answers file could not be imported
TIMEOUT = "timeout"  # the check did not finish in time
MEMORY = "memory"  # the learner's code ran out of the grader's memory limit
LEFT_PROCESSES = "left_processes"  # the learner's code left processes running
SKIPPED = "skipped"  # the check could not run here (e.g. its data is missing); not a failure


class GradingFailure(AssertionError):
    """A check found that the learner's code breaks one property.

    ``prop`` names the property ("update = merge, then tick"); the runner fills
    it in from the :class:`Check` when left empty. ``seed`` and ``trace`` (the
    tail of a simulator trace) are set by simulator-based checks so the run can
    be replayed; ``replay`` says how.
    """

    def __init__(
        self,
        message: str,
        *,
        prop: str = "",
        kind: str = WRONG_RESULT,
        hint: str = "",
        seed: int | None = None,
        trace: str = "",
        replay: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.prop = prop
        self.kind = kind
        self.hint = hint
        self.seed = seed
        self.trace = trace
        self.replay = replay


class CheckSkipped(Exception):
    """A check cannot run on this machine (its data set is missing): SKIP, not FAIL.

    ``message`` says what is missing and how to get it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


CheckFn = Callable[[ModuleType], None]
#: The time limit of a check that runs hundreds of simulations or a model checker:
#: a few seconds alone, but the grader runs checks side by side on a busy machine.
SLOW_CHECK_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One gradable property of an exercise: ``fn(module)`` raises GradingFailure if broken."""

    name: str  # short id, unique within its exercise: "update_merges_then_ticks"
    prop: str  # the property in words: "update = merge, then tick"
    hint: str  # what to look at when it fails
    fn: CheckFn
    timeout_s: float | None = None  # a longer limit for a slow check (e.g. a real cluster)
    points: int = 1  # what passing it is worth
    part: str = ""  # the lab part it grades ("A".."D"), "" when the exercise has no parts

    def __post_init__(self) -> None:
        if not isinstance(self.points, int) or isinstance(self.points, bool) or self.points < 0:
            raise ValueError(f"check {self.name!r}: points must be a whole number >= 0, "
                             f"got {self.points!r}")
        if not isinstance(self.part, str):
            raise ValueError(f"check {self.name!r}: part must be a string such as 'A', "
                             f"got {self.part!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """What happened when one check ran against one answers file."""

    exercise: str
    check: str
    prop: str
    status: Status
    kind: str = ""  # one of the kind constants above; "" when passed
    message: str = ""
    hint: str = ""
    seed: int | None = None
    trace: str = ""
    replay: str = ""
    answers_path: str = ""  # the file that was graded, as shown to the learner
    duration_s: float = 0.0
    points: int = 1  # what the check is worth
    part: str = ""

    @property
    def passed(self) -> bool:
        """True when the check passed, or was skipped (nothing held against the answers)."""
        return self.status in ("PASS", "SKIP")

    @property
    def earned(self) -> int:
        """The points earned: all of them on PASS, none otherwise."""
        return self.points if self.status == "PASS" else 0

    @property
    def possible(self) -> int:
        """The points at stake: none for a SKIP (the check could not run here)."""
        return 0 if self.status == "SKIP" else self.points

    def to_dict(self) -> dict[str, object]:
        """A JSON-able dict (the worker process sends this back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of :meth:`to_dict`."""
        return cls(**data)


def fail(message: str, **details: Any) -> None:
    """Raise :class:`GradingFailure` with ``message`` (keyword details as in its constructor)."""
    raise GradingFailure(message, **details)


def expect(condition: bool, message: str, **details: object) -> None:
    """Raise :class:`GradingFailure` with ``message`` unless ``condition`` holds."""
    if not condition:
        fail(message, **details)
