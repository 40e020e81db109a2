"""The oracle process: import the learner's file, then answer calls to its functions.

``python -m consensus_lab.grading.oracle_child --fd N --path FILE --exercise NAME
[--memory-mb M] [--cpu-s S] [--by-reference CLASS ...]``

Theory of operation: this is the untrusted side (see :mod:`.oracle`). It
caps its own memory and CPU time, imports the learner's file (and whatever
lab modules that file imports — never a grader), says ``ready`` with a
description of the module, then serves requests from the judge on socket
``N``, one at a time: call a module-level function, build an instance of a
class passed *by reference* (``VectorClock``), call a method or an operator
of such an instance, or reset the table of instances. Each reply carries
the request's number, the result, and the mutable arguments after the call
(the judge copies their new contents into its own objects, so a check that
an argument was changed — or left alone — still works). Objects of the
judge passed as arguments (an etcd client, a callback) arrive as
:class:`JudgeRef`; using one sends a ``callback`` request back and waits
for its answer. Nothing here decides a verdict: the judge only reads values
from these replies. A process forked by the learner's code that comes back
into this loop exits at once without a word.
"""

from __future__ import annotations

import argparse
import copy
import operator
import os
import pickle
import socket
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.grading import codec

#: Operators of a by-reference instance the judge may ask for, by name.
OPERATORS: dict[str, Any] = {
    "__eq__": operator.eq, "__ne__": operator.ne, "__lt__": operator.lt, "__le__": operator.le,
    "__gt__": operator.gt, "__ge__": operator.ge, "__hash__": hash, "__str__": str,
    "__repr__": repr, "__bool__": bool, "__len__": len, "__contains__": operator.contains,
    "__getitem__": operator.getitem, "__setitem__": operator.setitem,
    "__delitem__": operator.delitem, "__iter__": list, "__copy__": copy.copy,
    "__deepcopy__": copy.deepcopy,
}


