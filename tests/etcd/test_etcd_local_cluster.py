"""The local etcd cluster launcher: nemesis actions, and never a stray process.

Failover times are printed (``-s``) for the record, never asserted: tests do
not assert wall-clock durations. Every wait is for a condition, with the
generous ``DEADLINE_S`` of tests/etcd/patience.py (returning as soon as it holds).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from consensus_lab.etcd import (
    DATA_DIR_PREFIX,
    EtcdNotInstalled,
    InvalidRequest,
    OutcomeUnknown,
    Unavailable,
    local_cluster,
)
from consensus_lab.etcd import local as local_module
from consensus_lab.etcd.local import etcd_available
from tests.etcd.patience import DEADLINE_S, REQUEST_TIMEOUT_S

needs_etcd = pytest.mark.skipif(not etcd_available(),
                                reason=f"no etcd server here: {EtcdNotInstalled.HOW_TO}")


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (what ``pgrep -f`` finds)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(entry))
    return found


def wait_no_processes(text: str, within: float = DEADLINE_S) -> list[int]:
    """Poll until no process mentions ``text``; the stragglers if some remain."""
    deadline = time.monotonic() + within
    while (left := processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_missing_etcd_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an etcd binary: EtcdNotInstalled naming the package, nothing started."""
    monkeypatch.setattr(local_module, "etcd_binary", lambda: None)
    with pytest.raises(EtcdNotInstalled, match="apt-get install etcd-server"), \
            local_cluster(3):
        pass


@needs_etcd
def test_bad_sizes_are_refused() -> None:
    """Cluster size and timing are checked before anything starts."""
    with pytest.raises(InvalidRequest, match="n=0"), local_cluster(0):
        pass
    with pytest.raises(InvalidRequest, match="election_ms=100"), \
            local_cluster(1, heartbeat_ms=100, election_ms=100):
        pass


def write_with_retry(cluster: object, key: str, value: str, within: float = DEADLINE_S,
                     ) -> float:
    """Put until acknowledged (unknown/unavailable outcomes retried); seconds it took."""
    client = cluster.client(timeout=1.0)  # type: ignore[attr-defined]
    started = time.monotonic()
    try:
        while True:
            try:
                client.put(key, value)
                return time.monotonic() - started
            except (OutcomeUnknown, Unavailable):
                if time.monotonic() - started > within:
                    raise
                time.sleep(0.1)
    finally:
        client.close()


@needs_etcd
def test_pause_kill_restart_and_leader() -> None:
    """Pause the leader: another is elected; kill and restart a follower: it catches up."""
    with local_cluster(3, start_timeout=DEADLINE_S) as cluster:
        root = cluster.root
        assert len(processes_mentioning(str(root))) == 3
        old = cluster.wait_for_leader(timeout=DEADLINE_S)
        assert old in cluster.members
        write_with_retry(cluster, "k", "1")
        paused_at = time.monotonic()
        cluster.pause(old)
        new = cluster.wait_for_leader(other_than=old, timeout=DEADLINE_S)
        elected_after = time.monotonic() - paused_at
        write_after = write_with_retry(cluster, "k", "2")
        print(f"\nreal etcd: leader {old} paused; {new} leads after {elected_after:.2f} s; "
              f"first write acknowledged {write_after:.2f} s after that")
        cluster.resume(old)
        follower = next(m for m in cluster.members if m not in (old, new))
        cluster.kill(follower)
        assert follower not in cluster.running()
        write_with_retry(cluster, "k", "3")
        cluster.restart(follower)
        pinned = cluster.client(follower, timeout=REQUEST_TIMEOUT_S)
        deadline = time.monotonic() + DEADLINE_S  # until it has caught up, however slow
        while pinned.get_value("k", serializable=True) != "3" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pinned.get_value("k", serializable=True) == "3"
        pinned.close()
        with pytest.raises(InvalidRequest, match="n7"):
            cluster.kill("n7")
    assert wait_no_processes(str(root)) == []
    assert not root.exists()


@needs_etcd
def test_interrupt_inside_cluster_stops_everything() -> None:
    """Ctrl-C inside the block: every member stopped, data deleted, the interrupt goes on."""
    with pytest.raises(KeyboardInterrupt), local_cluster(1, start_timeout=DEADLINE_S) as cluster:
        root = cluster.root
        cluster.pause("n1")  # even a frozen member
        raise KeyboardInterrupt
    assert wait_no_processes(str(root)) == []
    assert not root.exists()


@needs_etcd
def test_failing_test_leaves_no_etcd_process(tmp_path: Path) -> None:
    """A test that fails inside local_cluster (in its own pytest run) leaves nothing behind."""
    (tmp_path / "test_deliberately_failing.py").write_text(textwrap.dedent("""
        from consensus_lab.etcd import local_cluster

        def test_fails_inside_cluster():
            with local_cluster(3, start_timeout=60) as cluster:
                print("ROOT", cluster.root, flush=True)
                assert False, "deliberate failure"
    """))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                          str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "deliberate failure" in run.stdout
    root = next(line.split()[1] for line in run.stdout.splitlines() if line.startswith("ROOT"))
    assert DATA_DIR_PREFIX in root
    assert wait_no_processes(root) == []
    assert not Path(root).exists()


@needs_etcd
def test_killed_python_takes_its_members_along() -> None:
    """Even a kill -9 of the Python process leaves no etcd member (parent-death signal)."""
    script = ("import time\nfrom consensus_lab.etcd import local_cluster\n"
              "with local_cluster(1, start_timeout=60) as c:\n    print(c.root, flush=True)\n"
              "    time.sleep(600)\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        root = child.stdout.readline().strip()  # type: ignore[union-attr]
        assert root and len(processes_mentioning(root)) == 1
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert wait_no_processes(root) == []
    shutil.rmtree(root, ignore_errors=True)  # nobody was left to delete it


@pytest.mark.parametrize("with_setpriv", [True, False], ids=["setpriv", "python-launcher"])
def test_die_with_parent_wraps_a_command_that_still_runs(
        with_setpriv: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wrapper (setpriv, or the Python launcher when setpriv is missing) execs the
    command itself: same arguments, same exit status."""
    from consensus_lab.etcd import local

    if with_setpriv and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed here")
    real_which = shutil.which
    if not with_setpriv:
        monkeypatch.setattr(local.shutil, "which",
                            lambda name: None if name == "setpriv" else real_which(name))
    command = local.die_with_parent(["sh", "-c", "exit 7"])
    assert command[-2:] == ["-c", "exit 7"]
    assert ("setpriv" in command[0]) == with_setpriv
    assert subprocess.run(command, timeout=30).returncode == 7
