"""Jepsen-style runs: concurrent clients, a nemesis, and a checked history.

Theory of operation (after Kingsbury's Jepsen analyses of etcd, and
Porcupine's etcd tests). ``clients`` processes hammer a few registers
(keys ``x``, ``y``, ``z``) with three operations:

* ``read``  — a linearizable ``get`` (or, in the known-buggy ``reads=
  "serializable"`` configuration, a serializable one, which a member answers
  from its own possibly stale state);
* ``write`` — a ``put`` of a value never written before (a run-wide counter);
* ``cas``   — a transaction: if the key's value is ``expected`` (the last
  value this process saw), put a fresh value.

Each operation is recorded with its interval ``[call, ret]`` and one of
Jepsen's outcomes: ``ok``, ``fail`` (it certainly did not happen: no leader,
no member reachable) or ``info`` (the client timed out: it may have happened,
now or later). **A timeout is never a failure.** Like a Jepsen process, a
client whose operation ended in ``info`` is replaced by a fresh process name
(``c1`` → ``c6`` with five clients), since the old one may still have that
operation in flight.

Meanwhile a **nemesis** hurts the current leader, ``fault_for`` seconds every
``fault_every`` seconds: ``kill`` (``kill -9``, then restart it), ``pause``
(SIGSTOP then SIGCONT: a GC pause) or ``partition`` (cut it off from the
others, then heal; embedded only). After the run every fault is healed, the
cluster gets a leader, and a ``final`` process reads every key (Jepsen's
final read).

The history then goes to the lab's linearizability checker with the
compare-and-set register model (:func:`consensus_lab.consistency.check`),
and we count **acknowledged writes lost** (see :func:`lost_writes`) and the
**failover time** of each fault: from the fault to the moment a member other
than the old leader leads (and, as clients see it, to the first acknowledged
write called after the fault). The second is often about one client
timeout: requests in flight to the failed leader are lost, so each client
waits out its timeout before it tries another member. The timeline
(:func:`consensus_lab.viz.write_jepsen_timeline`) draws the faults in a
``nemesis`` lane under the clients.

Two backends:

* **embedded** (:func:`.simjepsen.run_embedded`; :func:`.simjepsen.run` picks
  the backend): simulated clients in the simulator,
  driving an :class:`~.embedded.EmbeddedCluster`; times are simulated
  seconds, and the same seed gives the same history, byte for byte;
* **etcd** (:func:`run_real`): real threads against a real cluster from
  :func:`~.local.local_cluster`, with monotonic wall-clock timestamps. Runs
  differ from one another (threads and the OS schedule them); the seed fixes
  only each client's choice of operations.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..consistency import History, Op, Result, check
from .errors import EtcdError, InvalidRequest, OutcomeUnknown, Unavailable
from .ops import Compare, Put

NEMESES = ("none", "kill", "pause", "partition")
BACKENDS = ("embedded", "etcd")
READS = ("linearizable", "serializable")
KEYS = ("x", "y", "z")
#: Operation mix: reads half the time, writes and cas a quarter each.
MIX = (("read", 2), ("write", 1), ("cas", 1))


# ------------------------------------------------------------------ configuration


@dataclass(frozen=True, slots=True, kw_only=True)
class JepsenConfig:
    """One run's parameters; checked when built (a bad value names what is allowed).

    Times are seconds (simulated on ``embedded``, wall-clock on ``etcd``).
    ``None`` for a time means the backend's default (:func:`defaults`).
    """

    backend: str = "embedded"
    clients: int = 5
    seconds: float | None = None
    nemesis: str = "none"
    seed: int = 0
    keys: int = 3
    members: int = 3
    reads: str = "linearizable"
    timeout: float | None = None
    fault_every: float | None = None
    fault_for: float | None = None
    think: float = 0.02  # at most this long between a client's operations

    def __post_init__(self) -> None:
        _one_of("backend", self.backend, BACKENDS)
        _one_of("nemesis", self.nemesis, NEMESES)
        _one_of("reads", self.reads, READS)
        _int_in("clients", self.clients, 1, 50)
        _int_in("keys", self.keys, 1, len(KEYS))
        _int_in("members", self.members, 3, 7)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidRequest(f"seed must be an int, got {self.seed!r}")
        for name in ("seconds", "timeout", "fault_every", "fault_for", "think"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float)
                                      or isinstance(value, bool) or not 0 < value <= 3600):
                raise InvalidRequest(f"{name} must be a number of seconds in (0, 3600], "
                                     f"got {value!r}")
        if self.backend == "etcd" and self.nemesis == "partition":
            raise InvalidRequest(PARTITION_REFUSED)

    def resolved(self) -> JepsenConfig:
        """A copy with every ``None`` time replaced by the backend's default."""
        values = {name: getattr(self, name) for name in self.__slots__}
        for name, default in defaults(self.backend).items():
            if values[name] is None:
                values[name] = default
        if values["fault_for"] >= values["fault_every"]:
            raise InvalidRequest(f"fault_for ({values['fault_for']} s) must be shorter than "
                                 f"fault_every ({values['fault_every']} s)")
        if values["nemesis"] != "none" and 1.0 + values["fault_for"] > values["seconds"]:
            raise InvalidRequest(
                f"a run of {values['seconds']} s is too short for nemesis "
                f"{values['nemesis']!r}: the first fault starts at 1 s and lasts "
                f"{values['fault_for']} s; give seconds >= {1.0 + values['fault_for']}")
        return JepsenConfig(**values)


