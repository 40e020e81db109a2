"""Grading checks for the ``fencing_lock`` exercise (練習 2: 分散式鎖與 fencing token).

Theory of operation: the learner writes four functions over an
:class:`~consensus_lab.etcd.EtcdClient` — ``acquire(client, key,
client_id, lease_id)``, ``release(client, key, client_id, token)``,
``keep_alive(client, lease_id)`` — and the storage service's
``accept_write(highest_token, token)``. The checks

1. run each rule on a fresh 3-member **embedded** cluster (the lab's Raft
   in the simulator, simulated time, a fixed seed), with two clients c1 and
   c2, and look at the lock key etcd holds afterwards (value, lease,
   revisions) — so a mistake is reported as what etcd shows;
2. try ``accept_write`` on the cases that tell a stale token from a
   same-holder or newer one;
3. play Kleppmann's pause story with the four functions
   (:func:`~consensus_lab.etcd.story.embedded_story`): c1 pauses past its
   lease, c2 takes the lock, c1 wakes and writes — that write must be
   rejected, and c2's lock must survive c1's clean-up;
4. run the same code on a **real** etcd cluster (``local_cluster``) with c1
   in a process of its own frozen by SIGSTOP — skipped, with how to install
   etcd, when the ``etcd`` server is not on this machine.

A failure tells the story that broke: who held the lock, with which token,
and which write got through.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from consensus_lab.etcd import EmbeddedCluster, EtcdClient, EtcdNotInstalled, LeaseNotFound
from consensus_lab.grading.base import INVARIANT, Check, CheckSkipped, expect, fail

EXERCISE = "fencing_lock"
KEY = "/locks/report"
SEED = 3
_REPLAY = ("consensus_lab.grading.fencing_lock.replay(pause={pause})  "
           "# or embedded_story(rules='exercises/fencing_lock.py') in notebook 13")


def _cluster() -> tuple[EmbeddedCluster, EtcdClient, EtcdClient]:
    cluster = EmbeddedCluster(3, seed=SEED)
    cluster.wait_for_leader()
    return cluster, cluster.client("c1"), cluster.client("c2")


def _acquire(module: ModuleType, client: EtcdClient, name: str, lease_id: int) -> tuple[str, Any]:
    call = f"acquire(client, {KEY!r}, {name!r}, lease_id={lease_id})"
    token = module.acquire(client, KEY, name, lease_id)
    expect(token is None or (isinstance(token, int) and not isinstance(token, bool)
                             and token > 0),
           f"{call} returned {token!r}; it must return the fencing token (a positive int) "
           f"when it took the lock, or None when someone else holds it")
    return call, token


def _lock_key(client: EtcdClient) -> Any:
    kvs = client.get(KEY).kvs
    return kvs[0] if kvs else None


def _describe(kv: Any) -> str:
    if kv is None:
        return f"there is no key {KEY!r} (the lock is free)"
    lease = f"lease {kv.lease}" if kv.lease else "no lease"
    return (f"the key holds {kv.value!r} (create_revision {kv.create_revision}, "
            f"mod_revision {kv.mod_revision}, {lease})")


# -- 1. acquire ------------------------------------------------------------------------------


def check_acquire_free(module: ModuleType) -> None:
    """A free lock: the key appears with value = your id, on your lease; token = its revision."""
    _, c1, _ = _cluster()
    lease = c1.lease_grant(10).id
    call, token = _acquire(module, c1, "c1", lease)
    expect(token is not None, f"the lock was free (no key {KEY!r}), yet {call} returned None: "
           "a free lock must be taken")
    kv = _lock_key(c1)
    expect(kv is not None, f"{call} returned token {token}, but there is no key {KEY!r} "
           "in etcd: acquire must create the lock key")
    expect(kv.value == "c1", f"after {call}, {_describe(kv)}; the value must be your client "
           "id 'c1', so that everyone — and release — can tell who holds the lock")
    expect(kv.lease == lease, f"after {call}, {_describe(kv)}: the lock key must be attached "
           f"to your lease {lease} (put it with lease=lease_id); without it, a holder that "
           "crashes or pauses keeps the lock forever")
    expect(token == kv.create_revision,
           f"{call} returned token {token}, but the lock key's revision (create_revision) is "
           f"{kv.create_revision}: the fencing token is the revision of your put — the "
           "transaction's result.revision")


def check_mutual_exclusion(module: ModuleType) -> None:
    """A held lock: a second client's acquire returns None and leaves the key alone."""
    _, c1, c2 = _cluster()
    _, token1 = _acquire(module, c1, "c1", c1.lease_grant(10).id)
    before = _lock_key(c1)
    expect(token1 is not None and before is not None,
           f"c1 could not take the free lock (token {token1!r}, {_describe(before)})")
    call, token2 = _acquire(module, c2, "c2", c2.lease_grant(10).id)
    after = _lock_key(c2)
    expect(token2 is None and after == before,
           f"c1 holds the lock (token {token1}); then {call} for c2 returned {token2!r} and "
           f"now {_describe(after)}: two clients believe they hold the lock. Take it only if "
           "the key is absent — compare create_revision == 0 in the transaction, and put "
           "only on success")


