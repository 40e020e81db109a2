"""One behaviour suite, run on both backends (embedded Raft and real etcd).

Each test states an etcd API rule (https://etcd.io/docs/v3.4/learning/api/)
and checks it through :class:`EtcdClient` only, so the same learner code
behaves the same on both. Revisions are compared relative to each other:
the real cluster is shared by the whole session.
"""

from __future__ import annotations

import pytest

from consensus_lab.etcd import (
    Compare,
    Delete,
    EtcdClient,
    Get,
    InvalidRequest,
    LeaseNotFound,
    Put,
)
from tests.etcd.patience import DEADLINE_S


def wait_until_gone(client: EtcdClient, key: str, since: float, within: float) -> float:
    """Poll ``key`` every 0.25 s; backend seconds from ``since`` until it vanished, or raise.

    Backend time (``client.now()``: simulated, or the real monotonic clock), not a count
    of polls: on a loaded machine each poll itself takes a while.
    """
    while client.get(key).count:
        if client.now() - since > within:
            raise AssertionError(f"{key} still present {within} s after its lease was granted")
        client.sleep(0.25)
    return client.now() - since


def test_put_bumps_revision_and_version(etcd_client: EtcdClient, prefix: str) -> None:
    """Revision +1 per put; create_revision fixed, mod_revision moves, version counts puts."""
    key = prefix + "k"
    first = etcd_client.put(key, "a")
    second = etcd_client.put(key, "b", prev_kv=True)
    assert second.revision == first.revision + 1
    assert second.prev_kv is not None and second.prev_kv.value == "a"
    (kv,) = etcd_client.get(key).kvs
    assert (kv.value, kv.create_revision, kv.mod_revision, kv.version) == (
        "b", first.revision, second.revision, 2)


def test_delete_resets_version_and_absent_delete_keeps_revision(
        etcd_client: EtcdClient, prefix: str) -> None:
    """Deleting nothing leaves the revision; re-creating starts at version 1 again."""
    key = prefix + "k"
    put = etcd_client.put(key, "a")
    nothing = etcd_client.delete(prefix + "absent")
    assert (nothing.deleted, nothing.revision) == (0, put.revision)
    gone = etcd_client.delete(key, prev_kv=True)
    assert (gone.deleted, gone.revision) == (1, put.revision + 1)
    assert [kv.value for kv in gone.prev_kvs] == ["a"]
    assert etcd_client.get(key).count == 0
    again = etcd_client.put(key, "c")
    (kv,) = etcd_client.get(key).kvs
    assert (kv.version, kv.create_revision) == (1, again.revision)


def test_prefix_range_and_delete(etcd_client: EtcdClient, prefix: str) -> None:
    """A prefix range is sorted by key; a prefix delete is one revision."""
    for name in ("b", "a", "c"):
        etcd_client.put(prefix + "dir/" + name, name.upper())
    etcd_client.put(prefix + "other", "x")
    found = etcd_client.get_prefix(prefix + "dir/")
    assert [(kv.key, kv.value) for kv in found.kvs] == [
        (prefix + "dir/a", "A"), (prefix + "dir/b", "B"), (prefix + "dir/c", "C")]
    deleted = etcd_client.delete(prefix + "dir/", prefix=True)
    assert (deleted.deleted, deleted.revision) == (3, found.revision + 1)
    assert etcd_client.get_value(prefix + "other") == "x"


def test_txn_create_if_absent(etcd_client: EtcdClient, prefix: str) -> None:
    """create_revision == 0 means absent: the first txn wins, the second runs failure ops."""
    key = prefix + "lock"
    absent = [Compare(key=key, target="create", result="==", operand=0)]
    won = etcd_client.txn(absent, [Put(key=key, value="c1")], [Get(key=key)])
    lost = etcd_client.txn(absent, [Put(key=key, value="c2")], [Get(key=key)])
    assert won.succeeded and not lost.succeeded
    assert lost.revision == won.revision  # the failure branch only read
    assert lost.responses[0].kvs[0].value == "c1"