PARTITION_REFUSED = (
    "nemesis 'partition' is not available on real etcd: cutting links between processes "
    "on one machine needs separate network namespaces (root, ip netns, veth pairs), which "
    "the lab's launcher does not use. Allowed on etcd: none, kill (kill -9 of the leader), "
    "pause (SIGSTOP/SIGCONT of the leader); 'partition' works on the embedded backend.")


def defaults(backend: str) -> dict[str, float]:
    """Default times per backend: real etcd needs longer faults (1 s election timeout)."""
    if backend == "etcd":
        return {"seconds": 10.0, "timeout": 1.0, "fault_every": 5.0, "fault_for": 3.0}
    return {"seconds": 5.0, "timeout": 1.0, "fault_every": 2.5, "fault_for": 1.5}


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _int_in(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRequest(f"{name} must be an int in [{low}, {high}], got {value!r}")


# ------------------------------------------------------------------ results


@dataclass
class Fault:
    """One nemesis action on the leader and how long the cluster took to recover.

    ``failover``: seconds from the fault to a new leader (None: none before the
    fault ended); ``first_write``: seconds to the first write acknowledged
    after the fault (what clients see). ``at`` is relative to the run's start.
    """

    action: str
    member: str
    at: float
    healed_at: float | None = None
    new_leader: str | None = None
    failover: float | None = None
    first_write: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (seconds rounded to the ms)."""
        return {"action": self.action, "member": self.member, "at": _ms(self.at),
                "healed_at": _ms(self.healed_at), "new_leader": self.new_leader,
                "failover_s": _ms(self.failover), "first_write_s": _ms(self.first_write)}


@dataclass
class JepsenResult:
    """A run: its history, the checker's verdict, lost writes and failover times."""

    config: JepsenConfig
    history: History
    check: Result
    lost: list[Op]
    faults: list[Fault] = field(default_factory=list)
    timeline: Path | None = None
    check_seconds: float = 0.0  # wall-clock spent checking (not part of the run)

    @property
    def linearizable(self) -> bool | None:
        """The checker's verdict (None: it gave up)."""
        return self.check.linearizable

    def counts(self) -> dict[str, dict[str, int]]:
        """Outcomes per operation: ``{"read": {"ok": .., "fail": .., "info": ..}, ...}``."""
        table: dict[str, Counter[str]] = {}
        for op in self.history:
            table.setdefault(op.f, Counter())[op.status] += 1
        return {f: {s: table[f][s] for s in ("ok", "fail", "info")} for f in sorted(table)}

    def acked_writes(self) -> int:
        """Writes acknowledged: ok writes and ok cas that succeeded."""
        return sum(1 for op in self.history if _acked_write(op))

    def as_dict(self) -> dict[str, Any]:
        """Everything ``consensus-lab jepsen --json`` prints."""
        cfg = self.config
        return {
            "backend": cfg.backend, "clients": cfg.clients, "seconds": cfg.seconds,
            "nemesis": cfg.nemesis, "seed": cfg.seed, "reads": cfg.reads,
            "timeout": cfg.timeout, "ops": len(self.history), "counts": self.counts(),
            "verdict": self.check.verdict, "linearizable": self.linearizable,
            "explanation": self.check.explanation,
            "culprit": [str(op) for op in self.check.culprit],
            "acked_writes": self.acked_writes(), "lost_writes": len(self.lost),
            "lost": [str(op) for op in self.lost],
            "faults": [f.as_dict() for f in self.faults],
            "failover_s": [_ms(f.failover) for f in self.faults],
            "timeline": str(self.timeline) if self.timeline else None,
            "check_seconds": round(self.check_seconds, 3),
        }

    def summary(self) -> str:
        """A few lines for a human."""
        cfg = self.config
        unit = "simulated s" if cfg.backend == "embedded" else "s"
        lines = [f"jepsen {cfg.backend}: {cfg.clients} clients, {cfg.seconds} {unit}, "
                 f"nemesis {cfg.nemesis}, reads {cfg.reads}, seed {cfg.seed}"]
        for f, row in self.counts().items():
            lines.append(f"  {f:<6} ok {row['ok']:>5}  fail {row['fail']:>4}  "
                         f"unknown (info) {row['info']:>4}")
        lines.append(f"  verdict: {self.check.verdict} - {self.check.explanation}")
        lines.append(f"  acknowledged writes: {self.acked_writes()}, lost: {len(self.lost)}")
        for fault in self.faults:
            lines.append(f"  t={fault.at:.3f} {fault.action} {fault.member}: new leader "
                         f"{fault.new_leader or '-'} after {_fmt(fault.failover)}, first "
                         f"acknowledged write after {_fmt(fault.first_write)}")
        if self.timeline:
            lines.append(f"  timeline: {self.timeline}")
        return "\n".join(lines)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f} s"


