"""Jepsen-style runs (consensus_lab.etcd.jepsen) and the CP table (consensus_lab.etcd.cp).

Embedded runs are deterministic, so their verdicts are asserted exactly.
Real-etcd runs are short (a few seconds each), skip when etcd is absent, and
always stop their cluster. Failover times are printed, never asserted: the
nemesis waits for the new leader (``patient_leader_waits``: up to
``DEADLINE_S``, however loaded the machine), and the assertions are about the
history (linearizable, nothing acknowledged lost, every key read at the end).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from consensus_lab.consistency import History
from consensus_lab.etcd import EtcdNotInstalled, InvalidRequest, OutcomeUnknown, Unavailable
from consensus_lab.etcd import jepsen as jepsen_module
from consensus_lab.etcd import local as local_module
from consensus_lab.etcd.cp import cp_behaviour, format_table
from consensus_lab.etcd.jepsen import (
    PARTITION_REFUSED,
    JepsenConfig,
    lost_writes,
    real_call,
)
from consensus_lab.etcd.local import etcd_available
from consensus_lab.etcd.simjepsen import run
from consensus_lab.viz import write_jepsen_timeline
from tests.etcd.patience import DEADLINE_S

CP_TIMEOUT_S = 2.0  # steps 3 and 4 wait it out


def wait_no_processes(text: str, within: float = DEADLINE_S) -> list[int]:
    """Poll until no process's command line mentions ``text``; the stragglers if any remain."""
    deadline = time.monotonic() + within
    while True:
        left = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/cmdline")
                if _mentions(p, text)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _mentions(cmdline: Path, text: str) -> bool:
    try:
        return text.encode() in cmdline.read_bytes()
    except OSError:
        return False

needs_etcd = pytest.mark.skipif(not etcd_available(),
                                reason=f"no etcd server here: {EtcdNotInstalled.HOW_TO}")


def short(**options: object) -> JepsenConfig:
    """A 3-simulated-second embedded run: one fault from t=1 s to t=2.5 s."""
    base: dict[str, object] = {"seconds": 3.0, "fault_every": 2.0, "fault_for": 1.5}
    return JepsenConfig(**{**base, **options})  # type: ignore[arg-type]


# ------------------------------------------------------------------ embedded runs


def test_embedded_runs_are_deterministic_per_seed() -> None:
    first, again = run(short(nemesis="kill", seed=4)), run(short(nemesis="kill", seed=4))
    other = run(short(nemesis="kill", seed=5))
    assert str(first.history) == str(again.history) and len(first.history) > 100
    strip = {"check_seconds"}
    assert ({k: v for k, v in first.as_dict().items() if k not in strip}
            == {k: v for k, v in again.as_dict().items() if k not in strip})
    assert str(other.history) != str(first.history)


@pytest.mark.parametrize("nemesis", ["none", "kill", "pause", "partition"])
def test_embedded_is_linearizable_under_each_nemesis(nemesis: str) -> None:
    result = run(short(nemesis=nemesis, seed=2))
    assert result.check.verdict == "ok", result.check.explanation
    assert result.lost == [] and result.acked_writes() > 50
    finals = [op for op in result.history if op.process == "final" and op.status == "ok"]
    assert {op.key for op in finals} == {"x", "y", "z"}  # Jepsen's final read of every key
    if nemesis == "none":
        assert result.faults == []
        return
    [fault] = result.faults
    assert fault.action == nemesis and fault.new_leader not in (None, fault.member)
    assert 0 < fault.failover < 1.5 and fault.healed_at == pytest.approx(2.5)
    print(f"\nembedded {nemesis}: failover {fault.failover:.3f} s, first acknowledged write "
          f"after {fault.first_write:.3f} s")