def test_txn_writes_share_one_revision(etcd_client: EtcdClient, prefix: str) -> None:
    """A transaction bumps the revision once, whatever it writes."""
    before = etcd_client.put(prefix + "a", "0")
    writes = [Put(key=prefix + "a", value="1"), Put(key=prefix + "b", value="2"),
              Delete(key=prefix + "none")]
    result = etcd_client.txn([], writes)
    assert result.succeeded and result.revision == before.revision + 1
    mods = {kv.key: kv.mod_revision for kv in etcd_client.get_prefix(prefix).kvs}
    assert mods == {prefix + "a": result.revision, prefix + "b": result.revision}


def test_txn_compares(etcd_client: EtcdClient, prefix: str) -> None:
    """Compare on value, version and mod revision; a value compare on an absent key fails."""
    key = prefix + "k"
    put = etcd_client.put(key, "v")
    absent = prefix + "absent"

    def holds(guard: Compare) -> bool:
        return etcd_client.txn([guard]).succeeded

    assert holds(Compare(key=key, target="value", result="==", operand="v"))
    assert holds(Compare(key=key, target="value", result=">", operand="a"))
    assert holds(Compare(key=key, target="version", result="==", operand=1))
    assert holds(Compare(key=key, target="mod", result="==", operand=put.revision))
    assert not holds(Compare(key=key, target="mod", result="<", operand=put.revision))
    assert not holds(Compare(key=absent, target="value", result="==", operand=""))
    assert not holds(Compare(key=absent, target="value", result="!=", operand="x"))
    assert holds(Compare(key=absent, target="version", result="==", operand=0))


def test_lease_revoke_deletes_attached_keys(etcd_client: EtcdClient, prefix: str) -> None:
    """Revoking a lease deletes its keys in one revision; a second revoke: not found."""
    lease = etcd_client.lease_grant(30)
    etcd_client.put(prefix + "a", "1", lease=lease.id)
    last = etcd_client.put(prefix + "b", "2", lease=lease.id)
    etcd_client.put(prefix + "free", "3")
    assert etcd_client.get(prefix + "a").kvs[0].lease == lease.id
    assert etcd_client.lease_keep_alive(lease.id) == lease.ttl
    etcd_client.lease_revoke(lease.id)
    left = etcd_client.get_prefix(prefix)
    assert [kv.key for kv in left.kvs] == [prefix + "free"]
    assert left.revision == last.revision + 2  # the free put, then one revoke
    with pytest.raises(LeaseNotFound):
        etcd_client.lease_revoke(lease.id)
    with pytest.raises(LeaseNotFound):
        etcd_client.lease_keep_alive(lease.id)


def test_put_with_unknown_lease_changes_nothing(etcd_client: EtcdClient, prefix: str) -> None:
    """A put naming a lease that does not exist is refused, whole."""
    lease = etcd_client.lease_grant(30)
    etcd_client.lease_revoke(lease.id)
    with pytest.raises(LeaseNotFound, match=str(lease.id)):
        etcd_client.txn([], [Put(key=prefix + "a", value="1"),
                             Put(key=prefix + "b", value="2", lease=lease.id)])
    assert etcd_client.get_prefix(prefix).count == 0


def test_lease_expires_without_keep_alive(etcd_client: EtcdClient, prefix: str) -> None:
    """Keys attached to a lease vanish once its TTL passes with no keep-alive (and not before)."""
    granted = etcd_client.now()  # before the grant: the lease cannot expire sooner than TTL after
    lease = etcd_client.lease_grant(2)
    etcd_client.put(prefix + "k", "v", lease=lease.id)
    waited = wait_until_gone(etcd_client, prefix + "k", since=granted, within=DEADLINE_S)
    assert waited >= 2.0  # not before the TTL
    with pytest.raises(LeaseNotFound):
        etcd_client.lease_keep_alive(lease.id)


