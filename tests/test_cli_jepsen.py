"""``consensus-lab jepsen`` and ``bench jepsen`` through the real CLI entry point (embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consensus_lab.cli import main

RESULT_KEYS = {"backend", "clients", "seconds", "nemesis", "seed", "reads", "timeout", "ops",
               "counts", "verdict", "linearizable", "explanation", "culprit", "acked_writes",
               "lost_writes", "lost", "faults", "failover_s", "timeline", "check_seconds"}
FAULT_KEYS = {"action", "member", "at", "healed_at", "new_leader", "failover_s",
              "first_write_s"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_jepsen_json_has_every_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "t.html"
    code, out, _ = run(capsys, "jepsen", "embedded", "--seconds", "3", "--nemesis", "kill",
                       "--clients", "3", "--seed", "2", "--json", "--html", str(page))
    data = json.loads(out)
    assert code == 0 and set(data) == RESULT_KEYS
    assert data["verdict"] == "ok" and data["linearizable"] is True and data["lost_writes"] == 0
    assert data["clients"] == 3 and data["nemesis"] == "kill" and data["timeline"] == str(page)
    assert set(data["counts"]) == {"cas", "read", "write"}
    assert set(data["counts"]["read"]) == {"ok", "fail", "info"}
    [fault] = data["faults"]
    assert set(fault) == FAULT_KEYS and fault["action"] == "kill"
    assert data["failover_s"] == [fault["failover_s"]] and page.exists()


def test_jepsen_text_summary_and_buggy_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "jepsen", "embedded", "--seconds", "2", "--reads", "serializable")
    assert code == 1 and "verdict: illegal - not linearizable" in out
    code, _, err = run(capsys, "jepsen", "embedded", "--seconds", "2", "--nemesis", "pause")
    assert code == 2 and "too short for nemesis 'pause'" in err and "seconds >= 2.5" in err
    code, out, _ = run(capsys, "jepsen", "embedded", "--seconds", "3", "--nemesis", "pause")
    assert code == 0 and "verdict: ok" in out and "pause n" in out and "new leader" in out


def test_jepsen_bad_input_exits_2_naming_what_is_allowed(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "jepsen", "etcd", "--nemesis", "partition")
    assert code == 2 and "Allowed on etcd: none, kill" in err
    code, _, err = run(capsys, "jepsen", "embedded", "--nemesis", "flood")
    assert code == 2 and "argument --nemesis: must be one of none, kill, pause, partition" in err
    code, _, err = run(capsys, "jepsen", "cassandra")
    assert code == 2 and "argument backend: must be one of embedded, etcd" in err


def test_jepsen_cp_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "jepsen", "embedded", "--cp", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["step"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[4]["consistency"] == "serializable" and rows[4]["stale"] is True


def test_bench_jepsen_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "jepsen", "--embedded-runs", "2", "--real-runs", "0",
                       "--seconds", "3", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["backend"], r["nemesis"], r["runs"]) for r in rows] == [
        ("embedded", "kill", 1), ("embedded", "pause", 1)]
    for row in rows:
        assert row["lost_writes"] == 0 and row["verdicts"] == {"ok": 1}
        assert row["failover_s"]["n"] == 1 and row["not_ok"] == []
