"""The history editor's model: a register history you edit, re-checked after every edit.

Theory of operation
-------------------
:class:`HistoryEdits` holds one :class:`~consensus_lab.consistency.History`
of reads and writes on a register, an undo stack, and the verdicts of the
current history: the linearizability checker's
:class:`~consensus_lab.consistency.Result` (verdict, witness or culprit,
explanation), the chapter's toy checker
(:func:`~consensus_lab.consistency.naive_check`, sort by return time and
replay) and, for small histories, the sequential-consistency checker.

Every edit builds a *new* history from the old one (operations are frozen
dataclasses, changed with :func:`dataclasses.replace`), validates it first,
and only then pushes the old history on the undo stack and re-checks. A bad
edit raises :class:`EditError` with a message meant for a learner and
changes nothing. Operation ids stay fixed across edits (a new op gets the
next unused id), so "op #2" means the same bar before and after a move.

No widgets here: :mod:`consensus_lab.widgets.history_editor` is the thin
ipywidgets face, and the tests drive this class directly.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, replace
from typing import Any

from ..consistency import History, Op, Result, check, check_sequential, naive_check
from ..viz import op_label

FUNCTIONS = ("read", "write")  # the register model's operations
STATUSES = ("ok", "info", "fail")
MAX_OPS = 12  # small enough for check_sequential and a readable timeline
TIME_LIMIT = 20.0  # the editor's time axis is [0, TIME_LIMIT]
MODEL = "register"


class EditError(ValueError):
    """An edit the editor refuses; the message says what was wrong and what is allowed."""


@dataclass(frozen=True)
class Preset:
    """A starting history: rows as in :meth:`History.build`, the op to select first, a hint."""

    rows: tuple[tuple[Any, ...], ...]
    focus: int
    hint: str

    def history(self) -> History:
        """A fresh history of the preset's rows."""
        return History.build(self.rows)


