"""Start a real etcd cluster on 127.0.0.1 for an experiment, and always clean it up.

``with local_cluster(3) as cluster:`` starts three ``etcd`` members on free
loopback ports with temporary data directories (prefix
:data:`DATA_DIR_PREFIX`), waits until every member reports healthy, and on
exit, error or Ctrl-C stops them all and deletes the data.

No stray process, ever. Each member runs in a process group of its own, so
a signal reaches it and anything it spawned; the groups are killed by the
context manager, by an ``atexit`` hook and by a finalizer; and each member is
started with Linux's parent-death signal, so even a ``kill -9`` of Python
takes the members with it.

Nemesis: :meth:`LocalCluster.kill` (``kill -9``), :meth:`~LocalCluster.pause`
(SIGSTOP, a frozen process: the chapter's GC pause), :meth:`~LocalCluster.resume`
(SIGCONT) and :meth:`~LocalCluster.restart` (same data directory: the member
rejoins with what it had written). Member status and leader come from
etcd's HTTP endpoints (``/health``, ``/v3/maintenance/status``), standard
library only.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EtcdError, EtcdNotInstalled, InvalidRequest

log = logging.getLogger(__name__)

#: Every data directory starts with this (tests look for strays by it).
DATA_DIR_PREFIX = "consensus-lab-etcd-"
_PR_SET_PDEATHSIG = 1


def etcd_binary() -> str | None:
    """The etcd server's path, or None when it is not installed."""
    return shutil.which("etcd") or (
        "/usr/bin/etcd" if os.access("/usr/bin/etcd", os.X_OK) else None)


def etcd_available() -> bool:
    """Whether :func:`local_cluster` can run here."""
    return etcd_binary() is not None


#: Run by a fresh interpreter: ask for SIGKILL when our parent dies, then become the
#: real command (the request survives exec).
_LAUNCHER = ("import ctypes, os, signal, sys; "
             f"ctypes.CDLL('libc.so.6', use_errno=True).prctl({_PR_SET_PDEATHSIG}, "
             "signal.SIGKILL); os.execv(sys.argv[1], sys.argv[1:])")


def die_with_parent(command: list[str]) -> list[str]:
    """``command`` wrapped so that the child is killed when this process dies.

    Linux's ``PR_SET_PDEATHSIG``, set between fork and exec by a separate
    program (util-linux ``setpriv``, else a tiny Python launcher), never by
    a ``preexec_fn``: Python code run in the child of a process with other
    threads (gRPC's, here) can deadlock before exec, and then Popen waits
    forever.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        return [setpriv, "--pdeathsig", "KILL", "--", *command]
    program = shutil.which(command[0]) or command[0]
    return [sys.executable, "-c", _LAUNCHER, program, *command[1:]]


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _kill_groups(pids: dict[str, int]) -> None:
    """SIGKILL every member's process group (finalizer and atexit: no questions asked)."""
    for pid in list(pids.values()):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    pids.clear()


@dataclass
class Member:
    """One etcd member: its name, ports, data directory and process (None when down)."""

    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    paused: bool = False

    @property
    def client_url(self) -> str:
        """Where clients connect."""
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        """Where the other members connect."""
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def running(self) -> bool:
        """Started and not killed (a paused member is running)."""
        return self.process is not None and self.process.poll() is None


