"""``demo paxos`` and ``bench paxos`` through their entry points (the CLI wires them)."""

from __future__ import annotations

import json
import re

import pytest

from consensus_lab.cli.paxos import bench_main, demo_main

DIGEST = re.compile(r"trace digest: [0-9a-f]{64}\n?$")


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = demo_main(argv)
    return code, capsys.readouterr().out


def test_demo_ends_with_the_digest_and_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ["--seed", "3"])
    assert code == 0 and DIGEST.search(out) and "learned" in out
    assert run(capsys, ["--seed", "3"])[1] == out
    assert run(capsys, ["--seed", "4"])[1].splitlines()[-1] != out.splitlines()[-1]


def test_demo_duel_without_and_with_backoff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ["--duel", "--horizon", "300"])
    assert code == 0 and "nothing decided by t=300" in out and DIGEST.search(out)
    code, out = run(capsys, ["--duel", "--backoff", "--seed", "2"])
    assert code == 0 and "decided at t=" in out


def test_demo_variant_and_multi(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ["--variant", "forgetful-acceptor"])
    assert code == 0 and "agreement: two values chosen" in out and DIGEST.search(out)
    code, out = run(capsys, ["--multi", "--seed", "1"])
    assert code == 0 and "took over with ballot" in out and DIGEST.search(out)


def test_demo_unknown_variant_fails_with_the_allowed_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_main(["--variant", "nope"]) == 2
    err = capsys.readouterr().err
    assert "argument --variant: must be one of correct, forgetful-acceptor" in err


def test_bench_prints_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--commands", "300", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["commands_committed"] == 300
    assert 6 <= figures["messages_per_command_one_at_a_time"] < 8
    assert figures["messages_per_command"] > 0
    assert bench_main(["--commands", "0"]) == 2