def test_timeouts_are_unknown_outcomes_never_failures() -> None:
    """Requests stuck at a killed leader time out: recorded as info, with no return time."""
    result = run(short(nemesis="kill", seed=2))
    unknown = [op for op in result.history if op.status == "info"]
    assert unknown and all(op.ret == math.inf for op in unknown)
    # Jepsen's rule: a process whose op is in doubt is replaced by a fresh one
    for op in unknown:
        later = [o for o in result.history if o.process == op.process and o.call > op.call]
        assert later == []


def test_serializable_reads_from_followers_are_caught() -> None:
    """The known-buggy configuration: register reads answered by any member's state."""
    result = run(short(reads="serializable", seed=0))
    assert result.check.verdict == "illegal" and result.linearizable is False
    assert result.check.culprit and any(op.f == "read" for op in result.check.culprit)
    assert result.check.explanation.startswith("not linearizable on key")


def test_the_timeline_is_written(tmp_path: Path) -> None:
    result = run(short(nemesis="pause", seed=1))
    write_jepsen_timeline(result, tmp_path / "run.html")
    assert result.timeline == tmp_path / "run.html"
    page = result.timeline.read_text(encoding="utf-8")
    assert "<svg" in page and "verdict-ok" in page and "nemesis pause" in page


@pytest.mark.parametrize(("options", "named"), [
    ({"backend": "etcd", "nemesis": "partition"}, "Allowed on etcd: none, kill"),
    ({"nemesis": "chaos"}, "nemesis must be one of none, kill, pause, partition"),
    ({"clients": 0}, "clients must be an int in [1, 50]"),
    ({"backend": "zookeeper"}, "backend must be one of embedded, etcd"),
    ({"reads": "stale"}, "reads must be one of linearizable, serializable"),
    ({"seconds": -1}, "seconds must be a number of seconds"),
])
def test_bad_configurations_name_what_is_allowed(options: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        JepsenConfig(**options)  # type: ignore[arg-type]
    assert named in str(error.value)


def test_partition_on_real_etcd_is_refused_clearly() -> None:
    assert "pause" in PARTITION_REFUSED and "network namespaces" in PARTITION_REFUSED
    with pytest.raises(InvalidRequest, match="fault_for .* must be shorter"):
        JepsenConfig(nemesis="kill", fault_every=1.0, fault_for=2.0).resolved()


# ------------------------------------------------------------------ lost writes


def hist(*rows: tuple) -> History:
    return History.build(rows)


def test_an_acknowledged_write_undone_is_lost() -> None:
    """w(2) was acknowledged; the final read sees 1, written before w began: w is lost."""
    history = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "write", 2, 2, 3, "ok", "x"),
                   ("final", "read", 1, 5, 6, "ok", "x"))
    assert [op.value for op in lost_writes(history)] == [2]
    assert [op.value for op in lost_writes(hist(("c1", "write", 2, 0, 1, "ok", "x"),
                                                ("final", "read", None, 2, 3, "ok", "x")))] == [2]


def test_overwritten_or_seen_writes_are_not_lost() -> None:
    overwritten = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "write", 2, 2, 3, "ok", "x"),
                       ("c3", "write", 3, 4, 5, "ok", "x"), ("final", "read", 3, 6, 7, "ok", "x"))
    concurrent = hist(("c1", "write", 1, 0, 3, "ok", "x"), ("c2", "write", 2, 1, 2, "ok", "x"),
                      ("final", "read", 1, 4, 5, "ok", "x"))
    stale_then_seen = hist(("c1", "write", 1, 0, 1, "ok", "x"),
                           ("c2", "write", 2, 2, 3, "ok", "x"),
                           ("c3", "read", 1, 4, 5, "ok", "x"), ("c3", "read", 2, 6, 7, "ok", "x"))
    in_doubt = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "write", 9, 2, 0, "info", "x"),
                    ("c2", "write", 2, 3, 4, "ok", "x"), ("final", "read", 9, 6, 7, "ok", "x"))
    other_key = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c2", "write", 2, 2, 3, "ok", "y"),
                     ("final", "read", 1, 5, 6, "ok", "x"))
    for history in (overwritten, concurrent, stale_then_seen, in_doubt, other_key):
        assert lost_writes(history) == []


