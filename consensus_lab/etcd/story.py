"""Kleppmann's pause story, step by step, on the embedded cluster or with a real SIGSTOP.

The story (DDIA ch. 8 "The leader and the lock", ch. 9; Martin Kleppmann,
"How to do distributed locking", 2016): client **c1** takes the lock and
writes to a storage service with its fencing token; then c1 is frozen — a
stop-the-world GC pause — for longer than its lease. The lease expires, etcd
deletes the lock key, **c2** takes the lock (a larger token) and writes.
c1 wakes up, still believing it holds the lock, and writes with its old
token. With fencing the storage rejects that write; without fencing it
silently overwrites c2's data.

How c1 is paused depends on the backend, and the story says which:

* **embedded** (:func:`embedded_story`): c1 is a client of the simulated
  cluster and simply makes no calls while simulated time passes (the
  simulator's clock only moves when someone calls ``sleep``); same seed,
  same story;
* **real** (:func:`sigstop_story`): c1 is a **separate process** (``python
  -m consensus_lab.etcd.holder``) with a keep-alive thread, frozen with
  ``SIGSTOP`` and woken with ``SIGCONT`` — every thread stops, as in a real
  GC pause, so nothing renews the lease.

The four rules come from a *rules module* (:mod:`.rules`, or a learner's
``exercises/fencing_lock.py``): ``acquire``, ``release``, ``keep_alive``
and ``accept_write`` (see :func:`.ruleset.load_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from .api import EtcdClient
from .errors import EtcdError, InvalidRequest
from .lock import FencedStorage, StaleToken, StorageWrite
from .ruleset import RULE_NAMES, load_rules, rules_path


class StoryError(EtcdError):
    """The story could not be played (e.g. c1 could not take a free lock)."""


class RuleStorage(FencedStorage):
    """The storage service of the story, deciding with the rules' ``accept_write``.

    With ``fencing=False`` every write goes through (the unsafe service).
    """

    def __init__(self, accept: Callable[[int, int], bool], fencing: bool = True) -> None:
        super().__init__(fencing=fencing)
        self.accept = accept

    def write(self, key: str, value: str, token: int) -> None:
        """Store ``value`` if ``accept(highest_token, token)``; else raise StaleToken."""
        if not isinstance(token, int) or isinstance(token, bool) or token < 1:
            raise InvalidRequest(f"fencing token must be a positive int, got {token!r}")
        if self.fencing and not self.accept(self.highest_token, token):
            self.log.append(StorageWrite(key=key, value=value, token=token, accepted=False))
            raise StaleToken(token, self.highest_token)
        self.highest_token = max(self.highest_token, token)
        self.data[key] = value
        self.log.append(StorageWrite(key=key, value=value, token=token, accepted=True))


# ---------------------------------------------------------------- the two clients


class Holder(Protocol):
    """A lock client of the story: c1 (maybe in another process) or c2."""

    name: str
    token: int | None

    def acquire(self) -> int | None: ...
    def written_token(self) -> int: ...
    def keep_alive(self) -> bool: ...
    def release(self) -> bool: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class ClientHolder:
    """A lock client in this process, over an :class:`EtcdClient`, using ``rules``.

    Its pause is "make no calls": the embedded cluster's time moves on
    without it (a real process in this position would have a frozen thread).
    """

    paused_by = "no calls while time passes"

    def __init__(self, client: EtcdClient, rules: ModuleType, name: str, key: str,
                 ttl: int) -> None:
        self.client, self.rules, self.name, self.key, self.ttl = client, rules, name, key, ttl
        self.lease_id = 0
        self.token: int | None = None

    def acquire(self) -> int | None:
        """One attempt (a fresh lease the first time); the token or None."""
        if not self.lease_id:
            self.lease_id = self.client.lease_grant(self.ttl).id
        self.token = self.rules.acquire(self.client, self.key, self.name, self.lease_id)
        return self.token

    def written_token(self) -> int:
        """The token we write with: whatever we hold in memory."""
        return self.token or 0

    def keep_alive(self) -> bool:
        """Renew our lease (True while it lives)."""
        return bool(self.rules.keep_alive(self.client, self.lease_id))

    def release(self) -> bool:
        """Release with the rules (our id, our token)."""
        return bool(self.rules.release(self.client, self.key, self.name, self.token or 0))

    def pause(self) -> None:
        """Nothing to freeze: we simply make no calls until resume."""

    def resume(self) -> None:
        """Back to work."""


# ---------------------------------------------------------------- the story


@dataclass(frozen=True, slots=True, kw_only=True)
class Moment:
    """One step of the story: ``at`` seconds from its start, who (c1 / c2) did what."""

    at: float
    actor: str
    kind: str  # acquire / write / pause / wake / keep_alive / release
    text: str
    token: int = 0
    ok: bool = True  # a write accepted, a keep-alive renewed, a release done

    def __str__(self) -> str:
        return f"t={self.at:6.2f}s {self.actor}  {self.text}"


@dataclass(kw_only=True)
class Story:
    """What happened: the moments, the storage service, and the settings."""

    backend: str
    paused_by: str
    ttl: int
    pause: float
    fencing: bool
    storage: FencedStorage
    moments: list[Moment] = field(default_factory=list)

    def token(self, actor: str) -> int | None:
        """The token ``actor`` got when it acquired (None if it never did)."""
        return next((m.token for m in self.moments if m.actor == actor and m.kind == "acquire"),
                    None)

    @property
    def late_write(self) -> Moment | None:
        """c1's write after waking up."""
        wake = next((i for i, m in enumerate(self.moments) if m.kind == "wake"), None)
        if wake is None:
            return None
        return next((m for m in self.moments[wake:] if m.actor == "c1" and m.kind == "write"),
                    None)

    @property
    def outcome(self) -> str:
        """"rejected" (fenced off), "corrupted" (a stale write got through) or "no conflict"."""
        late, token2 = self.late_write, self.token("c2")
        c2_first = late is not None and any(m.actor == "c2" and m.kind == "acquire"
                                            and m.at <= late.at for m in self.moments)
        if late is None or token2 is None or not c2_first:
            return "no conflict"
        return "corrupted" if late.ok else "rejected"

    def verdict(self) -> str:
        """One sentence on how the story ended."""
        t1, t2 = self.token("c1"), self.token("c2")
        if self.outcome == "rejected":
            return (f"safe: c1 woke after {self.pause:g} s and wrote with token {t1}; the "
                    f"storage had seen token {t2} (c2) and rejected it")
        if self.outcome == "corrupted":
            return (f"CORRUPTED: c1 woke after {self.pause:g} s and wrote with token {t1}, "
                    f"after c2 had taken the lock (token {t2}); the storage accepted it and "
                    f"c2's write is silently lost (data = {self.storage.data.get('file')!r})")
        if self.pause < self.ttl:
            return (f"no conflict: c1's pause ({self.pause:g} s) was shorter than its lease "
                    f"({self.ttl} s), so it still held the lock when it wrote; c2 got the "
                    "lock only after c1 released it")
        return (f"no conflict, but only by luck: c1's pause ({self.pause:g} s) outlasted its "
                f"{self.ttl} s lease, yet c2 could not take the lock during the pause — the "
                "lock key outlived the lease (is it attached to it?)")

    def rows(self) -> list[dict[str, Any]]:
        """The moments as rows (``consensus_lab.viz.to_dataframe(story)`` for a table)."""
        return [{"t (s)": m.at, "client": m.actor, "what": m.text} for m in self.moments]

    def __str__(self) -> str:
        return "\n".join([*map(str, self.moments), self.verdict()])


