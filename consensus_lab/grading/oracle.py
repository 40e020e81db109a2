"""The oracle: the learner's functions in a sandboxed process, called from the trusted judge.

Theory of operation: a check is ``fn(module)`` and runs here, in the judge
(the grading parent); only the learner's own functions run in the oracle,
a fresh interpreter (:mod:`.oracle_child`) in a session of its own, with the
run's marker in its environment, the memory limit and a CPU-time limit of
:mod:`.sandbox`, its working folder a temporary one, stdout and stderr in a
log that nothing parses. ``module`` is a proxy (:mod:`.proxy`) whose
functions send each call over a socketpair and wait for the reply.

What the oracle sends back is decoded by :func:`.codec.decode` only (no
learner class ever comes to life here), and nothing it says is a verdict:
the check compares the values it got. Whatever the learner's code does to
the oracle — ``os._exit``, ``sys.exit``, a signal, a fork that writes to the
socket, a loop — the judge sees a reply that is late (:class:`OracleTimeout`
once the check's deadline passes; the oracle is killed), missing
(:class:`OracleDied`) or a value to compare. Both errors derive from
``BaseException`` so the checks' ``except Exception`` cannot swallow them, and
the judge records them on the oracle as well (:attr:`Oracle.failure`), so a
check that swallowed one anyway cannot pass.

Requests carry a number; a reply with another number (a forked copy, a
forged message) is a protocol error and kills the oracle. While it waits,
the judge answers the oracle's ``callback`` requests: the learner's code
used an object of the judge's passed by reference (an etcd client, a
function) — see :meth:`Oracle.serve_callback`.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from consensus_lab.grading import answers, codec, sandbox

#: How long the oracle may take to start Python before it reports that it is loading.
STARTUP_S = 60.0


class OracleTimeout(BaseException):
    """The learner's code did not answer before the check's deadline; the oracle was killed."""


class OracleDied(BaseException):
    """The oracle process ended (exit, signal, SystemExit) or broke the protocol."""


class LearnerError(Exception):
    """An exception of the learner's code of a class the judge does not rebuild."""


@dataclass
class ImportFailure:
    """The learner's file did not import: why, and whether it was a timeout."""

    status: str  # "ERROR" or "TIMEOUT"
    kind: str
    message: str