def test_a_cas_counts_as_a_write_and_as_an_observation() -> None:
    """cas(1, 2) succeeded (acknowledged write of 2); a later cas expecting 1 saw 1: 2 lost."""
    history = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "cas", (1, 2), 2, 3, "ok", "x"),
                   ("c2", "cas", (1, 3), 4, 5, "ok", "x"))
    assert [op.value for op in lost_writes(history)] == [(1, 2)]
    failed = hist(("c1", "write", 1, 0, 1, "ok", "x"), ("c1", "cas", (1, 2), 2, 3, "ok", "x"),
                  ("c2", "cas", (1, 3), 4, 5, "false", "x"))
    assert lost_writes(failed) == []


# ------------------------------------------------------------------ outcomes of one call


class StubClient:
    """Raises ``error`` on every call (to see how real_call records it)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, *args: object) -> None:
        raise self.error

    put = txn = get


def test_real_call_maps_errors_to_jepsen_outcomes() -> None:
    assert real_call(StubClient(OutcomeUnknown("put", "deadline")), "/p/", "write", "x", 3) \
        == ("info", None)
    assert real_call(StubClient(Unavailable("no leader")), "/p/", "read", "x", None) \
        == ("fail", None)
    assert real_call(StubClient(OutcomeUnknown("txn", "x")), "/p/", "cas", "x", (1, 2)) \
        == ("info", None)
    assert real_call(StubClient(ValueError("Trying to use a failed node")), "/p/", "write",
                     "x", 4) == ("info", None)
    with pytest.raises(InvalidRequest, match="our bug"):  # never hidden as an unknown outcome
        real_call(StubClient(InvalidRequest("our bug")), "/p/", "write", "x", 5)


# ------------------------------------------------------------------ CP behaviour


def check_cp_rows(rows: list[dict[str, object]], *, cut_link: bool = True) -> None:
    """The CP table's rules. With ``cut_link`` the isolated member cannot have seen
    ``x = 2``, so its serializable read must be the stale 1; on real etcd (frozen
    processes, see ``etcd.cp``) buffered messages may have carried it, so 1 or 2."""
    by_step = {row["step"]: row for row in rows}
    assert by_step[1]["outcome"] == "ok" and by_step[1]["value"] == "2"
    assert by_step[2]["outcome"] == "ok" and by_step[2]["stale"] is False
    assert by_step[3]["outcome"] != "ok"  # a write through the isolated member
    assert by_step[4]["outcome"] != "ok"  # a linearizable read through it
    assert by_step[5]["outcome"] == "ok"  # the serializable read answers alone
    allowed = {"1"} if cut_link else {"1", "2"}
    assert by_step[5]["value"] in allowed
    assert by_step[5]["stale"] is (by_step[5]["value"] != "2")


def test_cp_embedded_isolated_member_refuses_writes_and_reads_stale() -> None:
    rows = cp_behaviour("embedded", seed=3)
    check_cp_rows(rows)
    assert "isolated follower" in rows[2]["through"]
    assert "serializable" in format_table(rows).splitlines()[5]
    with pytest.raises(ValueError, match="backend must be 'embedded' or 'etcd'"):
        cp_behaviour("riak")


# ------------------------------------------------------------------ real etcd


@pytest.fixture
def tracked_clusters(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Roots of the clusters run_real starts (to check that none is left running)."""
    roots: list[Path] = []
    original = local_module.local_cluster

    def tracking(*args: object, **kwargs: object) -> object:
        kwargs.setdefault("start_timeout", DEADLINE_S)  # a loaded machine starts etcd slowly
        manager = original(*args, **kwargs)  # type: ignore[arg-type]

        class Tracked:
            def __enter__(self) -> object:
                cluster = manager.__enter__()
                roots.append(cluster.root)
                return cluster

            def __exit__(self, *exc: object) -> object:
                return manager.__exit__(*exc)

        return Tracked()

    monkeypatch.setattr(local_module, "local_cluster", tracking)
    return roots


