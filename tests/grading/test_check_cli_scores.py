"""`consensus-lab check`: the score table, --json, and --part validation (exit 2)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from consensus_lab import exercises
from consensus_lab.cli.check import check_main
from consensus_lab.exercises import run_checks

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exercises, "run_checks", partial(run_checks, root=REPO, isolate=False))


def test_score_table_ends_the_report(in_process: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(["causal_delivery", "--answers", "solutions"]) == 0
    out = capsys.readouterr().out
    assert "test" in out and "points" in out and "causal_delivery.sweep" in out
    assert out.rstrip().endswith("total: 10/10 points, 6/6 checks passed")


def test_json_is_one_object(in_process: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(["raft_request_vote", "--answers", "exercises", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exercise"] == "raft_request_vote"
    assert {"name", "part", "points", "status", "seconds", "message", "seed", "replay"} <= set(
        data["checks"][0])
    assert data["totals"]["earned"] == 0 and data["totals"]["possible"] > 0


def test_bad_part_exits_2_naming_the_parts(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(["vector_clock", "--part", "B"]) == 2
    assert "has no part 'B'; parts allowed: none" in capsys.readouterr().err
    assert check_main(["--part", "A"]) == 2
    assert "name the exercise" in capsys.readouterr().err


def test_points_and_parts_on_checks() -> None:
    sweep = exercises.get_exercise("paxos_acceptor").check_named("sweep")
    assert sweep.points == 3 and sweep.part == ""
    with pytest.raises(ValueError, match="points must be a whole number"):
        type(sweep)(name="x", prop="p", hint="h", fn=lambda m: None, points=-1)
    with pytest.raises(ValueError, match="has no part 'A'; parts: none"):
        run_checks("vector_clock", "solutions", root=REPO, part="A")
