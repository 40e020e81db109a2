"""Bad input, tried as a new user would: every mistake is a usage error, up front.

The issue's list first — each case a real ``consensus-lab`` process: exit 2,
stderr names the option (or variable, or file) and what is allowed, no
traceback. The subprocess timeout is only a hang guard; nothing here
asserts on wall-clock time. Then the classes those cases stand for, tried
on every option of every subcommand in this process (argparse rejects
them before anything runs), and the validators themselves.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consensus_lab.cli import args as v
from consensus_lab.cli import main
from consensus_lab.consistency.formats import HistoryFormatError, load

REPO = Path(__file__).resolve().parents[1]
HANG_GUARD_S = 120


def run_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "consensus_lab.cli", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=HANG_GUARD_S, check=False,
                          env=environ)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("histories")
    good = folder / "good.jsonl"
    good.write_text('{"process": "c1", "f": "write", "value": 1, "call": 0, "ret": 1}\n')
    nan = folder / "nan.jsonl"
    nan.write_text('{"process": "c1", "f": "write", "value": 1, "call": 0, "ret": 1}\n'
                   '{"process": "c2", "f": "read", "output": 1, "call": "NaN", "ret": 3}\n')
    inf = folder / "inf.jsonl"
    inf.write_text('{"process": "c1", "f": "write", "value": 1, "call": 0, "ret": Infinity}\n')
    binary = folder / "binary.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    return {"GOOD": str(good), "NAN": str(nan), "INF": str(inf), "BINARY": str(binary)}


# (argv, phrases stderr must contain) — the issue's list, verbatim where it gave values.
ISSUE_CASES: list[tuple[list[str], list[str]]] = [
    (["demo", "raft", "--nodes", "0"], ["argument --nodes", "from 1 to 25", "'0'"]),
    (["demo", "raft", "--nodes", "-3"], ["argument --nodes", "from 1 to 25", "'-3'"]),
    (["demo", "raft", "--partition", "n9,zz"], ["argument --partition", "node ids are n1, n2"]),
    (["demo", "raft", "--partition", "n9,n8"], ["argument --partition", "n9, n8 not in the cluster",
                                                "n1..n5"]),
    (["demo", "raft", "--partition", ","], ["argument --partition", "none left blank"]),
    (["bench", "sim", "--events", "0"], ["argument --events", "from 1 to 10_000_000"]),
    (["bench", "sim", "--repeat", "0"], ["argument --repeat", "from 1 to 20"]),
    (["bench", "sim", "--nodes", "0"], ["argument --nodes", "from 2 to 10_000"]),
    (["bench", "sim", "--drop", "2"], ["argument --drop", "[0, 1]", "'2'"]),
    (["bench", "sim", "--drop", "-1"], ["argument --drop", "[0, 1]", "'-1'"]),
    (["bench", "explore", "--time-limit", "0"], ["argument --time-limit", "(0, 3600] seconds"]),
    (["stress", "raft", "--jobs", "0"], ["argument --jobs", "from 1 to 64"]),
    (["stress", "raft", "--jobs", "-4"], ["argument --jobs", "from 1 to 64"]),
    (["jepsen", "embedded", "--html", "/nonexistent/x.html"],
     ["argument --html", "the folder '/nonexistent' does not exist"]),
    (["check", "vector_clock", "--answers", "/nonexistent/answers"],
     ["argument --answers", "'/nonexistent/answers' does not exist", "allowed: exercises, "
      "solutions"]),
    (["bench", "sim", "--events", "-3"], ["argument --events", "from 1 to 10_000_000"]),
    (["bench", "raft", "--commands", "10", "--batch", "0"], ["argument --batch", "from 1 to"]),
    (["demo", "raft", "--nodes", "100000"], ["argument --nodes", "from 1 to 25"]),
    (["demo", "paxos", "--duel", "--horizon", "1000000000"],
     ["argument --horizon", "from 1 to 20_000"]),
    (["stress", "raft", "--seeds", "99999999999999"], ["argument --seeds", "from 1 to 100_000"]),
    (["stress", "raft", "--seeds", "-1"], ["argument --seeds", "from 1 to 100_000"]),
    (["stress", "raft", "--seeds", "0"], ["argument --seeds", "from 1 to 100_000"]),
    (["lincheck", "GOOD", "--timeout", "-1"], ["argument --timeout", "(0, 3600] seconds"]),
    (["lincheck", "GOOD", "--timeout", "0"], ["argument --timeout", "(0, 3600] seconds"]),
    (["lincheck", "NAN"], ["nan.jsonl:2:", "expected 'call' to be a finite number", "'NaN'"]),
    (["lincheck", "INF"], ["inf.jsonl:1:", "expected 'ret' to be a finite number"]),
    (["demo", "paxos", "--horizon", "-5"], ["argument --horizon", "from 1 to 20_000"]),
    (["check", "--timeout", "0"], ["argument --timeout", "(0, 3600] seconds"]),
    (["lincheck", "BINARY"], ["binary.jsonl:1:", "not a text file", "expected a jsonl history"]),
    (["demo", "truetime", "--drift", "1000000000000"], ["argument --drift", "from 0 to 100_000"]),
    (["jepsen", "etcd", "--nemesis", "partition"], ["not available on real etcd",
                                                     "Allowed on etcd: none, kill"]),
]


@pytest.mark.parametrize(("argv", "phrases"), ISSUE_CASES,
                         ids=[" ".join(c[0]) for c in ISSUE_CASES])
def test_issue_case_is_a_clear_usage_error(argv: list[str], phrases: list[str],
                                           files: dict[str, str]) -> None:
    done = run_cli(*[files.get(a, a) for a in argv])
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def test_missing_root_variable_is_named_once() -> None:
    """CONSENSUS_LAB_ROOT at a missing folder: one message naming it, before any check runs."""
    done = run_cli("check", env={"CONSENSUS_LAB_ROOT": "/nonexistent/lab"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("CONSENSUS_LAB_ROOT") == 1
    assert "'/nonexistent/lab', which does not exist" in done.stderr and done.stdout == ""


def test_bad_memory_setting_is_named() -> None:
    done = run_cli("check", "vector_clock", env={"CONSENSUS_LAB_MEMORY_MB": "lots"})
    assert done.returncode == 2 and "CONSENSUS_LAB_MEMORY_MB is set to 'lots'" in done.stderr
    assert "from 256 to 65536" in done.stderr


def test_help_lists_every_name_and_what_real_etcd_allows() -> None:
    bench = run_cli("bench", "--help").stdout
    assert all(name in bench for name in ("sim", "raft", "paxos", "lincheck", "explore",
                                          "truetime", "jepsen"))
    jepsen = run_cli("jepsen", "--help").stdout
    assert "etcd: one of none, kill, pause (no partition on real etcd)" in " ".join(jepsen.split())
    top = run_cli("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in ("check", "explore", "stress"))


# -- the classes, on every option ------------------------------------------------------

# Options whose values must be whole numbers >= 1 (0 and negatives mean nothing).
POSITIVE_INT_OPTIONS = [
    ("demo raft", "--nodes"), ("bench sim", "--events"), ("bench sim", "--repeat"),
    ("bench raft", "--commands"), ("bench raft", "--batch"), ("bench paxos", "--commands"),
    ("bench paxos", "--nodes"), ("bench paxos", "--batch"), ("stress raft", "--seeds"),
    ("stress raft", "--jobs"), ("demo paxos", "--horizon"), ("demo truetime", "--txns"),
    ("demo truetime", "--clients"), ("bench truetime", "--txns"), ("demo 2pc", "--down-for"),
    ("demo saga", "--steps"), ("demo saga", "--fail-step"), ("jepsen embedded", "--clients"),
    ("explore raft", "--depth"), ("explore raft", "--max-states"),
    ("bench lincheck", "--repeat"), ("check", "--jobs"),
]
# Options that count something that may be none (0 allowed, negatives not).
COUNT_OPTIONS = [
    ("explore raft", "--drops"), ("explore raft", "--dups"), ("explore raft", "--crashes"),
    ("demo truetime", "--epsilon"), ("demo truetime", "--clock-error"),
    ("demo truetime", "--drift"), ("bench jepsen", "--embedded-runs"),
    ("bench jepsen", "--real-runs"), ("stress raft", "--first"),
]
# Durations in seconds: > 0, finite, bounded.
SECONDS_OPTIONS = [
    ("bench explore", "--time-limit"), ("explore raft", "--time-limit"),
    ("jepsen embedded", "--seconds"), ("jepsen embedded", "--timeout"),
    ("bench jepsen", "--seconds"), ("bench lincheck", "--timeout"), ("check", "--timeout"),
    ("lincheck GOOD", "--timeout"),
]
# Every command that takes --seed.
SEED_COMMANDS = ["demo clocks", "demo raft", "demo cap", "demo paxos", "demo truetime",
                 "demo 2pc", "demo 3pc", "demo saga", "bench truetime", "jepsen embedded",
                 "stress raft"]


def _usage_error(capsys: pytest.CaptureFixture[str], files: dict[str, str], command: str,
                 option: str, value: str) -> str:
    argv = [files.get(a, a) for a in command.split()] + [option, value]
    assert main(argv) == 2, f"{argv} was accepted"
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("command", "option"), POSITIVE_INT_OPTIONS)
@pytest.mark.parametrize("value", ["0", "-1", "99999999999999999999", "abc", "1.5", ""])
def test_positive_int_options_reject_nonsense(command: str, option: str, value: str,
                                              capsys: pytest.CaptureFixture[str],
                                              files: dict[str, str]) -> None:
    err = _usage_error(capsys, files, command, option, value)
    assert "must be a whole number from 1 to " in err or "must be a step from 1" in err


@pytest.mark.parametrize(("command", "option"), COUNT_OPTIONS)
@pytest.mark.parametrize("value", ["-1", "99999999999999999999", "x"])
def test_count_options_reject_negatives_and_huge(command: str, option: str, value: str,
                                                 capsys: pytest.CaptureFixture[str],
                                                 files: dict[str, str]) -> None:
    assert "must be a whole number from 0 to " in _usage_error(capsys, files, command, option,
                                                               value)


@pytest.mark.parametrize(("command", "option"), SECONDS_OPTIONS)
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "soon"])
def test_second_options_reject_nonsense(command: str, option: str, value: str,
                                        capsys: pytest.CaptureFixture[str],
                                        files: dict[str, str]) -> None:
    assert "seconds, got" in _usage_error(capsys, files, command, option, value)


@pytest.mark.parametrize("command", SEED_COMMANDS)
@pytest.mark.parametrize("value", ["-1", str(2**64), "seven"])
def test_seeds_are_whole_numbers_from_zero(command: str, value: str,
                                           capsys: pytest.CaptureFixture[str],
                                           files: dict[str, str]) -> None:
    assert "must be a seed" in _usage_error(capsys, files, command, "--seed", value)


@pytest.mark.parametrize(("command", "option", "value"), [
    ("demo paxos", "--variant", "nope"), ("demo 2pc", "--crash", "bogus"),
    ("demo 2pc", "--vote-no", "p9"), ("jepsen embedded", "--nemesis", "flood"),
    ("jepsen embedded", "--reads", "fast"), ("explore raft", "--strategy", "astar"),
    ("bench explore", "--protocol", "zab"), ("lincheck GOOD", "--format", "xml"),
    ("lincheck GOOD", "--model", "queue"), ("bench jepsen", "--nemeses", "kill,,pause"),
    ("bench jepsen", "--nemeses", "partition"), ("bench truetime", "--epsilons", "5,x"),
    ("bench truetime", "--epsilons", "5,5"),
])
def test_names_are_checked_and_the_allowed_ones_listed(command: str, option: str, value: str,
                                                       capsys: pytest.CaptureFixture[str],
                                                       files: dict[str, str]) -> None:
    err = _usage_error(capsys, files, command, option, value)
    assert repr(value.split(",")[-1]) in err or "blank" in err or "twice" in err


@pytest.mark.parametrize("argv", [["demo", "nope"], ["bench", "nope"], ["stress", "paxos"],
                                  ["check", "nope"], ["explore", "zab"], ["jepsen", "cassandra"],
                                  ["lab", "--port", "80"], ["lincheck", "/nonexistent.jsonl"],
                                  ["bench", "lincheck", "--data", "/nonexistent"]])
def test_unknown_names_and_missing_paths_exit_2(argv: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert ("one of" in err or "must be" in err) and "Traceback" not in err, err


def test_real_etcd_options_fail_before_any_server_starts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Up-front validation of a real-etcd run: the cluster launcher is never reached."""
    from consensus_lab.cli import jepsen as jepsen_cli

    def no_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a run started")

    monkeypatch.setattr(jepsen_cli, "run", no_run)
    for argv in (["etcd", "--nemesis", "partition"], ["etcd", "--clients", "0"],
                 ["etcd", "--seconds", "2", "--nemesis", "kill"],
                 ["etcd", "--html", "/nonexistent/x.html"]):
        assert jepsen_cli.jepsen_main(argv) == 2, argv
        assert "error:" in capsys.readouterr().err