# ------------------------------------------------------------------ analysis


def _acked_write(op: Op) -> bool:
    return op.status == "ok" and (op.f == "write" or (op.f == "cas" and op.output is True))


def _written(op: Op) -> Any:
    """The value a write-like op sets (None if it sets nothing)."""
    if op.f == "write":
        return op.value
    if op.f == "cas" and op.status != "fail" and op.output is not False:
        return op.value[1]
    return None


def _observed(op: Op) -> tuple[bool, Any]:
    """(does ``op`` observe the register, the value it saw): ok reads and ok cas that succeeded."""
    if op.status != "ok":
        return False, None
    if op.f == "read":
        return True, op.output
    if op.f == "cas" and op.output is True:
        return True, op.value[0]
    return False, None


def lost_writes(history: History) -> list[Op]:
    """Acknowledged writes whose value is never seen again, though nothing overwrote it.

    Definition (values are unique: no two writes ever write the same value).
    An acknowledged write ``w`` of ``v`` to key ``k`` — an ``ok`` write, or an
    ``ok`` cas that succeeded — is **lost** when both hold for the
    observations of ``k`` *called after* ``w`` *returned* (``ok`` reads, and
    ``ok`` cas that succeeded, which saw their expected value):

    1. none of them saw ``v``; and
    2. one of them saw a state from *before* ``w``: the initial nil, or a
       value whose write had returned before ``w`` was called.

    (2) says that no later write overwrote ``v``: any write that could come
    after ``w`` writes a value of its own, so seeing an older value means
    ``w`` was undone. Every run ends with a linearizable final read of each
    key, so a write that was acknowledged and then silently dropped is caught
    even if no client read the key in between. A lost write always makes the
    history non-linearizable; the converse does not hold (a stale read that
    is followed by a read of ``v`` is not a lost write). In the known-buggy
    ``reads="serializable"`` configuration a stale read of a write that was
    overwritten before anyone read it also meets (1) and (2): the write is lost
    *to that reader*, and the count mixes the two.
    """
    writer: dict[tuple[Any, Any], Op] = {}
    observations: dict[Any, list[tuple[float, Any]]] = {}
    for op in history:
        value = _written(op)
        if value is not None:
            writer[(op.key, value)] = op
        seen, value = _observed(op)
        if seen:
            observations.setdefault(op.key, []).append((op.call, value))
    lost = []
    for w in (op for op in history if _acked_write(op)):
        later = [value for call, value in observations.get(w.key, ()) if call > w.ret]
        if _written(w) in later:
            continue
        if any(value is None or _older(writer.get((w.key, value)), w) for value in later):
            lost.append(w)
    return lost


def _older(before: Op | None, w: Op) -> bool:
    """Did ``before`` (the writer of an observed value, if any) return before ``w`` was called?"""
    return before is not None and before is not w and before.ret < w.call


def finish(config: JepsenConfig, history: History, faults: list[Fault],
           check_timeout: float = 120.0) -> JepsenResult:
    """Check ``history`` and count lost writes."""
    started = time.monotonic()
    verdict = check(history, "cas-register", timeout=check_timeout)
    elapsed = time.monotonic() - started
    return JepsenResult(config, history, verdict, lost_writes(history), faults,
                        check_seconds=elapsed)


def with_nemesis(history: History, faults: list[Fault]) -> History:
    """A copy of ``history`` with each fault as a bar in a ``nemesis`` lane (for drawing only:
    the checker never sees these)."""
    drawn = History(list(history.ops))
    for fault in faults:
        end = fault.healed_at if fault.healed_at is not None else fault.at
        drawn.add("nemesis", fault.action, fault.member, fault.at, end)
    return drawn