def check_token_is_revision(module: ModuleType) -> None:
    """Tokens grow with every new holder: each is the lock key's revision."""
    _, c1, c2 = _cluster()
    lease1 = c1.lease_grant(10).id
    _, token1 = _acquire(module, c1, "c1", lease1)
    c1.lease_revoke(lease1)  # c1's lease ends: etcd deletes the lock key
    kv = _lock_key(c1)
    expect(kv is None, f"c1 took the lock (token {token1!r}) and then its lease {lease1} ended, "
           f"yet {_describe(kv)}: attach the lock key to the lease (put with lease=lease_id) "
           "so that it goes when the lease goes")
    c1.put("/other", "unrelated write")  # the revision moves on
    call, token2 = _acquire(module, c2, "c2", c2.lease_grant(10).id)
    kv = _lock_key(c2)
    expect(token1 is not None and token2 is not None,
           f"the lock was free each time, yet acquire returned {token1!r} for c1 and "
           f"{token2!r} for c2")
    expect(token2 > token1,
           f"c1 took the lock with token {token1}; its lease ended and etcd deleted the key; "
           f"then {call} gave c2 token {token2}. Tokens must grow with every new holder, "
           "or the storage cannot tell the old holder from the new one: use the revision "
           "etcd gives your put (result.revision), not the key's version or a counter of "
           "your own")
    expect(kv is not None and token2 == kv.create_revision,
           f"c2's token is {token2} but {_describe(kv)}: the token must be the lock key's "
           "revision")


# -- 2. the lease ------------------------------------------------------------------------------


def check_lease_frees_lock(module: ModuleType) -> None:
    """A holder that stops (crash, pause): its lease expires and the lock frees itself."""
    _, c1, c2 = _cluster()
    _, token1 = _acquire(module, c1, "c1", c1.lease_grant(2).id)
    waited, lease2 = 0.0, c2.lease_grant(30).id
    token2 = None
    while token2 is None and waited < 6:
        c2.sleep(0.5)
        waited += 0.5
        _, token2 = _acquire(module, c2, "c2", lease2)
    expect(token2 is not None,
           f"c1 took the lock (token {token1}) on a 2 s lease and then stopped — no "
           f"keep-alives, as a crashed or paused client. {waited:g} s later c2 still cannot "
           f"take it: {_describe(_lock_key(c2))}. Attach the lock key to the lease (put with "
           "lease=lease_id) so that etcd deletes it when the lease expires")


def check_keep_alive(module: ModuleType) -> None:
    """keep_alive renews the lease (the lock outlives its TTL); False once the lease is gone."""
    _, c1, c2 = _cluster()
    lease1 = c1.lease_grant(2).id
    _, token1 = _acquire(module, c1, "c1", lease1)
    lease2 = c2.lease_grant(30).id
    for step in range(12):  # 6 s, three times the TTL, renewing every 0.5 s
        c1.sleep(0.5)
        alive = module.keep_alive(c1, lease1)
        expect(alive is True, f"c1 holds the lock (token {token1}, 2 s lease) and renews "
               f"every 0.5 s; at t={0.5 * (step + 1):g} s keep_alive(client, {lease1}) "
               f"returned {alive!r}; it must return True while the lease lives")
        expect(module.acquire(c2, KEY, "c2", lease2) is None,
               f"c1 keeps its lease alive, yet at t={0.5 * (step + 1):g} s c2 took the lock")
    c1.sleep(4)  # c1 stops renewing: the lease expires
    try:
        alive = module.keep_alive(c1, lease1)
    except LeaseNotFound:
        fail(f"c1 stopped renewing; 4 s later its 2 s lease {lease1} has expired and "
             f"keep_alive(client, {lease1}) raised LeaseNotFound: catch it and return False "
             "— the caller must learn that the lock is lost")
    expect(alive is False, f"c1 stopped renewing; 4 s later its 2 s lease has expired, yet "
           f"keep_alive(client, {lease1}) returned {alive!r}; it must return False")