def test_raft_demo_refuses_faults_that_leave_no_majority(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "raft", "--nodes", "4", "--partition", "n1,n2"]) == 2
    assert "no side with a majority of the 4 nodes (3 needed" in capsys.readouterr().err
    assert main(["demo", "raft", "--nodes", "2", "--crash-leader"]) == 2
    assert main(["demo", "raft", "--nodes", "3", "--partition", "n1,n2,n3"]) == 2
    assert "names every node" in capsys.readouterr().err


# -- the validators ------------------------------------------------------------------


def test_validators_accept_what_they_allow(tmp_path: Path) -> None:
    assert v.int_in(1, 5)("5") == 5 and v.count(3)("0") == 0 and v.SEED("1_000") == 1000
    assert v.PROBABILITY("0") == 0.0 and v.PROBABILITY("1") == 1.0
    assert v.positive_seconds()("0.5") == 0.5
    assert v.node_ids("n1, n3") == ("n1", "n3")
    assert v.list_of(v.count(9))("1,2") == (1, 2)
    assert v.existing_dir(str(tmp_path)) == tmp_path
    assert v.writable_file(str(tmp_path / "out.html")) == tmp_path / "out.html"
    (tmp_path / "f.txt").write_text("x")
    assert v.existing_file(str(tmp_path / "f.txt")) == tmp_path / "f.txt"


@pytest.mark.parametrize(("validator", "text", "phrase"), [
    (v.int_in(1, 5), "6", "from 1 to 5, got '6'"),
    (v.PROBABILITY, "nan", "[0, 1]"),
    (v.positive_seconds(10), "inf", "(0, 10] seconds"),
    (v.node_ids, "n0", "node ids are n1, n2"),
    (v.node_ids, "n1,n1", "twice"),
    (v.one_of(("a", "b")), "c", "must be one of a, b, got 'c'"),
    (v.existing_dir, "/nonexistent", "does not exist"),
    (v.existing_file, "/", "is a folder"),
    (v.writable_file, "/", "is a folder"),
])
def test_validators_say_what_is_allowed(validator: object, text: str, phrase: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=None) as caught:
        validator(text)  # type: ignore[operator]
    assert phrase in str(caught.value)


def test_history_loader_names_the_file_and_the_line(files: dict[str, str]) -> None:
    with pytest.raises(HistoryFormatError) as caught:
        load(files["NAN"])
    assert caught.value.line == 2 and "nan.jsonl" in str(caught.value)
    assert math.isfinite(load(files["GOOD"]).ops[0].call)
    assert json.loads('{"call": NaN}')["call"] != 0  # JSON's NaN literal is refused the same way