class JudgeRef:
    """An object of the judge's (a client, a callback): using it asks the judge."""

    def __init__(self, server: Server, ref: int) -> None:
        self._server, self._ref = server, ref

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._server.callback(self._ref, "call", "", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._server.callback(self._ref, "getattr", name, (), {})

    def __reduce__(self) -> Any:
        raise TypeError("a judge's object cannot be copied or pickled inside the oracle")


@dataclass
class Server:
    """The oracle's state: the module, the socket, the instances handed out."""

    sock: socket.socket
    module: ModuleType
    path: Path
    by_reference: frozenset[str]
    me: int = field(default_factory=os.getpid)
    handles: dict[int, Any] = field(default_factory=dict)
    ids: dict[int, int] = field(default_factory=dict)  # id(obj) -> handle
    callbacks: int = 0
    last_handle: int = 0

    # -- the wire ----------------------------------------------------------------

    def send(self, message: tuple[Any, ...]) -> None:
        """Send ``message``; a forked copy of this process never speaks: it exits."""
        if os.getpid() != self.me:
            os._exit(0)
        try:
            data = codec.encode(message, self._persistent_id)
        except Exception as exc:  # an unpicklable result: say so instead
            data = codec.encode(("raise", message[1], _describe(
                TypeError(f"returned a value the grader cannot receive: {exc}"), self.path)),
                self._persistent_id)
        codec.send_frame(self.sock, data)

    def receive(self) -> tuple[Any, ...] | None:
        """The next request from the judge (trusted: plain pickle), None when it hung up."""
        data = codec.recv_frame(self.sock)
        if data is None:
            return None
        unpickler = pickle.Unpickler(_bytes_io(data))
        unpickler.persistent_load = self._persistent_load  # type: ignore[method-assign]
        message: tuple[Any, ...] = unpickler.load()
        return message

    def _persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, JudgeRef):
            return ("judge", obj._ref)
        kind = type(obj)
        if kind.__name__ in self.by_reference and kind.__module__ == self.module.__name__:
            handle = self.ids.get(id(obj))
            if handle is None or self.handles.get(handle) is not obj:
                self.last_handle += 1
                handle = self.last_handle
                self.handles[handle] = obj
                self.ids[id(obj)] = handle
            return ("handle", handle, kind.__name__)
        return None

    def _persistent_load(self, pid: Any) -> Any:
        if pid[0] == "handle":
            return self.handles[pid[1]]
        return JudgeRef(self, pid[1])

    # -- serving -----------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the judge hangs up or says ``bye``."""
        while True:
            message = self.receive()
            if message is None or message[0] == "bye":
                return
            self.dispatch(message)

    def dispatch(self, message: tuple[Any, ...]) -> None:
        """Handle one ``call`` or ``reset`` request."""
        if message[0] == "reset":
            self.handles.clear()
            self.ids.clear()
            return
        _kind, seq, target, args, kwargs = message
        try:
            result = self._call(target, args, kwargs)
        except (SystemExit, KeyboardInterrupt, GeneratorExit) as stop:
            self.send(("exited", seq, type(stop).__name__, repr(getattr(stop, "code", ""))))
            os._exit(0)
        except BaseException as exc:  # reported to the judge, which classifies it
            self.send(("raise", seq, _describe(exc, self.path)))
            return
        self.send(("ok", seq, result, _mutable_args(args), _mutable_kwargs(kwargs)))

    def _call(self, target: tuple[Any, ...], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Any:
        kind, name = target[0], target[-1]
        if kind == "function":
            return getattr(self.module, name)(*args, **kwargs)
        if kind == "new":
            return getattr(self.module, name)(*args, **kwargs)
        obj = self.handles[target[1]]
        if kind == "operator":
            return OPERATORS[name](obj, *args)
        if kind == "method":
            return getattr(obj, name)(*args, **kwargs)
        return getattr(obj, name)  # "attribute"

    def callback(self, ref: int, op: str, name: str, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        """Ask the judge to use its object ``ref``; serve nested calls while waiting."""
        self.callbacks += 1
        number = self.callbacks
        self.send(("callback", number, ref, op, name, args, kwargs))
        while True:
            message = self.receive()
            if message is None:
                os._exit(0)
            if message[0] in ("cb_ok", "cb_raise") and message[1] == number:
                if message[0] == "cb_raise":
                    raise message[2]
                return message[2]
            self.dispatch(message)


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _is_mutable(value: Any) -> bool:
    if isinstance(value, (list, dict, set, bytearray)):
        return True
    if isinstance(value, tuple):
        return any(_is_mutable(v) for v in value)
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None:
        return not params.frozen
    return type(value).__module__ == "consensus_lab.raft.log" and type(value).__name__ == "RaftLog"


def _mutable_args(args: tuple[Any, ...]) -> list[tuple[int, Any]]:
    return [(i, a) for i, a in enumerate(args) if _is_mutable(a)]


def _mutable_kwargs(kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in kwargs.items() if _is_mutable(v)]


def _describe(exc: BaseException, path: Path) -> dict[str, Any]:
    """What the judge needs to rebuild ``exc``: its class, args, where in the learner's file."""
    try:
        target = path.resolve()
        inner = [t for t in traceback.walk_tb(exc.__traceback__)
                 if Path(t[0].f_code.co_filename).resolve() == target]
    except OSError:
        inner = []
    function, line = "", 0
    if inner:
        frame, line = inner[-1]
        function = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    args = tuple(a for a in exc.args if isinstance(a, (str, int, float, bool, type(None))))
    attrs = {k: v for k, v in vars(exc).items()
             if isinstance(v, (str, int, float, bool, type(None)))} if hasattr(exc, "__dict__") \
        else {}
    return {"module": type(exc).__module__, "name": type(exc).__qualname__, "args": args,
            "attrs": attrs, "text": str(exc)[:2000], "function": function, "line": line,
            "trace": "".join(traceback.format_exception(exc)[-6:])[-4000:]}


def _describe_module(module: ModuleType, by_reference: frozenset[str]) -> dict[str, Any]:
    """The module's names: functions, by-reference classes (with methods), lab classes, values."""
    functions, classes, values, lab_classes = [], {}, {}, {}
    for name, value in vars(module).items():
        if name.startswith("__") or isinstance(value, ModuleType):
            continue
        if isinstance(value, type):
            if name in by_reference and value.__module__ == module.__name__:
                classes[name] = sorted(n for n in dir(value)
                                       if not n.startswith("__") and callable(getattr(value, n)))
            elif value.__module__.startswith("consensus_lab."):
                lab_classes[name] = (value.__module__, value.__qualname__)
        elif callable(value):
            functions.append(name)
        else:
            try:
                values[name] = pickle.dumps(value, protocol=5)
            except Exception:  # not sendable: the judge reports it as missing
                continue
    return {"functions": functions, "classes": classes, "values": values,
            "lab_classes": lab_classes}


def main(argv: Sequence[str] | None = None) -> int:
    """Limit this process, import the learner's file, serve the judge."""
    parser = argparse.ArgumentParser(prog="python -m consensus_lab.grading.oracle_child")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--memory-mb", type=int, default=None)
    parser.add_argument("--cpu-s", type=int, default=None)
    parser.add_argument("--by-reference", nargs="*", default=[])
    args = parser.parse_args(argv)
    from consensus_lab.grading import answers, sandbox

    if args.memory_mb is not None:
        sandbox.limit_memory(args.memory_mb)
    if args.cpu_s is not None:
        sandbox.limit_cpu(args.cpu_s)
    sock = socket.socket(fileno=args.fd)
    me, path = os.getpid(), Path(args.path)
    codec.send_frame(sock, pickle.dumps(("loading",)))
    try:
        module = answers.load_file(args.exercise, path)
    except BaseException as exc:  # any import failure is reported, once
        if os.getpid() == me:
            codec.send_frame(sock, pickle.dumps(("load_error", _describe(exc, path))))
        os._exit(0)
    if os.getpid() != me:
        os._exit(0)
    by_reference = frozenset(args.by_reference)
    codec.send_frame(sock, pickle.dumps(("ready", _describe_module(module, by_reference))))
    Server(sock, module, path, by_reference).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