class _Script:
    """Plays the story with two holders and a clock (see :func:`play`)."""

    def __init__(self, story: Story, clock: EtcdClient, poll: float) -> None:
        self.story, self.clock, self.poll = story, clock, poll
        self.start = clock.now()

    def note(self, actor: str, kind: str, text: str, token: int = 0, ok: bool = True) -> None:
        at = round(self.clock.now() - self.start, 3)
        self.story.moments.append(Moment(at=at, actor=actor, kind=kind, text=text, token=token,
                                         ok=ok))

    def write(self, holder: Holder, value: str) -> None:
        token = holder.written_token()
        try:
            self.story.storage.write("file", value, token)
        except StaleToken as stale:
            self.note(holder.name, "write", f"write {value!r} with token {token}: REJECTED "
                      f"(the storage already accepted token {stale.highest})", token, ok=False)
            return
        late = self.story.token("c2") is not None and holder.name == "c1"
        text = (f"write {value!r} with token {token}: accepted"
                + (" — overwriting c2's newer data" if late else ""))
        self.note(holder.name, "write", text, token)

    def take(self, holder: Holder) -> bool:
        token = holder.acquire()
        if token is not None:
            self.note(holder.name, "acquire", f"acquire the lock: token {token}", token)
        return token is not None


def play(holder: Holder, rival: Holder, clock: EtcdClient, story: Story,
         poll: float = 0.25) -> Story:
    """Play the story: c1 (``holder``) takes the lock, writes, pauses; c2 (``rival``) waits."""
    run = _Script(story, clock, poll)
    if not run.take(holder):
        raise StoryError(f"c1 could not take the free lock {getattr(holder, 'key', '')!r}: "
                         "is it left over from an earlier run?")
    run.write(holder, "c1's data")
    holder.pause()
    run.note("c1", "pause", f"GC pause begins ({story.paused_by}): no keep-alives")
    wake_at = clock.now() + story.pause
    while True:
        if rival.token is None:
            if run.take(rival):
                run.write(rival, "c2's data")
        else:
            rival.keep_alive()
        remaining = wake_at - clock.now()
        if remaining <= 1e-9:
            break
        clock.sleep(min(poll, remaining))
    holder.resume()
    run.note("c1", "wake", f"GC pause ends after {story.pause:g} s: c1 still thinks it holds "
             "the lock")
    run.write(holder, "c1's data, after the pause")
    _after_wake(run, holder, rival)
    return story