PRESETS: dict[str, Preset] = {
    "good read": Preset(
        (("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3)), 1,
        "The chapter's good read: c2 reads after c1's write returned and sees 1. "
        "Try: change the read's value to nil."),
    "stale read": Preset(
        (("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)), 1,
        "The chapter's stale read: c1's write returned, then c2 reads the old value. "
        "Try: move c2's read earlier until it overlaps the write."),
    "stale read, slow write": Preset(
        (("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)), 2,
        "The write is still running, c2 already saw 1, then c3 sees nil. "
        "Try: move c3's read earlier until it overlaps c2's read."),
    "naive says no but linearizable": Preset(
        (("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3)), 1,
        "A slow write and a fast read of its value: the toy checker replays the read "
        "first. Try: move the read after the write returns."),
    "concurrent writes": Preset(
        (("c1", "write", 1, 0, 5), ("c2", "write", 2, 1, 6), ("c3", "read", 2, 7, 8),
         ("c4", "read", 1, 7, 9)), 3,
        "Both writes are done before the reads start, so both reads must see the same value. "
        "Try: move c4's read earlier until it overlaps c2's write."),
    "timed-out write": Preset(
        (("c1", "write", 1, 0, 1, "info"), ("c2", "read", None, 2, 3), ("c3", "read", 1, 4, 5)),
        0, "c1 gave up waiting (info: outcome unknown), yet its write took effect later. "
           "Try: set its status to fail."),
}


def parse_value(text: str) -> Any:
    """A learner's typed value: ``nil``/``None``/empty → ``None``, ``3`` → 3, ``x`` → ``"x"``."""
    text = text.strip()
    if text in ("", "nil", "None"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) else text


def describe(op: Op) -> str:
    """``#2 c3 read → None [4, 5]``: how the editor names an operation."""
    end = "?" if op.ret == math.inf else f"{op.ret:g}"
    tail = "" if op.status == "ok" else f" ({op.status})"
    return f"#{op.id} {op.process} {op_label(op)} [{op.call:g}, {end}]{tail}"


def _time(t: float) -> str:
    return "?" if t == math.inf else f"t={t:g}"


class HistoryEdits:
    """An editable register history with undo; every edit re-checks (see the module doc).

    ``start`` is a :class:`History` of reads and writes or a preset name
    (:data:`PRESETS`).
    """

    def __init__(self, start: History | str = "stale read") -> None:
        self.undo_stack: list[tuple[History, str | None, History]] = []  # oldest first
        self.history: History
        self.preset: str | None  # the preset the history started from, if any
        self.origin: History  # the history as loaded, before any edit (for restart)
        self.result: Result  # the linearizability checker's, for ``history``
        self.naive: bool  # the toy checker's yes/no, for ``history``
        self.sequential: Result  # the sequential-consistency checker's, for ``history``
        history, preset = self._starting(start)
        self._set(history, preset, history)

    # ------------------------------------------------------------ reading
    @property
    def ops(self) -> list[Op]:
        """The operations by call time (then id)."""
        return sorted(self.history, key=lambda o: (o.call, o.id))

    def op(self, op_id: int) -> Op:
        """The operation with id ``op_id``."""
        for op in self.history:
            if op.id == op_id:
                return op
        ids = ", ".join(f"#{op.id}" for op in self.ops) or "none"
        raise EditError(f"there is no operation #{op_id}; the operations are {ids}")

    @property
    def linearizable(self) -> bool:
        """The real checker's answer (``verdict == "ok"``)."""
        return self.result.verdict == "ok"

    @property
    def disagree(self) -> bool:
        """True when the toy checker's yes/no differs from the real checker's verdict."""
        return self.result.verdict in ("ok", "illegal") and self.naive != self.linearizable

    @property
    def toy_order(self) -> list[Op]:
        """The order the toy checker replays: completed (``ok``) ops by return time."""
        return sorted((op for op in self.history if op.status == "ok"),
                      key=lambda o: (o.ret, o.call, o.id))

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to take back."""
        return bool(self.undo_stack)

    # ------------------------------------------------------------ edits
    def load(self, start: History | str) -> None:
        """Start over from a preset name or a history (undoable)."""
        history, preset = self._starting(start)
        self._commit(history, preset, history)

    def restart(self) -> None:
        """Back to the history as it was loaded, before any edit (undoable)."""
        self._commit(self.origin, self.preset, self.origin)

    def move(self, op_id: int, *, call: float | None = None, ret: float | None = None) -> Op:
        """Set the call and/or return time of an operation; returns the moved op."""
        op = self.op(op_id)
        call = op.call if call is None else float(call)
        if ret is not None and op.status == "info":
            raise EditError(f"{describe(op)} has an unknown outcome (info), so it has no return "
                            f"time to move; set its status to ok or fail first")
        ret = op.ret if ret is None else float(ret)
        return self._replace(op, call=call, ret=ret)

    def shift(self, op_id: int, by: float) -> Op:
        """Move a whole operation ``by`` time units (negative: earlier)."""
        op = self.op(op_id)
        return self._replace(op, call=op.call + by, ret=op.ret + by)

    def set_value(self, op_id: int, value: Any) -> Op:
        """The value a write writes, or the value a read returned (``None`` = nil)."""
        op = self.op(op_id)
        if isinstance(value, str):
            value = parse_value(value)
        if op.f == "read":
            return self._replace(op, output=value)
        if value is None:
            raise EditError(f"a write needs a value to write; {describe(op)} cannot write nil")
        return self._replace(op, value=value)

    def set_status(self, op_id: int, status: str, ret: float | None = None) -> Op:
        """ok (it happened), info (unknown outcome) or fail (it did not happen).

        Leaving ``info`` needs a return time again: ``ret``, else one after the call.
        """
        if status not in STATUSES:
            raise EditError(f"a status is one of {', '.join(STATUSES)}; got {status!r}")
        op = self.op(op_id)
        if status == "info":
            return self._replace(op, status=status, ret=math.inf)
        if op.ret == math.inf:
            ret = min(op.call + 1, TIME_LIMIT) if ret is None else float(ret)
        else:
            ret = op.ret if ret is None else float(ret)
        return self._replace(op, status=status, ret=ret)

    def add(self, process: str, f: str, value: Any = None, call: float = 0,
            ret: float = 1, status: str = "ok") -> Op:
        """Add an operation (a read's ``value`` is what it returned); returns the new op."""
        process = str(process).strip()
        if not process or any(c.isspace() for c in process):
            raise EditError(f"a client name is one word such as c4; got {process!r}")
        if f not in FUNCTIONS:
            raise EditError(f"the register knows {' and '.join(FUNCTIONS)}; got {f!r}")
        if status not in STATUSES:
            raise EditError(f"a status is one of {', '.join(STATUSES)}; got {status!r}")
        if len(self.history) >= MAX_OPS:
            raise EditError(f"this editor keeps histories small: at most {MAX_OPS} operations; "
                            f"delete one first")
        if isinstance(value, str):
            value = parse_value(value)
        if f == "write" and value is None:
            raise EditError("a write needs a value to write, such as 3")
        new_id = max((op.id for op in self.history), default=-1) + 1
        call, ret = float(call), math.inf if status == "info" else float(ret)
        self._check_times(process, f, call, ret)
        op = Op(id=new_id, process=process, f=f, value=None if f == "read" else value,
                output=value if f == "read" else None, call=call, ret=ret, status=status)
        self._commit(History([*self.history.ops, op]))
        return op

    def delete(self, op_id: int) -> Op:
        """Remove an operation; returns it."""
        op = self.op(op_id)
        self._commit(History([o for o in self.history if o.id != op_id]))
        return op

    def undo(self) -> bool:
        """Take back the last edit; False if there is none."""
        if not self.undo_stack:
            return False
        self._set(*self.undo_stack.pop())
        return True

    # ------------------------------------------------------------ internals
    def _starting(self, start: History | str) -> tuple[History, str | None]:
        if isinstance(start, str):
            if start not in PRESETS:
                raise EditError(f"no preset {start!r}; the presets are: {', '.join(PRESETS)}")
            return PRESETS[start].history(), start
        if not isinstance(start, History):
            start = History(list(start))
        odd = [op for op in start if op.f not in FUNCTIONS]
        if odd:
            raise EditError(f"the editor works on a register with {' and '.join(FUNCTIONS)}; "
                            f"{odd[0]} is a {odd[0].f!r}")
        if len({op.id for op in start}) != len(start):
            start = start.renumbered()
        if len(start) > MAX_OPS:
            raise EditError(f"this editor keeps histories small: at most {MAX_OPS} operations, "
                            f"this one has {len(start)}")
        return History(list(start.ops)), None

    @staticmethod
    def _check_times(process: str, f: str, call: float, ret: float) -> None:
        name = f"{process}'s {f}"
        if call < 0:
            raise EditError(f"{name} would be called at t={call:g}; time starts at t=0")
        if ret != math.inf and ret > TIME_LIMIT:
            raise EditError(f"{name} would return at t={ret:g}; this editor's time axis ends "
                            f"at t={TIME_LIMIT:g}")
        if call > TIME_LIMIT:
            raise EditError(f"{name} would be called at t={call:g}; this editor's time axis ends "
                            f"at t={TIME_LIMIT:g}")
        if ret < call:
            raise EditError(f"{name} would return ({_time(ret)}) before it is called "
                            f"({_time(call)}); an operation returns at or after its call")

    def _replace(self, op: Op, **changes: Any) -> Op:
        call, ret = changes.get("call", op.call), changes.get("ret", op.ret)
        self._check_times(op.process, op.f, call, ret)
        new = replace(op, **changes)
        self._commit(History([new if o.id == op.id else o for o in self.history]))
        return new

    def _commit(self, history: History, preset: str | None = None,
                origin: History | None = None) -> None:
        """Make ``history`` current (an edit keeps the preset and origin; a load sets them)."""
        if origin is None:
            preset, origin = self.preset, self.origin
        if history == self.history and preset == self.preset and origin == self.origin:
            return  # nothing changed: nothing to undo
        self.undo_stack.append((self.history, self.preset, self.origin))
        self._set(history, preset, origin)

    def _set(self, history: History, preset: str | None, origin: History) -> None:
        self.history, self.preset, self.origin = history, preset, origin
        self.result = check(history, MODEL)
        self.naive = naive_check(history, MODEL)
        self.sequential = check_sequential(history, MODEL, max_ops=MAX_OPS)