@needs_etcd
@pytest.mark.parametrize("nemesis", ["pause", "kill"])
@pytest.mark.usefixtures("patient_leader_waits")
def test_real_etcd_short_run_is_linearizable(nemesis: str, tracked_clusters: list[Path]) -> None:
    """One fault on the leader; the fault lasts at least until another member leads.

    The run's fault is 1.5 s long, but the nemesis's wait for a new leader has
    the generous deadline, so on a slow machine the fault simply lasts longer.
    """
    config = JepsenConfig(backend="etcd", nemesis=nemesis, seconds=3.0, fault_every=2.5,
                          fault_for=1.5, clients=4, seed=1)
    result = run(config)
    [root] = tracked_clusters
    assert wait_no_processes(str(root)) == [] and not root.exists()
    assert result.check.verdict == "ok", result.check.explanation
    assert result.lost == []
    finals = [op for op in result.history if op.process == "final" and op.status == "ok"]
    assert {op.key for op in finals} == {"x", "y", "z"}  # Jepsen's final read of every key
    [fault] = result.faults
    assert fault.action == nemesis and fault.new_leader != fault.member
    print(f"\netcd {nemesis}: failover {fault.failover} s, first acknowledged write after "
          f"{fault.first_write} s; outcomes {result.counts()}")
    if fault.new_leader is None:
        pytest.skip(f"no member other than {fault.member} led within {DEADLINE_S} s of the "
                    f"{nemesis} (the history was checked: linearizable, nothing lost)")
    if result.acked_writes() == 0:
        pytest.skip("no write was acknowledged during the run (a very loaded machine?): "
                    "the linearizable verdict is about reads only")


@needs_etcd
def test_real_run_stops_its_cluster_when_the_nemesis_fails(
        monkeypatch: pytest.MonkeyPatch, tracked_clusters: list[Path]) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("nemesis broke")

    monkeypatch.setattr(jepsen_module, "_real_fault", broken)
    with pytest.raises(RuntimeError, match="nemesis broke"):
        run(JepsenConfig(backend="etcd", nemesis="kill", seconds=2.0, fault_every=1.5,
                         fault_for=0.5, clients=2))
    [root] = tracked_clusters
    assert wait_no_processes(str(root)) == [] and not root.exists()


@needs_etcd
@pytest.mark.usefixtures("patient_leader_waits")
def test_cp_real_isolated_old_leader_refuses_writes_answers_reads_alone(
        tracked_clusters: list[Path]) -> None:
    """The new leader is waited for with the generous deadline. Steps 3 and 4 must time
    out, so the request timeout stays short (2 s); if the majority side could not answer
    steps 1-2 within it, the machine was too slow for the table to mean anything, and
    the test skips saying so."""
    rows = cp_behaviour("etcd", timeout=CP_TIMEOUT_S)
    print("\n" + format_table(rows))
    [root] = tracked_clusters
    assert wait_no_processes(str(root)) == []
    slow = [row for row in rows[:2] if row["outcome"] != "ok"]
    if slow:
        pytest.skip(f"the majority side did not answer within {CP_TIMEOUT_S} s "
                    f"(a loaded machine?): {slow}")
    check_cp_rows(rows, cut_link=False)


@pytest.mark.slow
@pytest.mark.parametrize("nemesis", ["kill", "pause", "partition"])
def test_embedded_sweep_loses_no_acknowledged_write(nemesis: str) -> None:
    """30 seeds per nemesis (``bench jepsen`` runs 200): every history linearizable."""
    for seed in range(30):
        result = run(JepsenConfig(nemesis=nemesis, seed=seed))
        assert result.check.verdict == "ok" and result.lost == [], (seed, result.check)
        assert all(f.new_leader not in (None, f.member) for f in result.faults), seed
