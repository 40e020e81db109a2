"""Buggy: the lock key is put without the lease, so a stopped holder keeps it forever."""

from __future__ import annotations

from consensus_lab.etcd import Compare, Delete, EtcdClient, LeaseNotFound, Put


def acquire(client: EtcdClient, key: str, client_id: str, lease_id: int) -> int | None:
    """Take the lock if the key is absent, bound to our lease; the token is the put's revision."""
    free = Compare(key=key, target="create", result="==", operand=0)
    take = Put(key=key, value=client_id)
    result = client.txn([free], [take], [])
    return result.revision if result.succeeded else None


def release(client: EtcdClient, key: str, client_id: str, token: int) -> bool:
    """Delete the key only if it is still ours: our id, our token."""
    ours = [Compare(key=key, target="value", result="==", operand=client_id),
            Compare(key=key, target="create", result="==", operand=token)]
    return client.txn(ours, [Delete(key=key)], []).succeeded


def keep_alive(client: EtcdClient, lease_id: int) -> bool:
    """Renew the lease; False once it has expired."""
    try:
        client.lease_keep_alive(lease_id)
    except LeaseNotFound:
        return False
    return True


def accept_write(highest_token: int, token: int) -> bool:
    """Only a token lower than the highest accepted one is stale."""
    return token >= highest_token
