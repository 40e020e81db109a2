"""The notebook tours (same answers on both backends), the story timeline and the pause slider."""

from __future__ import annotations

import pytest

from consensus_lab.etcd import EtcdClient
from consensus_lab.etcd.story import embedded_story
from consensus_lab.etcd.tour import kv_tour, lease_tour, stale_read_tour, watch_tour
from tests.etcd.patience import DEADLINE_S


def test_kv_tour_revisions(etcd_client: EtcdClient, prefix: str) -> None:
    """Each write bumps the revision by one; a failed compare changes nothing."""
    rows = kv_tour(etcd_client, prefix)
    revisions = [r["revision"] for r in rows]
    assert [b - a for a, b in zip(revisions, revisions[1:], strict=False)] == \
        [0, 1, 0, 0, 1, 1, 0]
    assert rows[3]["answer"].endswith(f"create={revisions[0]} mod={revisions[2]} v2")
    assert rows[4]["answer"] == "failed: compare false" and rows[5]["answer"] == "succeeded"
    assert rows[-1]["answer"] == "(absent)"


def test_lease_and_watch_tours(etcd_client: EtcdClient, prefix: str) -> None:
    """A 2 s lease without keep-alive takes its key with it; a watch reports put, put,
    delete in revision order. How long it took is exact in simulated time; on real etcd
    it depends on the machine's load, so there it only has to happen (in DEADLINE_S)."""
    lease = lease_tour(etcd_client, ttl=2, prefix=prefix, limit=DEADLINE_S)
    gone_after = lease["key gone after (s)"]
    assert gone_after is not None, lease
    if etcd_client.backend == "embedded":
        assert 1.5 <= gone_after <= 6, lease
    events = watch_tour(etcd_client, prefix + "w/")
    assert [e.split()[0] for e in events] == ["PUT", "PUT", "DELETE"]


def test_stale_read_tour() -> None:
    """The cut-off member: serializable read stale, linearizable read and write fail."""
    rows = stale_read_tour()
    assert [r["answer"] for r in rows[:2]] == ["'new'", "'old'"]
    assert rows[2]["answer"].startswith(("OutcomeUnknown", "Unavailable"))
    assert rows[3]["answer"].startswith(("OutcomeUnknown", "Unavailable"))


def test_story_svg_marks_each_write() -> None:
    """The timeline labels the rejected write, or the corrupting one without fencing."""
    from consensus_lab.viz.lock import story_svg

    fenced, unfenced = (story_svg(embedded_story(fencing=f)) for f in (True, False))
    assert "c1 t2: REJECTED" in fenced and "CORRUPTS" not in fenced
    assert "c1 t2: accepted: CORRUPTS" in unfenced
    assert "GC pause 5 s" in fenced and fenced == story_svg(embedded_story(fencing=True))


def test_pause_slider_replays_the_story() -> None:
    """Moving the pause below the lease removes the conflict; fencing off corrupts."""
    pytest.importorskip("ipywidgets")
    from consensus_lab.widgets.lock import lock_story_explorer

    box = lock_story_explorer(ttl=2, pause=5.0)
    controls, verdict, timeline = box.children
    ttl, pause, fencing = controls.children
    assert "safe: c1 woke after 5 s" in verdict.value and "<svg" in timeline.value
    pause.value = 1.0
    assert "no conflict" in verdict.value
    pause.value = 6.0
    fencing.value = False
    assert "CORRUPTED" in verdict.value and "CORRUPTS" in timeline.value
    ttl.value = 8
    assert "no conflict" in verdict.value