# -- 3. release ------------------------------------------------------------------------------


def check_release_only_own(module: ModuleType) -> None:
    """release deletes only your own lock: not another's, not after yours expired."""
    _, c1, c2 = _cluster()
    lease1 = c1.lease_grant(10).id
    _, token1 = _acquire(module, c1, "c1", lease1)
    call = f"release(client, {KEY!r}, 'c2', token={token1})"
    done = module.release(c2, KEY, "c2", token1)
    kv = _lock_key(c1)
    expect(done is False and kv is not None and kv.value == "c1",
           f"c1 holds the lock (token {token1}); c2 called {call} — even with c1's token — "
           f"and it returned {done!r}; now {_describe(kv)}. Release must delete only your own "
           "lock: a transaction comparing the key's value with your id (and its "
           "create_revision with your token)")
    done = module.release(c1, KEY, "c1", token1)
    kv = _lock_key(c1)
    expect(done is True and kv is None, f"c1 released its own lock (token {token1}): "
           f"release returned {done!r} and {_describe(kv)}; it must delete the key and "
           "return True")
    lease3 = c1.lease_grant(10).id
    _, token3 = _acquire(module, c1, "c1", lease3)
    c1.lease_revoke(lease3)  # c1's lease ends (as if it expired)
    if _lock_key(c1) is not None:
        c1.delete(KEY)  # (lease_frees_lock reports a key that outlives its lease)
    _, token4 = _acquire(module, c2, "c2", c2.lease_grant(10).id)
    done = module.release(c1, KEY, "c1", token3)
    kv = _lock_key(c2)
    expect(done is False and kv is not None and kv.value == "c2",
           f"c1 held the lock with token {token3}, its lease expired, c2 took the lock "
           f"(token {token4}); then c1 called release(client, {KEY!r}, 'c1', token={token3}) "
           f"and it returned {done!r}; now {_describe(kv)}: c1 must not release c2's lock")


# -- 4. the storage service ------------------------------------------------------------------


_WRITES = (
    (0, 5, True, "the first write the storage ever sees"),
    (5, 5, True, "the holder of token 5 writing a second time"),
    (5, 7, True, "a newer holder (token 7) writing after token 5"),
    (7, 5, False, "token 5 after token 7 was accepted: a stale holder woke up"),
    (120, 119, False, "token 119 after token 120: stale by one"),
)


def check_stale_token(module: ModuleType) -> None:
    """The storage rejects a token below the highest it accepted, and accepts the rest."""
    for highest, token, want, story in _WRITES:
        got = module.accept_write(highest, token)
        expect(got is want, f"accept_write(highest_token={highest}, token={token}) returned "
               f"{got!r}, expected {want} — {story}"
               + (": that write must be rejected, or it silently overwrites the newer "
                  "holder's data" if not want else ""))


# -- 5. the story ----------------------------------------------------------------------------


def replay(pause: float = 5.0, answers: str = "exercises", fencing: bool = True) -> Any:
    """The pause story with your four functions on the embedded cluster (a Story)."""
    from consensus_lab.etcd.story import embedded_story
    from consensus_lab.grading.paxos_common import load_learner

    return embedded_story(rules=load_learner(EXERCISE, answers), pause=pause, fencing=fencing,
                          seed=SEED)


def _expect_story(story: Any, want: str, where: str, replay_call: str = "") -> None:
    c2_release = next((m for m in story.moments if m.actor == "c2" and m.kind == "release"),
                      None)
    if story.outcome != want:
        fail(f"{where}: {story.verdict()}", kind=INVARIANT, trace=str(story),
             replay=replay_call)
    if c2_release is not None and not c2_release.ok:
        fail(f"{where}: at the end c2 could not release its own lock — {c2_release.text}",
             kind=INVARIANT, trace=str(story), replay=replay_call)


