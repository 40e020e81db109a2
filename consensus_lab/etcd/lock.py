"""A distributed lock with a fencing token, on any :class:`~.api.EtcdClient`.

DDIA ch. 8-9 (after Martin Kleppmann, "How to do distributed locking",
2016): a lock service cannot stop a client that *thinks* it still holds the
lock — a process paused by garbage collection for longer than its lease
wakes up and writes, after someone else took the lock. The cure is on the
storage side: every lock grant carries a **fencing token** that grows with
each new holder, and the storage service rejects a write whose token is
lower than one it has already seen.

With etcd (the recipe of etcd's own ``concurrency.Mutex``, simplified):

* **acquire**: a transaction "if the lock key does not exist
  (``create_revision == 0``), put it with value = my id, attached to my
  lease". The key's revision is the fencing token: revisions only grow, so
  a later holder always gets a larger token.
* **keep alive** the lease while holding; if the holder stops (crash, pause)
  the lease expires and etcd deletes the key, so the lock frees itself.
* **release** only one's own lock: a transaction guarded by
  "value == my id and create_revision == my token".
* An acquire whose outcome is unknown (a timeout) is resolved by reading the
  key: it is ours if it carries our lease.

:class:`FencedStorage` is the storage service of the story; with
``fencing=False`` it accepts every write, which is how data gets corrupted.
:mod:`.story` plays the story step by step — with a real SIGSTOP of the
holder's process on a real cluster — and :mod:`consensus_lab.viz.lock`
draws it on a timeline.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from .api import EtcdClient
from .errors import EtcdError, InvalidRequest, LeaseNotFound, OutcomeUnknown
from .ops import Compare, Delete, Get, Put, check_key, check_timeout


class LockError(EtcdError):
    """Base class of lock and fencing errors."""


class LockNotAcquired(LockError):
    """Someone else held the lock for the whole wait."""


class LockLost(LockError):
    """Our lease expired: someone else may hold the lock now."""


class StaleToken(LockError):
    """A write carried a fencing token lower than one the storage already saw."""

    def __init__(self, token: int, highest: int) -> None:
        super().__init__(f"write rejected: fencing token {token} is stale; the storage has "
                         f"already accepted token {highest} (a newer lock holder)")
        self.token, self.highest = token, highest


class FencedLock:
    """The lock ``name`` for the client ``owner`` (see the module docstring)."""

    def __init__(self, client: EtcdClient, name: str, owner: str, *, ttl: int = 5) -> None:
        check_key(name)
        if not isinstance(owner, str) or not owner:
            raise InvalidRequest(f"owner must be a non-empty str (the client's id), "
                                 f"got {owner!r}")
        self.client, self.key, self.owner, self.ttl = client, name, owner, ttl
        self.lease_id = 0
        self.token = 0  # Invariant: token > 0 exactly while we believe we hold the lock

    def try_acquire(self) -> bool:
        """One attempt: take the lock if it is free. Sets :attr:`token` on success."""
        if not self.lease_id:
            self.lease_id = self.client.lease_grant(self.ttl).id
        free = Compare(key=self.key, target="create", result="==", operand=0)
        take = Put(key=self.key, value=self.owner, lease=self.lease_id)
        try:
            result = self.client.txn([free], [take], [Get(key=self.key)])
        except OutcomeUnknown:
            return self._resolve_unknown()
        except LeaseNotFound:
            self.lease_id = 0  # our lease expired before we got the lock: next try, new lease
            return False
        if result.succeeded:
            self.token = result.revision  # the lock key's create (and mod) revision
        return result.succeeded

    def _resolve_unknown(self) -> bool:
        """After a timed-out acquire: the lock is ours iff the key carries our lease."""
        kvs = self.client.get(self.key).kvs
        if kvs and kvs[0].lease == self.lease_id and kvs[0].value == self.owner:
            self.token = kvs[0].create_revision
            return True
        return False

    def acquire(self, timeout: float = 10.0, poll: float = 0.2) -> int:
        """Wait (backend time) until we hold the lock; returns the fencing token."""
        waited, timeout = 0.0, check_timeout(timeout)
        while not self.try_acquire():
            if waited >= timeout:
                raise LockNotAcquired(f"lock {self.key!r} still held by someone else after "
                                      f"{timeout} s")
            self.client.sleep(poll)
            waited += poll
        return self.token

    def keep_alive(self) -> None:
        """Renew our lease; raises :class:`LockLost` if it already expired."""
        try:
            self.client.lease_keep_alive(self.lease_id)
        except LeaseNotFound as error:
            self.token, self.lease_id = 0, 0
            raise LockLost(f"lock {self.key!r} lost: our lease expired") from error

    def release(self) -> bool:
        """Delete the lock key if it is still ours; True if we released it."""
        ours = [Compare(key=self.key, target="value", result="==", operand=self.owner),
                Compare(key=self.key, target="create", result="==", operand=self.token)]
        released = self.client.txn(ours, [Delete(key=self.key)]).succeeded
        if self.lease_id:
            with contextlib.suppress(LeaseNotFound):  # it may have expired already
                self.client.lease_revoke(self.lease_id)
        self.token, self.lease_id = 0, 0
        return released


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageWrite:
    """One write the storage service saw: by whom, with which token, and its fate."""

    key: str
    value: str
    token: int
    accepted: bool


class FencedStorage:
    """A storage service that remembers the highest fencing token it has accepted.

    With ``fencing=True`` a write with a lower token raises
    :class:`StaleToken` and changes nothing; with ``fencing=False`` every
    write goes through (the unsafe service of the story).
    """

    def __init__(self, fencing: bool = True) -> None:
        self.fencing = fencing
        self.data: dict[str, str] = {}
        self.highest_token = 0
        self.log: list[StorageWrite] = []

    def write(self, key: str, value: str, token: int) -> None:
        """Store ``value`` under ``key`` if ``token`` is not stale."""
        if not isinstance(token, int) or isinstance(token, bool) or token < 1:
            raise InvalidRequest(f"fencing token must be a positive int, got {token!r}")
        if self.fencing and token < self.highest_token:
            self.log.append(StorageWrite(key=key, value=value, token=token, accepted=False))
            raise StaleToken(token, self.highest_token)
        self.highest_token = max(self.highest_token, token)
        self.data[key] = value
        self.log.append(StorageWrite(key=key, value=value, token=token, accepted=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryStep:
    """One moment of the pause story: ``at`` seconds from its start, who did what."""

    at: float
    actor: str
    action: str
    outcome: str

    def __str__(self) -> str:
        return f"t={self.at:6.2f}s {self.actor:3} {self.action:28} {self.outcome}"


def pause_story(holder: EtcdClient, rival: EtcdClient, *, fencing: bool = True, ttl: int = 2,
                key: str = "/locks/file") -> tuple[list[StoryStep], FencedStorage]:
    """Kleppmann's story on any backend; returns its steps and the storage service.

    ``holder`` (c1) takes the lock and writes, then pauses — it simply runs
    nothing, as a process frozen by GC — while ``rival`` (c2) waits for c1's
    lease to expire, takes the lock and writes. Then c1 wakes and writes with
    its old token: rejected when ``fencing``, silently overwriting c2's data
    otherwise.
    """
    storage, steps, start = FencedStorage(fencing=fencing), [], holder.now()

    def note(actor: str, action: str, outcome: str) -> None:
        steps.append(StoryStep(at=round(holder.now() - start, 3), actor=actor, action=action,
                               outcome=outcome))

    first = FencedLock(holder, key, "c1", ttl=ttl)
    second = FencedLock(rival, key, "c2", ttl=5 * ttl)
    token1 = first.acquire()
    note("c1", "acquire lock", f"token {token1}, lease {ttl} s")
    storage.write("file", "written by c1", token1)
    note("c1", f"write with token {token1}", "accepted")
    note("c1", "GC pause begins", "no keep-alives from now on")
    token2 = second.acquire(timeout=5 * ttl, poll=0.25)
    note("c2", "acquire lock", f"token {token2} (c1's lease expired)")
    storage.write("file", "written by c2", token2)
    note("c2", f"write with token {token2}", "accepted")
    note("c1", "GC pause ends", "c1 still believes it holds the lock")
    try:
        storage.write("file", "written by c1 after its pause", token1)
        note("c1", f"write with token {token1}", "accepted: c2's write is silently lost")
    except StaleToken:
        note("c1", f"write with token {token1}", f"rejected: stale (storage saw {token2})")
    second.release()
    return steps, storage
