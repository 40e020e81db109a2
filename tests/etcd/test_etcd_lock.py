"""The fencing-token lock and storage service, on both backends (Kleppmann's story).

A holder "pauses" by simply not running (no keep-alives) while the other
client works: simulated time on the embedded backend, real time on etcd.
"""

from __future__ import annotations

import pytest

from consensus_lab.etcd import EtcdClient, InvalidRequest
from consensus_lab.etcd.lock import (
    FencedLock,
    FencedStorage,
    LockLost,
    LockNotAcquired,
    StaleToken,
    pause_story,
)
from tests.etcd.patience import DEADLINE_S

Pair = tuple[EtcdClient, EtcdClient]


def test_one_holder_at_a_time_and_release(etcd_pair: Pair, prefix: str) -> None:
    """A held lock refuses others; releasing frees it for the next, with a larger token."""
    one, two = (FencedLock(c, prefix + "lock", owner, ttl=10)
                for c, owner in zip(etcd_pair, ("c1", "c2"), strict=True))
    first = one.acquire()
    assert not two.try_acquire()
    with pytest.raises(LockNotAcquired, match="still held"):
        two.acquire(timeout=0.4, poll=0.2)
    assert one.release()
    second = two.acquire(timeout=DEADLINE_S)  # free now: returns at the first try
    assert second > first
    assert etcd_pair[0].get_value(prefix + "lock") == "c2"
    two.release()


def test_cannot_release_anothers_lock(etcd_pair: Pair, prefix: str) -> None:
    """release() deletes the key only if value and token are ours."""
    holder = FencedLock(etcd_pair[0], prefix + "lock", "c1", ttl=10)
    holder.acquire()
    impostor = FencedLock(etcd_pair[1], prefix + "lock", "c2", ttl=10)
    impostor.token = holder.token  # even with the right token: the value is not ours
    assert not impostor.release()
    assert etcd_pair[1].get_value(prefix + "lock") == "c1"
    holder.release()


@pytest.mark.parametrize("fencing", [True, False], ids=["fencing", "no-fencing"])
def test_paused_holder_is_fenced_off(etcd_pair: Pair, prefix: str, fencing: bool) -> None:
    """The story: c1 pauses past its lease, c2 takes the lock, c1 wakes and writes.

    With fencing the stale write is rejected; without, it silently overwrites c2's data.
    """
    c1, c2 = etcd_pair
    storage = FencedStorage(fencing=fencing)
    one = FencedLock(c1, prefix + "lock", "c1", ttl=2)
    two = FencedLock(c2, prefix + "lock", "c2", ttl=10)
    token1 = one.acquire()
    storage.write("file", "c1 v1", token1)
    # c1 pauses (a GC pause): it sends nothing while c2 waits for the lease to expire.
    token2 = two.acquire(timeout=DEADLINE_S, poll=0.25)  # until c1's 2 s lease is gone
    assert token2 > token1
    storage.write("file", "c2 v1", token2)
    # c1 wakes up, still believing it holds the lock, and writes.
    if fencing:
        with pytest.raises(StaleToken, match=f"token {token1} is stale"):
            storage.write("file", "c1 v2", token1)
        assert storage.data["file"] == "c2 v1"
    else:
        storage.write("file", "c1 v2", token1)
        assert storage.data["file"] == "c1 v2"  # corrupted: c2's write is lost
    with pytest.raises(LockLost):
        one.keep_alive()
    assert not one.release()
    assert c1.get_value(prefix + "lock") == "c2"
    two.release()


def test_storage_rejects_bad_tokens() -> None:
    """Tokens are positive ints; a stale one changes nothing."""
    storage = FencedStorage()
    storage.write("k", "a", 5)
    storage.write("k", "b", 5)  # the same holder again
    with pytest.raises(StaleToken):
        storage.write("k", "c", 4)
    with pytest.raises(InvalidRequest, match="'7'"):
        storage.write("k", "d", "7")  # type: ignore[arg-type]
    assert storage.data == {"k": "b"}
    assert [w.accepted for w in storage.log] == [True, True, False]


@pytest.mark.parametrize("fencing", [True, False], ids=["fencing", "no-fencing"])
def test_pause_story(etcd_pair: Pair, prefix: str, fencing: bool) -> None:
    """The library's story runner: same steps on both backends, fencing decides the end."""
    steps, storage = pause_story(*etcd_pair, fencing=fencing, key=prefix + "lock")
    assert [s.actor for s in steps] == ["c1", "c1", "c1", "c2", "c2", "c1", "c1"]
    assert steps[3].at >= 1.0  # c2 had to wait for c1's lease
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    expected = "written by c2" if fencing else "written by c1 after its pause"
    assert storage.data["file"] == expected
    assert steps[-1].outcome.startswith("rejected" if fencing else "accepted")
    assert etcd_pair[0].get_prefix(prefix).count == 0  # c2 released the lock