class LocalCluster:
    """A running local etcd cluster (use :func:`local_cluster` to get one)."""

    def __init__(self, n: int = 3, *, heartbeat_ms: int = 100, election_ms: int = 1000,
                 start_timeout: float = 20.0) -> None:
        binary = etcd_binary()
        if binary is None:
            raise EtcdNotInstalled()
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 7:
            raise InvalidRequest(f"a local cluster has 1 to 7 members, got n={n!r}")
        if not (isinstance(heartbeat_ms, int) and isinstance(election_ms, int)
                and 0 < heartbeat_ms * 5 <= election_ms):
            raise InvalidRequest(f"need ints with 0 < 5 * heartbeat_ms <= election_ms, got "
                                 f"heartbeat_ms={heartbeat_ms!r}, election_ms={election_ms!r}")
        self.binary, self.start_timeout = binary, start_timeout
        self.heartbeat_ms, self.election_ms = heartbeat_ms, election_ms
        self.root = Path(tempfile.mkdtemp(prefix=DATA_DIR_PREFIX))
        self.token = self.root.name
        ports = _free_ports(2 * n)
        self.members = {f"n{i + 1}": Member(f"n{i + 1}", ports[2 * i], ports[2 * i + 1],
                                            self.root / f"n{i + 1}") for i in range(n)}
        self._pids: dict[str, int] = {}  # member -> pid (= its process group id)
        self._finalizer = weakref.finalize(self, _kill_groups, self._pids)
        atexit.register(self._finalizer)
        self.stopped = False

    # ------------------------------------------------------------ lifecycle
    def start(self) -> LocalCluster:
        """Start every member and wait until all are healthy."""
        for name in self.members:
            self._spawn(name)
        self.wait_healthy(self.start_timeout)
        return self

    def _command(self, member: Member) -> list[str]:
        cluster = ",".join(f"{m.name}={m.peer_url}" for m in self.members.values())
        return [self.binary, "--name", member.name, "--data-dir", str(member.data_dir),
                "--listen-client-urls", member.client_url,
                "--advertise-client-urls", member.client_url,
                "--listen-peer-urls", member.peer_url,
                "--initial-advertise-peer-urls", member.peer_url,
                "--initial-cluster", cluster, "--initial-cluster-token", self.token,
                "--initial-cluster-state", "new",
                "--heartbeat-interval", str(self.heartbeat_ms),
                "--election-timeout", str(self.election_ms),
                "--logger", "zap", "--log-outputs", "stderr"]

    def _spawn(self, name: str) -> None:
        member = self.members[name]
        member.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{name}.log", "ab") as log_file:
            member.process = subprocess.Popen(
                die_with_parent(self._command(member)), stdout=subprocess.DEVNULL,
                stderr=log_file, stdin=subprocess.DEVNULL, start_new_session=True)
        member.paused = False
        self._pids[name] = member.process.pid

    def stop(self) -> None:
        """Stop every member (leader first, so followers need not wait), delete the data."""
        if self.stopped:
            return
        self.stopped = True
        try:
            leader = self.leader(timeout=0.5) if self.running() else None
            order = sorted(self.members, key=lambda name: name != leader)
            for name in order:
                self._terminate(name, grace=3.0)
        finally:
            _kill_groups(self._pids)
            atexit.unregister(self._finalizer)
            shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self, name: str, grace: float) -> None:
        member = self.members[name]
        process, pid = member.process, self._pids.pop(name, None)
        if process is None or pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGCONT)
            os.killpg(pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            process.wait()
        member.process, member.paused = None, False

    # ------------------------------------------------------------ nemesis
    def kill(self, name: str) -> None:
        """``kill -9`` the member (it restarts with what it wrote to disk)."""
        member = self._member(name, running=True)
        pid = self._pids.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        assert member.process is not None
        member.process.wait()
        member.process, member.paused = None, False

    def pause(self, name: str) -> None:
        """Freeze the member (SIGSTOP): it neither answers nor times out."""
        member = self._member(name, running=True)
        os.killpg(self._pids[name], signal.SIGSTOP)
        member.paused = True

    def resume(self, name: str) -> None:
        """Unfreeze a paused member (SIGCONT)."""
        member = self._member(name, running=True)
        os.killpg(self._pids[name], signal.SIGCONT)
        member.paused = False

    def restart(self, name: str, wait: bool = True) -> None:
        """Start a killed member again on its data directory (kill it first if running)."""
        member = self._member(name)
        if member.running:
            self.kill(name)
        self._spawn(name)
        if wait:
            self._wait(lambda: self._healthy(member), self.start_timeout,
                       f"{name} healthy after restart")

    def _member(self, name: str, running: bool = False) -> Member:
        if name not in self.members:
            raise InvalidRequest(f"unknown member {name!r}; members: {', '.join(self.members)}")
        member = self.members[name]
        if running and not member.running:
            raise InvalidRequest(f"member {name} is not running (killed?); restart it first")
        return member

    # ------------------------------------------------------------ status
    @property
    def endpoints(self) -> list[str]:
        """Every member's client URL."""
        return [m.client_url for m in self.members.values()]

    def running(self) -> list[str]:
        """Members whose process is alive (paused ones included)."""
        return [name for name, m in self.members.items() if m.running]

    def client(self, member: str | None = None, *, timeout: float = 2.0) -> Any:
        """A :class:`~.real.RealClient` on every member, or on ``member`` only."""
        from .real import RealClient

        urls = self.endpoints if member is None else [self._member(member).client_url]
        return RealClient(urls, timeout=timeout)

    def status(self, name: str, timeout: float = 1.0) -> dict[str, Any] | None:
        """``/v3/maintenance/status`` of a member (None if it does not answer in time)."""
        member = self.members[name]
        if not member.running or member.paused:
            return None
        try:
            request = urllib.request.Request(f"{member.client_url}/v3/maintenance/status",
                                             data=b"{}", method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def leader(self, timeout: float = 1.0) -> str | None:
        """The member that the answering members agree leads (None while there is none)."""
        ids: dict[Any, str] = {}
        votes: dict[Any, int] = {}
        for name in self.members:
            status = self.status(name, timeout)
            if status is not None:
                ids[status["header"]["member_id"]] = name
                leader_id = status.get("leader")
                votes[leader_id] = votes.get(leader_id, 0) + 1
        if not votes:
            return None
        leader_id = max(votes, key=lambda k: votes[k])
        return ids.get(leader_id)

    def wait_for_leader(self, timeout: float = 10.0, other_than: str | None = None) -> str:
        """Poll until some member (other than ``other_than``) leads; its name."""
        found: list[str] = []

        def elected() -> bool:
            leader = self.leader(timeout=0.3)
            if leader is not None and leader != other_than:
                found.append(leader)
            return bool(found)

        self._wait(elected, timeout, "a leader" + (f" other than {other_than}"
                                                   if other_than else ""))
        return found[-1]

    def _healthy(self, member: Member) -> bool:
        if not member.running:
            raise EtcdError(f"etcd member {member.name} exited: {self.log_tail(member.name)}")
        try:
            with urllib.request.urlopen(f"{member.client_url}/health", timeout=1.0) as answer:
                return json.loads(answer.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    def wait_healthy(self, timeout: float = 20.0) -> None:
        """Poll ``/health`` until every running, unpaused member says true."""
        def all_healthy() -> bool:
            return all(self._healthy(m) for m in self.members.values()
                       if m.process is not None and not m.paused)

        self._wait(all_healthy, timeout, "every member healthy")

    def _wait(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise EtcdError(f"timed out after {timeout} s waiting for {what}; logs in "
                                f"{self.root}: {self.log_tail(next(iter(self.members)))}")
            time.sleep(0.05)

    def log_tail(self, name: str, lines: int = 3) -> str:
        """The last lines of a member's log (for error messages)."""
        path = self.root / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def local_cluster(n: int = 3, *, heartbeat_ms: int = 100, election_ms: int = 1000,
                  start_timeout: float = 20.0) -> Iterator[LocalCluster]:
    """A running n-member etcd cluster on 127.0.0.1, stopped on exit (see the module doc).

    Raises :class:`EtcdNotInstalled` (with how to install it) when there is no
    ``etcd`` binary.
    """
    cluster = LocalCluster(n, heartbeat_ms=heartbeat_ms, election_ms=election_ms,
                           start_timeout=start_timeout)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