def _after_wake(run: _Script, holder: Holder, rival: Holder) -> None:
    """c1 notices (or not) that it lost the lock; then everyone releases."""
    alive = holder.keep_alive()
    run.note("c1", "keep_alive", "keep-alive: lease still alive" if alive
             else "keep-alive: lease not found — c1 learns it lost the lock", ok=alive)
    released = holder.release()
    what = "done" if released else "not ours any more, nothing deleted"
    run.note("c1", "release", f"release: {what}", ok=released)
    if rival.token is None:
        deadline = run.clock.now() + 5 * run.story.ttl
        while not run.take(rival):
            if run.clock.now() > deadline:
                raise StoryError("c2 never got the lock after c1 released it")
            run.clock.sleep(run.poll)
        run.write(rival, "c2's data")
    if rival.release():
        run.note("c2", "release", "release: done")
    else:
        why = ("c1's release after waking had deleted c2's lock"
               if released and _c2_held_at_wake(run.story)
               else "the lock key no longer matched c2's id and token")
        run.note("c2", "release", f"release: FAILED — {why}", ok=False)


def _c2_held_at_wake(story: Story) -> bool:
    """Did c2 take the lock before c1 woke up?"""
    wake = next(m.at for m in story.moments if m.kind == "wake")
    token2 = next((m for m in story.moments if m.actor == "c2" and m.kind == "acquire"), None)
    return token2 is not None and token2.at <= wake


def embedded_story(*, ttl: int = 2, pause: float = 5.0, fencing: bool = True,
                   rules: ModuleType | str | Path | None = None, seed: int = 1,
                   key: str = "/locks/file") -> Story:
    """The story on a fresh 3-member embedded cluster (simulated time; same seed, same story)."""
    from .embedded import EmbeddedCluster

    _check_settings(ttl, pause)
    module = load_rules(rules)
    cluster = EmbeddedCluster(3, seed=seed)
    cluster.wait_for_leader()
    c1, c2 = cluster.client("c1"), cluster.client("c2")
    story = Story(backend="embedded", paused_by=ClientHolder.paused_by, ttl=ttl, pause=pause,
                  fencing=fencing, storage=RuleStorage(module.accept_write, fencing))
    holder = ClientHolder(c1, module, "c1", key, ttl)
    rival = ClientHolder(c2, module, "c2", key, _rival_ttl(ttl, pause))
    return play(holder, rival, c2, story)


def sigstop_story(cluster: Any, *, ttl: int = 2, pause: float = 5.0, fencing: bool = True,
                  rules: ModuleType | str | Path | None = None,
                  key: str = "/locks/file") -> Story:
    """The story on a real cluster (a :class:`~.local.LocalCluster`), c1 frozen by SIGSTOP."""
    from .holder import ProcessHolder

    _check_settings(ttl, pause)
    module = load_rules(rules)
    story = Story(backend="real", paused_by=ProcessHolder.paused_by, ttl=ttl, pause=pause,
                  fencing=fencing, storage=RuleStorage(module.accept_write, fencing))
    client = cluster.client(timeout=3.0)
    try:
        client.delete(key)  # a story left half-way by an interrupted run
        rival = ClientHolder(client, module, "c2", key, _rival_ttl(ttl, pause))
        with ProcessHolder(cluster.endpoints, key=key, name="c1", ttl=ttl,
                           rules=rules_path(module)) as holder:
            return play(holder, rival, client, story)
    finally:
        client.close()


def _rival_ttl(ttl: int, pause: float) -> int:
    """c2's lease outlasts the story (it keeps it alive too, but polls can be slow)."""
    return max(10, int(ttl + pause) + 5)


def _check_settings(ttl: Any, pause: Any) -> None:
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= 60:
        raise InvalidRequest(f"ttl must be an int number of seconds in [1, 60], got {ttl!r}")
    if not isinstance(pause, int | float) or isinstance(pause, bool) or not 0 <= pause <= 120:
        raise InvalidRequest(f"pause must be a number of seconds in [0, 120], got {pause!r}")


__all__ = ["ClientHolder", "Moment", "RULE_NAMES", "RuleStorage", "Story", "StoryError",
           "embedded_story", "load_rules", "play", "rules_path", "sigstop_story"]