def test_keep_alive_keeps_lease(etcd_client: EtcdClient, prefix: str) -> None:
    """Keep-alives every half second keep a 2 s lease (and its key) alive for 4 s.

    The rule needs each keep-alive to reach etcd within the TTL of the one before; on
    a loaded machine a call can stall longer than that, and then the lease may expire
    without any rule broken: the test skips, naming the gap.
    """
    lease = etcd_client.lease_grant(2)
    etcd_client.put(prefix + "k", "v", lease=lease.id)
    last = etcd_client.now()
    for _ in range(8):
        etcd_client.sleep(0.5)
        try:
            assert etcd_client.lease_keep_alive(lease.id) >= 2
        except LeaseNotFound:
            gap = etcd_client.now() - last
            if gap >= 1.5:  # a stall of most of the TTL: the machine, not etcd
                pytest.skip(f"a keep-alive took {gap:.1f} s to go through (a loaded machine?): "
                            "the 2 s lease could expire meanwhile")
            raise
        last = etcd_client.now()
    assert etcd_client.get_value(prefix + "k") == "v"
    etcd_client.lease_revoke(lease.id)


def test_watch_delivers_in_revision_order(etcd_client: EtcdClient, prefix: str) -> None:
    """Every change under the prefix arrives once, in revision order, with its revision."""
    with etcd_client.watch(prefix, prefix=True) as watch:
        revisions = [etcd_client.put(prefix + "a", "1").revision,
                     etcd_client.put(prefix + "b", "2").revision,
                     etcd_client.delete(prefix + "a").revision]
        txn = etcd_client.txn([], [Put(key=prefix + "c", value="3"),
                                   Put(key=prefix + "d", value="4")])
        events = watch.get(count=5, timeout=DEADLINE_S)  # returns once all 5 came
    assert [(e.type, e.key.removeprefix(prefix)) for e in events] == [
        ("put", "a"), ("put", "b"), ("delete", "a"), ("put", "c"), ("put", "d")]
    assert [e.revision for e in events] == [*revisions, txn.revision, txn.revision]
    assert watch.get(timeout=0.2) == []


def test_watch_from_past_revision_replays_history(etcd_client: EtcdClient, prefix: str) -> None:
    """A watch from an old revision first delivers what happened since then."""
    first = etcd_client.put(prefix + "k", "1")
    etcd_client.put(prefix + "k", "2")
    etcd_client.put(prefix + "other", "x")
    with etcd_client.watch(prefix + "k", start_revision=first.revision) as watch:
        events = watch.get(count=2, timeout=DEADLINE_S)
    assert [e.kv.value for e in events] == ["1", "2"]
    assert [e.kv.version for e in events] == [1, 2]


@pytest.mark.parametrize("call, bad", [
    (lambda c, p: c.put(p + "k", 5), "5"),
    (lambda c, p: c.put("", "v"), "''"),
    (lambda c, p: c.lease_grant(0), "0"),
    (lambda c, p: c.put(p + "k", "v", lease=-1), "-1"),
    (lambda c, p: c.txn([Compare(key=p + "k", target="size", result="==", operand=1)]),
     "'size'"),
    (lambda c, p: c.txn([Compare(key=p + "k", target="version", result="~", operand=1)]),
     "'~'"),
    (lambda c, p: c.txn([], [Put(key=p + "k", value="1"), Put(key=p + "k", value="2")]),
     "twice"),
    (lambda c, p: c.txn([], [Put(key=p + "k", value="1"), "delete it"]), "'delete it'"),
])
def test_bad_input_is_refused_before_sending(etcd_client: EtcdClient, prefix: str,
                                             call: object, bad: str) -> None:
    """Bad input: InvalidRequest naming the value, and nothing written."""
    with pytest.raises(InvalidRequest) as raised:
        call(etcd_client, prefix)  # type: ignore[operator]
    assert bad in str(raised.value)
    assert etcd_client.get_prefix(prefix).count == 0