def check_pause_story(module: ModuleType) -> None:
    """The pause story (embedded): c1's write after its pause is rejected."""
    from consensus_lab.etcd.story import embedded_story

    long = embedded_story(rules=module, ttl=2, pause=5.0, seed=SEED)
    _expect_story(long, "rejected", "c1 took the lock on a 2 s lease, wrote, then paused "
                  "for 5 s", _REPLAY.format(pause=5.0))
    short = embedded_story(rules=module, ttl=2, pause=1.0, seed=SEED)
    _expect_story(short, "no conflict", "c1 paused for 1 s only, within its 2 s lease",
                  _REPLAY.format(pause=1.0))
    late = short.late_write
    expect(late is not None and late.ok,
           f"c1 paused for 1 s only, within its 2 s lease, so it still held the lock; its "
           f"write after the pause must be accepted, but: {late}", trace=str(short))


def check_real_etcd(module: ModuleType) -> None:
    """The same code on a real 3-member etcd, c1 in its own process frozen by SIGSTOP."""
    from consensus_lab.etcd import local_cluster
    from consensus_lab.etcd.local import etcd_available
    from consensus_lab.etcd.story import sigstop_story

    module.accept_write(1, 1)  # a stub fails here as "not implemented", etcd or not
    _, c1, _ = _cluster()
    _acquire(module, c1, "c1", c1.lease_grant(10).id)
    if not etcd_available():
        raise CheckSkipped(f"no etcd server on this machine, so the real-cluster check did "
                           f"not run: {EtcdNotInstalled.HOW_TO}")
    try:
        import etcd3  # noqa: F401 - python3-etcd3, the real backend's client
    except ImportError:
        raise CheckSkipped("the python3-etcd3 package is missing: run "
                           "`.venv/bin/pip install -e '.[dev]'`") from None
    with local_cluster(3, heartbeat_ms=50, election_ms=500) as cluster:
        client = cluster.client(timeout=3.0)
        try:
            call, token1 = _acquire(module, client, "c1", client.lease_grant(10).id)
            kv = _lock_key(client)
            expect(token1 is not None and kv is not None and kv.value == "c1"
                   and token1 == kv.create_revision,
                   f"on real etcd, {call} returned {token1!r} and {_describe(kv)}")
            expect(module.release(client, KEY, "c1", token1) is True and
                   _lock_key(client) is None, "on real etcd, c1 could not release its lock")
        finally:
            client.close()
        story = sigstop_story(cluster, rules=module.__file__, ttl=1, pause=3.0, key=KEY)
        _expect_story(story, "rejected", "on real etcd, c1 (a process of its own) took the "
                      "lock on a 1 s lease, wrote, then was frozen by SIGSTOP for 3 s")


_ACQUIRE = ("one transaction: if create_revision(key) == 0 then put key = client_id with "
            "lease=lease_id; the token is the transaction's revision; None if it failed")
_RELEASE = ("a transaction: if value(key) == client_id and create_revision(key) == token "
            "then delete key; return whether it succeeded")
_STALE = "accept a token >= the highest accepted so far; reject a lower one"
_ALL = "the four rules together: a lease-bound acquire, the revision as token, the stale check"

CHECKS: tuple[Check, ...] = (
    Check(name="acquire_free", prop="a free lock is taken: value = your id, on your lease, "
          "token = its revision", hint=_ACQUIRE, fn=check_acquire_free),
    Check(name="mutual_exclusion", prop="a held lock is refused and left alone",
          hint=_ACQUIRE, fn=check_mutual_exclusion),
    Check(name="token_is_revision", prop="tokens are revisions: a new holder's is larger",
          hint=_ACQUIRE, fn=check_token_is_revision),
    Check(name="lease_frees_lock", prop="a stopped holder's lease expires and frees the lock",
          hint="put the lock key with lease=lease_id", fn=check_lease_frees_lock),
    Check(name="keep_alive", prop="keep_alive holds the lock past its TTL; False once lost",
          hint="call client.lease_keep_alive(lease_id); LeaseNotFound means False",
          fn=check_keep_alive),
    Check(name="release_only_own", prop="release deletes only your own lock", hint=_RELEASE,
          fn=check_release_only_own),
    Check(name="stale_token", prop="the storage rejects a stale token, accepts the rest",
          hint=_STALE, fn=check_stale_token),
    Check(name="pause_story", prop="the pause story (embedded): the woken holder's write is "
          "rejected", hint=_ALL, fn=check_pause_story),
    Check(name="real_etcd", prop="the same code on a real etcd cluster, the holder frozen by "
          "SIGSTOP", hint=_ALL, fn=check_real_etcd, timeout_s=40.0),
)
