"""Exercise: a distributed lock with a fencing token (練習 2: 分散式鎖與 fencing token).

DDIA ch. 8-9 (and Martin Kleppmann, "How to do distributed locking", 2016):
a lock with a lease frees itself when its holder dies — but a holder that is
only *paused* (a long GC pause, a swapped-out process) wakes up still
believing it holds the lock, and writes. The cure is on the storage side:
every grant carries a **fencing token** that grows with each new holder, and
the storage service rejects a write whose token is lower than one it has
already accepted.

With etcd (DDIA's example of a linearizable, consensus-backed store), write
four functions. ``client`` is any :class:`consensus_lab.etcd.EtcdClient` —
the same code runs on the embedded cluster (the lab's Raft) and on a real
etcd.

1. ``acquire(client, key, client_id, lease_id)`` — **one** attempt, as one
   transaction: if the key does not exist (``create_revision == 0``), put it
   with value = ``client_id``, attached to the lease ``lease_id`` (granted by
   the caller with ``client.lease_grant(ttl)``). Return the fencing token —
   the revision of that put (``result.revision`` of the transaction) — or
   None when someone else holds the lock.
2. ``release(client, key, client_id, token)`` — delete the key only if it is
   still yours: value == ``client_id`` and ``create_revision == token``, in
   one transaction. Return whether it deleted it.
3. ``keep_alive(client, lease_id)`` — renew the lease with
   ``client.lease_keep_alive``; return True, or False when it raises
   ``LeaseNotFound`` (the lease expired: the lock is lost).
4. ``accept_write(highest_token, token)`` — the storage service's check: may
   a write with ``token`` go through, when the highest token it accepted so
   far is ``highest_token`` (0 before any write)? The same holder may write
   many times.

The building blocks (from ``consensus_lab.etcd``)::

    Compare(key=k, target="create", result="==", operand=0)   # k is absent
    Compare(key=k, target="value", result="==", operand="c1")
    Put(key=k, value="c1", lease=lease_id)      Delete(key=k)
    result = client.txn([compares...], [ops if all hold], [ops otherwise])
    result.succeeded, result.revision

What to do: replace each ``raise NotImplementedError`` by your code (TODO).

Check your work with ``consensus-lab check fencing_lock`` (or
``check("fencing_lock")`` in notebook 13). The checks run your functions on
an embedded etcd cluster and look at the lock key etcd holds afterwards,
play the pause story with your code (c1 pauses past its lease, c2 takes the
lock, c1 wakes and writes: that write must be rejected), and — when the
``etcd`` server is installed — run the same story on a real 3-member etcd
with c1 in a process of its own frozen by SIGSTOP.
"""

from __future__ import annotations

from consensus_lab.etcd import Compare, Delete, EtcdClient, LeaseNotFound, Put

__all__ = ["Compare", "Delete", "LeaseNotFound", "Put", "acquire", "accept_write",
           "keep_alive", "release"]


def acquire(client: EtcdClient, key: str, client_id: str, lease_id: int) -> int | None:
    """One attempt to take the lock ``key``: the fencing token, or None if it is held."""
    # TODO: one txn — if create_revision(key) == 0, put key=client_id with lease=lease_id.
    raise NotImplementedError


def release(client: EtcdClient, key: str, client_id: str, token: int) -> bool:
    """Delete the lock key if it is still ours; True if we deleted it."""
    # TODO: one txn — delete only if the value is client_id and create_revision is token.
    raise NotImplementedError


def keep_alive(client: EtcdClient, lease_id: int) -> bool:
    """Renew the lease; False once it has expired."""
    # TODO: client.lease_keep_alive(lease_id); LeaseNotFound means the lock is lost.
    raise NotImplementedError


def accept_write(highest_token: int, token: int) -> bool:
    """The storage service: may a write with ``token`` go through?"""
    # TODO: compare token with the highest token accepted so far.
    raise NotImplementedError