# ------------------------------------------------------------------ the workload


class Workload:
    """What the clients do: operations drawn from a seeded generator, unique values.

    Each process remembers the last value it saw per key; a cas expects that
    value (so many cas succeed). Without a remembered value it writes.
    """

    def __init__(self, config: JepsenConfig) -> None:
        self.keys = KEYS[:config.keys]
        self.clients = config.clients
        self.rngs = [random.Random(f"jepsen-{config.seed}-client-{i}")
                     for i in range(config.clients)]
        self.think = config.think
        self._values = 0
        self._lock = threading.Lock()
        self.last_seen: dict[tuple[int, str], Any] = {}

    def fresh_value(self) -> int:
        """A value never written before in this run."""
        with self._lock:
            self._values += 1
            return self._values

    def next_op(self, client: int) -> tuple[str, str, Any]:
        """``(f, key, value)`` for client number ``client``'s next operation."""
        rng = self.rngs[client]
        key = rng.choice(self.keys)
        f = rng.choices([m[0] for m in MIX], weights=[m[1] for m in MIX])[0]
        expected = self.last_seen.get((client, key))
        if f == "cas" and expected is None:
            f = "write"
        if f == "read":
            return "read", key, None
        if f == "write":
            return "write", key, self.fresh_value()
        return "cas", key, (expected, self.fresh_value())

    def saw(self, client: int, op: Op) -> None:
        """Remember what an ``ok`` op says about its key."""
        if op.status != "ok":
            return
        if op.f == "read":
            self.last_seen[(client, op.key)] = op.output
        elif op.f == "write" or (op.f == "cas" and op.output is True):
            self.last_seen[(client, op.key)] = _written(op)

    def pause(self, client: int) -> float:
        """Seconds to wait before the next operation."""
        return self.rngs[client].uniform(0, self.think)


def process_name(client: int, incarnation: int, clients: int) -> str:
    """Jepsen's rule: after an unknown outcome, client ``i`` continues as ``i + clients``."""
    return f"c{client + 1 + incarnation * clients}"


# ------------------------------------------------------------------ nemesis plan


def fault_times(config: JepsenConfig) -> list[tuple[float, float]]:
    """``(start, end)`` of each fault: from 1 s on, ``fault_for`` s every ``fault_every`` s."""
    if config.nemesis == "none":
        return []
    plan, start = [], 1.0
    # the Optional timings are filled in by the time a run plans its faults
    while start + config.fault_for <= config.seconds:  # type: ignore[operator]
        plan.append((start, start + config.fault_for))  # type: ignore[operator]
        start += config.fault_every  # type: ignore[operator]
    return plan


def note_first_writes(history: History, faults: list[Fault]) -> None:
    """Fill each fault's ``first_write``: seconds from the fault until the first write
    *called after it* was acknowledged (writes already in flight do not count)."""
    acked = [op for op in history if _acked_write(op) and op.process != "final"]
    for fault in faults:
        after = [op.ret for op in acked if op.call > fault.at]
        fault.first_write = min(after) - fault.at if after else None


# ------------------------------------------------------------------ real runner


