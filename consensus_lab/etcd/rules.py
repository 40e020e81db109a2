"""The four rules of a fencing-token lock, as plain functions over an :class:`EtcdClient`.

These are the library's own answers to the ``fencing_lock`` exercise (the
learner writes the same four functions in ``exercises/fencing_lock.py``);
:mod:`.story` plays Kleppmann's pause story with any module that has them.

* :func:`acquire` — one attempt: a transaction "if the key does not exist
  (``create_revision == 0``), put it with value = my id, attached to my
  lease". The fencing token is the revision of that put (the key's
  ``create_revision``): revisions only grow, so every later holder gets a
  larger token (etcd API: "the revision is a global logical clock").
* :func:`release` — delete the key only if it is still ours: value = my id
  and ``create_revision`` = my token, in one transaction.
* :func:`keep_alive` — renew the lease; False once it is gone (the lock is lost).
* :func:`accept_write` — the storage service's check (Kleppmann 2016): accept a
  token no lower than the highest one already accepted.
"""

from __future__ import annotations

from .api import EtcdClient
from .errors import LeaseNotFound
from .ops import Compare, Delete, Put


def acquire(client: EtcdClient, key: str, client_id: str, lease_id: int) -> int | None:
    """Take the lock ``key`` if it is free; the fencing token, or None if someone holds it."""
    free = Compare(key=key, target="create", result="==", operand=0)
    take = Put(key=key, value=client_id, lease=lease_id)
    result = client.txn([free], [take], [])
    return result.revision if result.succeeded else None


def release(client: EtcdClient, key: str, client_id: str, token: int) -> bool:
    """Delete the lock key if it is still ours; True if we deleted it."""
    ours = [Compare(key=key, target="value", result="==", operand=client_id),
            Compare(key=key, target="create", result="==", operand=token)]
    return client.txn(ours, [Delete(key=key)], []).succeeded


def keep_alive(client: EtcdClient, lease_id: int) -> bool:
    """Renew the lease; False if it already expired (then the lock is no longer ours)."""
    try:
        client.lease_keep_alive(lease_id)
    except LeaseNotFound:
        return False
    return True


def accept_write(highest_token: int, token: int) -> bool:
    """May a write carrying ``token`` go through, after ``highest_token`` was accepted?"""
    return token >= highest_token