@dataclass
class Oracle:
    """One oracle process and the judge's side of its socket."""

    exercise: str
    path: Path
    shown: str
    memory_mb: int
    cpu_s: int
    by_reference: tuple[str, ...] = ()
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen[bytes] | None = None
    sock: socket.socket | None = None
    folder: tempfile.TemporaryDirectory[str] | None = None
    description: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    limit_s: float = 0.0
    failure: BaseException | None = None
    seq: int = 0
    refs: dict[int, Any] = field(default_factory=dict)
    ref_ids: dict[int, int] = field(default_factory=dict)
    remotes: weakref.WeakValueDictionary[int, Any] = field(
        default_factory=weakref.WeakValueDictionary)
    remote_class: Callable[[str], type] | None = None
    _buffer: bytearray = field(default_factory=bytearray)

    # -- life ------------------------------------------------------------------

    def start(self, import_timeout_s: float) -> ImportFailure | None:
        """Start the oracle and import the learner's file; None when ready."""
        self.folder = tempfile.TemporaryDirectory(prefix="consensus-lab-oracle-")
        mine, theirs = socket.socketpair()
        log = Path(self.folder.name) / "oracle.log"
        command = [sys.executable, "-m", "consensus_lab.grading.oracle_child",
                   "--fd", str(theirs.fileno()), "--path", str(self.path.resolve()),
                   "--exercise", self.exercise, "--memory-mb", str(self.memory_mb),
                   "--cpu-s", str(self.cpu_s), "--by-reference", *self.by_reference]
        with open(log, "wb") as log_file:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                env=self._env(), start_new_session=True, pass_fds=(theirs.fileno(),),
                cwd=self.folder.name)
        theirs.close()
        self.sock = mine
        return self._await_import(import_timeout_s)

    def _await_import(self, timeout_s: float) -> ImportFailure | None:
        self.deadline = time.monotonic() + STARTUP_S
        try:
            first = self._receive()
            if first[0] != "loading":
                raise OracleDied("the oracle did not say it was loading")
            self.deadline = time.monotonic() + timeout_s
            answer = self._receive()
        except OracleTimeout:
            return ImportFailure("TIMEOUT", "timeout", self._import_timeout(timeout_s))
        except OracleDied as died:
            return ImportFailure("ERROR", "worker_crashed",
                                 f"the grading process {died} before it imported {self.shown}"
                                 f"{self.log_tail()}")
        finally:
            self.deadline = None
        if answer[0] == "load_error":
            return ImportFailure("ERROR", "load_error", self._load_message(answer[1]))
        if answer[0] != "ready":
            return ImportFailure("ERROR", "worker_crashed", "the oracle broke the protocol")
        self.description = answer[1]
        return None

    def _import_timeout(self, timeout_s: float) -> str:
        return (f"your module did not finish importing within {timeout_s:g} s — a loop (or a "
                f"long computation) at the top level of {self.shown}? Code outside functions "
                "runs at import; put it in a function")

    def _load_message(self, info: dict[str, Any]) -> str:
        if info.get("name") == "MemoryError":
            return (f"{self.shown} ran out of memory while importing (the grader allows "
                    f"{self.memory_mb} MiB; set {sandbox.MEMORY_VARIABLE} to change it)")
        return f"could not load {self.shown}: {info.get('name')}: {info.get('text')}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        existing = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = str(answers.PACKAGE_PARENT) + (os.pathsep + existing
                                                            if existing else "")
        env.setdefault("PYTHONIOENCODING", "utf-8")
        env[sandbox.MARKER] = self.token
        return env

    @property
    def alive(self) -> bool:
        """True while the oracle can still answer."""
        return self.failure is None and self.process is not None and self.process.poll() is None

    def strays(self) -> list[sandbox.Stray]:
        """Processes the learner's code left: in the oracle's session or with its marker."""
        if self.process is None:
            return []
        pid = self.process.pid
        return sandbox.strays(self.token, pid, exclude=(pid,))

    def stop(self) -> list[sandbox.Stray]:
        """Kill the oracle and everything it left; return what it left."""
        found = self.strays()
        if self.process is not None:
            sandbox.stop(found, group=self.process.pid)
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        if self.sock is not None:
            self.sock.close()
        if self.folder is not None:
            self.folder.cleanup()
        return found

    def log_tail(self) -> str:
        """The end of the oracle's log (stdout and stderr), for a crash message."""
        if self.folder is None:
            return ""
        try:
            text = (Path(self.folder.name) / "oracle.log").read_text(errors="replace")
        except OSError:
            return ""
        return f"\n{text[-2000:]}" if text.strip() else ""

    # -- checks ----------------------------------------------------------------

    def begin_check(self, limit_s: float) -> None:
        """A new check: its deadline, and a fresh table of references."""
        self.limit_s = limit_s
        self.deadline = time.monotonic() + limit_s
        self.refs.clear()
        self.ref_ids.clear()
        self._send(("reset",))

    def end_check(self) -> None:
        """No deadline between checks."""
        self.deadline = None

    def call(self, target: tuple[Any, ...], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        """Run ``target`` in the oracle and return its decoded result (see the module doc)."""
        if self.failure is not None:
            raise self.failure
        self.seq += 1
        seq = self.seq
        self._send(("call", seq, target, args, kwargs))
        while True:
            message = self._receive()
            if message[0] == "callback":
                self.serve_callback(message)
                continue
            if len(message) < 2 or message[1] != seq:
                self._die(OracleDied("sent a reply out of turn (a forked copy of your code "
                                     "writing to the grader's socket?)"))
            return self._reply(message, args, kwargs)

    def _reply(self, message: tuple[Any, ...], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        kind = message[0]
        if kind == "ok":
            _kind, _seq, result, after_args, after_kwargs = message
            for index, value in after_args:
                if isinstance(index, int) and 0 <= index < len(args):
                    write_back(args[index], value)
            for key, value in after_kwargs:
                if key in kwargs:
                    write_back(kwargs[key], value)
            return result
        if kind == "raise":
            raise rebuild_exception(message[2])
        if kind == "exited":
            what = message[2] if message[2] != "SystemExit" else f"SystemExit({message[3]})"
            self._die(OracleDied(f"raised {what} — your code ended the grading process; a "
                                 "function must return (or raise an ordinary exception)"))
        self._die(OracleDied("broke the grader's protocol"))
        raise AssertionError("unreachable")

    def serve_callback(self, message: tuple[Any, ...]) -> None:
        """The learner's code used a judge's object: run it here, send back the outcome."""
        _kind, number, ref, op, name, args, kwargs = message
        try:
            target = self.refs[ref]
            if op == "getattr":
                if not isinstance(name, str) or name.startswith("_"):
                    raise AttributeError(f"{name!r}: private attributes are not shared")
                value = getattr(target, name)
            else:
                value = target(*args, **kwargs)
        except Exception as exc:  # the judge's object raised: the learner's code sees it
            self._send(("cb_raise", number, _sendable(exc)))
            return
        self._send(("cb_ok", number, value))

    # -- the wire ----------------------------------------------------------------

    def _send(self, message: tuple[Any, ...]) -> None:
        assert self.sock is not None
        data = codec.encode(message, self._persistent_id)
        try:
            codec.send_frame(self.sock, data)
        except OSError:
            self._die(self._death())

    def _persistent_id(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return None
        if getattr(type(obj), "_oracle_remote", False):
            if obj._oracle is not self:
                raise OracleDied("an object of an earlier grading process was used")
            return ("handle", obj._handle, "")
        if isinstance(obj, type):
            return None
        if by_reference(obj):
            ref = self.ref_ids.get(id(obj))
            if ref is None or self.refs.get(ref) is not obj:
                ref = len(self.refs) + 1
                self.refs[ref] = obj
                self.ref_ids[id(obj)] = ref
            return ("judge", ref)
        return None

    def _resolve(self, pid: Any) -> Any:
        """A persistent id from the oracle: a judge's object, or a by-reference instance."""
        if not isinstance(pid, tuple) or not pid:
            raise codec.RefusedValue(f"an unknown reference {pid!r}")
        if pid[0] == "judge" and len(pid) == 2 and pid[1] in self.refs:
            return self.refs[pid[1]]
        if (pid[0] == "handle" and len(pid) == 3 and isinstance(pid[1], int)
                and pid[2] in self.by_reference and self.remote_class is not None):
            existing = self.remotes.get(pid[1])
            if existing is not None:
                return existing
            obj: Any = object.__new__(self.remote_class(pid[2]))
            obj._handle = pid[1]
            self.remotes[pid[1]] = obj
            return obj
        raise codec.RefusedValue(f"an unknown reference {pid!r}")

    def _receive(self) -> tuple[Any, ...]:
        """The next message from the oracle, decoded; OracleTimeout / OracleDied otherwise."""
        header = self._read(codec.HEADER_SIZE)
        try:
            size = codec.frame_size(header)
        except codec.RefusedValue as refused:
            self._die(OracleDied(f"sent {refused}"))
        data = self._read(size)
        try:
            message = codec.decode(data, self._resolve)
        except codec.RefusedValue as refused:
            self._die(OracleDied(f"sent {refused}"))
        if not isinstance(message, tuple) or not message:
            self._die(OracleDied("broke the grader's protocol"))
        return message

    def _read(self, size: int) -> bytes:
        assert self.sock is not None
        while len(self._buffer) < size:
            wait = None if self.deadline is None else self.deadline - time.monotonic()
            if wait is not None and wait <= 0:
                self._die(OracleTimeout(f"no answer within {self.limit_s:g} s — an infinite "
                                        "loop, or a loop that never reaches its exit "
                                        "condition?"))
            ready, _, _ = select.select([self.sock], [], [], wait)
            if not ready:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self._die(self._death())
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _death(self) -> OracleDied:
        assert self.process is not None
        try:
            code = self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            return OracleDied("closed its socket")
        if code < 0:
            return OracleDied(f"was killed by signal {-code}"
                              + (" — out of memory, or out of CPU time?" if code in (-9, -24)
                                 else ""))
        return OracleDied(f"exited with code {code} — does your code call exit() or "
                          "os._exit()?")

    def _die(self, failure: BaseException) -> Any:
        """Record ``failure``, kill the oracle's process group, raise it."""
        self.failure = failure
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, 9)
        raise failure


_PLAIN = frozenset({int, str, bool, float, tuple, list, dict, set, frozenset, bytes, type(None)})
_BY_REFERENCE: list[tuple[type, ...]] = []


def by_reference(obj: Any) -> bool:
    """True for the judge's objects that stay here: functions, and etcd clients."""
    if not _BY_REFERENCE:
        from consensus_lab.etcd import EtcdClient

        _BY_REFERENCE.append((FunctionType, BuiltinFunctionType, MethodType, partial,
                              EtcdClient))
    return isinstance(obj, _BY_REFERENCE[0])


def _sendable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def rebuild_exception(info: Any) -> BaseException:
    """The learner's exception as the judge rebuilds it: a builtin or lab class, else LearnerError.

    ``oracle_function`` and ``oracle_line`` name the learner's function and line;
    ``oracle_trace`` is the oracle's traceback text.
    """
    if not isinstance(info, dict):
        return LearnerError("an exception the grader cannot read")
    cls = codec.allowed_exception(str(info.get("module")), str(info.get("name")))
    text = str(info.get("text", ""))
    args = info.get("args") or ((text,) if text else ())
    exc: BaseException
    if cls is None:
        exc = LearnerError(f"{info.get('name')}: {text}" if text else str(info.get("name")))
    else:
        exc = cls.__new__(cls, *args)
        exc.args = tuple(args)
        with contextlib.suppress(Exception):
            for key, value in dict(info.get("attrs") or {}).items():
                if isinstance(key, str) and not key.startswith("_"):
                    setattr(exc, key, value)
    exc.oracle_function = str(info.get("function", ""))  # type: ignore[attr-defined]
    line = info.get("line")
    exc.oracle_line = line if isinstance(line, int) else 0  # type: ignore[attr-defined]
    exc.oracle_trace = str(info.get("trace", ""))  # type: ignore[attr-defined]
    return exc


def write_back(original: Any, after: Any) -> None:
    """Copy what the learner's code did to an argument into the judge's own object."""
    if original is after:
        return
    if isinstance(original, list) and isinstance(after, list):
        original[:] = after
    elif isinstance(original, (dict, set)) and type(after) is type(original):
        original.clear()
        original.update(after)
    elif isinstance(original, bytearray) and isinstance(after, (bytes, bytearray)):
        original[:] = after
    elif isinstance(original, tuple) and isinstance(after, tuple) and len(original) == len(after):
        for mine, theirs in zip(original, after, strict=True):
            write_back(mine, theirs)
    elif (type(after) is type(original) and not _frozen(original)
          and type(original).__module__.startswith("consensus_lab.")):
        names = getattr(type(original), "__slots__", None) or list(vars(original))
        for name in names:
            if hasattr(after, name):
                setattr(original, name, getattr(after, name))


def _frozen(value: Any) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and params.frozen