class _Recorder:
    """A thread-safe history with wall-clock times relative to the run's start."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.history = History()
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def add(self, process: str, f: str, key: str, value: Any, call: float,
            status: str, output: Any) -> Op:
        ret = math.inf if status == "info" else max(call, self.now())
        with self._lock:
            return self.history.add(process, f, value, call, ret, output=output, key=key,
                                    status=status)


def real_call(client: Any, prefix: str, f: str, key: str, value: Any) -> tuple[str, Any]:
    """One operation on a real (or embedded) :class:`~.api.EtcdClient`: ``(status, output)``.

    :class:`Unavailable` (certainly not done) is ``fail``; a timeout, or any other
    error from the client library, is ``info``: the outcome is unknown. A bad
    request is our bug and is raised.
    """
    path = prefix + key
    try:
        if f == "read":
            raw = client.get(path).value
            return "ok", None if raw is None else int(raw)
        if f == "write":
            client.put(path, str(value))
            return "ok", None
        expected, new = value
        answer = client.txn([Compare(key=path, target="value", result="==",
                                     operand=str(expected))], [Put(key=path, value=str(new))])
        return "ok", bool(answer.succeeded)
    except Unavailable:
        return "fail", None
    except InvalidRequest:
        raise
    except (OutcomeUnknown, EtcdError, ValueError, RuntimeError):
        return "info", None


def _client_thread(cluster: Any, workload: Workload, recorder: _Recorder, index: int,
                   prefix: str, stop_at: float, timeout: float) -> None:
    from .real import RealClient

    members = list(cluster.members)
    start = index % len(members)  # client i prefers member i, then fails over in order
    urls = [cluster.members[m].client_url for m in members[start:] + members[:start]]
    client = RealClient(urls, timeout=timeout)
    incarnation = 0
    try:
        while recorder.now() < stop_at:
            f, key, value = workload.next_op(index)
            name = process_name(index, incarnation, workload.clients)
            call = recorder.now()
            status, output = real_call(client, prefix, f, key, value)
            op = recorder.add(name, f, key, value, call, status, output)
            workload.saw(index, op)
            if status == "info":
                incarnation += 1
            time.sleep(workload.pause(index))
    finally:
        client.close()


def run_real(config: JepsenConfig, cluster: Any = None) -> JepsenResult:
    """A run against real etcd: a fresh :func:`local_cluster` unless ``cluster`` is given.

    The nemesis runs in this thread; the cluster is healed (every member
    resumed or restarted) before the final reads, and a cluster started here
    is always stopped.
    """
    if config.backend != "etcd":
        raise InvalidRequest(f"run_real needs backend 'etcd', got {config.backend!r}")
    cfg = config.resolved()
    if cluster is not None:
        return _run_real_on(cfg, cluster)
    from .local import local_cluster

    with local_cluster(cfg.members) as own:
        return _run_real_on(cfg, own)


def _run_real_on(cfg: JepsenConfig, cluster: Any) -> JepsenResult:
    prefix = f"/jepsen/{cfg.seed}-{time.monotonic_ns()}/"
    workload = Workload(cfg)
    cluster.wait_for_leader(timeout=10.0)
    recorder = _Recorder()
    threads = [threading.Thread(target=_client_thread, daemon=True, name=f"jepsen-c{i + 1}",
                                args=(cluster, workload, recorder, i, prefix, cfg.seconds,
                                      cfg.timeout)) for i in range(cfg.clients)]
    faults: list[Fault] = []
    for thread in threads:
        thread.start()
    try:
        for start, end in fault_times(cfg):
            _sleep_until(recorder, start)
            faults.append(_real_fault(cluster, cfg.nemesis, recorder, end))
    finally:  # cfg's Optional timings are filled in (resolved) by now
        for thread in threads:
            thread.join(timeout=cfg.seconds + 5 * cfg.timeout + 5)  # type: ignore[operator]
        _heal_real(cluster)
    _final_reads(cluster, recorder, prefix, workload.keys, cfg.timeout)  # type: ignore[arg-type]
    note_first_writes(recorder.history, faults)
    return finish(cfg, recorder.history, faults)


def _sleep_until(recorder: _Recorder, t: float) -> None:
    delay = t - recorder.now()
    if delay > 0:
        time.sleep(delay)


def _real_fault(cluster: Any, nemesis: str, recorder: _Recorder, end: float) -> Fault:
    """Hurt the leader until ``end``, measuring how long a new leader takes."""
    leader = cluster.wait_for_leader(timeout=10.0)
    fault = Fault(nemesis, leader, recorder.now())
    (cluster.kill if nemesis == "kill" else cluster.pause)(leader)
    try:
        fault.new_leader = cluster.wait_for_leader(timeout=max(0.1, end - recorder.now()),
                                                   other_than=leader)
        fault.failover = recorder.now() - fault.at
    except EtcdError:
        fault.new_leader = None  # no new leader before the fault ended
    _sleep_until(recorder, end)
    if nemesis == "kill":
        cluster.restart(leader)
    else:
        cluster.resume(leader)
    fault.healed_at = recorder.now()
    return fault


def _heal_real(cluster: Any) -> None:
    for name, member in cluster.members.items():
        if member.process is None:
            cluster.restart(name)
        elif member.paused:
            cluster.resume(name)
    cluster.wait_healthy(20.0)


def _final_reads(cluster: Any, recorder: _Recorder, prefix: str, keys: tuple[str, ...],
                 timeout: float) -> None:
    client = cluster.client(timeout=max(timeout, 2.0))
    try:
        for key in keys:
            for _ in range(20):
                call = recorder.now()
                status, output = real_call(client, prefix, "read", key, None)
                recorder.add("final", "read", key, None, call, status, output)
                if status == "ok":
                    break
                time.sleep(0.2)
    finally:
        client.close()


__all__ = ["BACKENDS", "KEYS", "NEMESES", "PARTITION_REFUSED", "Fault", "JepsenConfig",
           "JepsenResult", "Workload", "defaults", "fault_times", "finish", "lost_writes",
           "real_call", "run_real"]
