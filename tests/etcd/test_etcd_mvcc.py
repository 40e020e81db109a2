"""The MVCC state machine rule by rule (etcd v3 API and data model docs).

References: https://etcd.io/docs/v3.4/learning/api/ ("Revisions",
"Key-Value pair", "Transaction") and
https://etcd.io/docs/v3.4/learning/data_model/.
"""

from __future__ import annotations

from consensus_lab.etcd.mvcc import Command, Failure, MVCCStore
from consensus_lab.etcd.ops import (
    Compare,
    Delete,
    Get,
    LeaseGrantRequest,
    LeaseRevokeRequest,
    Put,
    Txn,
)


def run(store: MVCCStore, op: object, client: str = "c1") -> object:
    """Apply ``op`` as the client's next command."""
    seq = store.sessions.get(client, (0, None))[0] + 1
    return store.apply(Command(client=client, seq=seq, op=op))


def test_new_store_is_at_revision_one() -> None:
    """A new cluster's store revision is 1 (the first write makes it 2)."""
    store = MVCCStore()
    assert store.revision == 1
    assert run(store, Put(key="a", value="1")).revision == 2


def test_version_counts_puts_and_create_revision_stays() -> None:
    """'Version is the version of the key. A deletion resets the version to zero and any
    modification of the key increases its version.'"""
    store = MVCCStore()
    for value in "xyz":
        run(store, Put(key="k", value=value))
    kv = store.keys["k"]
    assert (kv.create_revision, kv.mod_revision, kv.version) == (2, 4, 3)


def test_delete_then_recreate() -> None:
    """After a delete the key comes back with version 1 and a new create_revision."""
    store = MVCCStore()
    run(store, Put(key="k", value="1"))
    run(store, Delete(key="k"))
    run(store, Put(key="k", value="2"))
    kv = store.keys["k"]
    assert (kv.create_revision, kv.mod_revision, kv.version, store.revision) == (4, 4, 1, 4)


def test_requests_that_change_nothing_keep_the_revision() -> None:
    """Reads, deleting an absent key, a read-only txn and a lease grant: no new revision."""
    store = MVCCStore()
    run(store, Put(key="k", value="1"))
    for op in (Get(key="k"), Delete(key="absent"), Txn(success=(Get(key="k"),)),
               LeaseGrantRequest(ttl=5), Txn(compare=(Compare(key="k", target="value",
                                                              result="==", operand="0"),))):
        run(store, op)
    assert store.revision == 2


def test_txn_is_one_revision_and_atomic() -> None:
    """A transaction's writes share one revision; a refused one writes nothing."""
    store = MVCCStore()
    result = run(store, Txn(success=(Put(key="a", value="1"), Put(key="b", value="2"),
                                     Delete(key="absent"))))
    assert result.revision == 2 and store.keys["b"].mod_revision == 2
    refused = run(store, Txn(success=(Put(key="c", value="3"), Put(key="d", value="4", lease=9))))
    assert refused == Failure(kind="lease_not_found", lease_id=9)
    assert "c" not in store.keys and store.revision == 2


def test_txn_reads_see_earlier_writes_of_the_same_txn() -> None:
    """Ops run in order inside one write transaction (etcd's txn write view)."""
    store = MVCCStore()
    result = run(store, Txn(success=(Put(key="a", value="1"), Get(key="a"))))
    assert result.responses[1].kvs[0].value == "1"


def test_compare_on_absent_key() -> None:
    """Absent key: version/create/mod/lease compare as 0; any value compare is false."""
    store = MVCCStore()

    def holds(target: str, result: str, operand: object) -> bool:
        return store.compare(Compare(key="none", target=target, result=result, operand=operand))

    assert holds("version", "==", 0) and holds("create", "==", 0) and holds("mod", "<", 1)
    assert holds("lease", "==", 0)
    assert not holds("value", "==", "") and not holds("value", "!=", "x")


def test_lease_attach_detach_and_revoke() -> None:
    """A put without the lease detaches the key; revoke deletes only attached keys, once."""
    store = MVCCStore()
    lease = run(store, LeaseGrantRequest(ttl=10))
    run(store, Put(key="a", value="1", lease=lease.id))
    run(store, Put(key="b", value="1", lease=lease.id))
    run(store, Put(key="b", value="2"))  # detached now
    assert store.leases[lease.id].keys == ("a",)
    revision = run(store, LeaseRevokeRequest(id=lease.id))
    assert revision == 5 and sorted(store.keys) == ["b"]
    assert [e.type for e in store.events_from(5)] == ["delete"]
    assert run(store, LeaseRevokeRequest(id=lease.id)) == Failure(kind="lease_not_found",
                                                                  lease_id=lease.id)


def test_duplicate_command_applies_once() -> None:
    """Client sessions (Raft §8): the same (client, seq) delivered twice applies once."""
    store = MVCCStore()
    command = Command(client="c1", seq=1, op=Put(key="k", value="1"))
    first = store.apply(command)
    again = store.apply(command)
    assert first == again and store.keys["k"].version == 1 and store.revision == 2


def test_events_and_snapshot_round_trip() -> None:
    """events_from(rev) is the watch backlog; a snapshot restores an equal store."""
    store = MVCCStore()
    run(store, Put(key="a", value="1"))
    run(store, Txn(success=(Put(key="b", value="2"), Delete(key="a"))))
    assert [(e.type, e.key, e.revision) for e in store.events_from(3)] == [
        ("put", "b", 3), ("delete", "a", 3)]
    copy = MVCCStore.restore(store.snapshot())
    assert copy.snapshot() == store.snapshot()
    assert copy.range("b").kvs == store.range("b").kvs
