"""The ``consensus-lab`` command line, run as a learner runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from consensus_lab.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "consensus_lab.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def digest_of(output: str) -> str:
    last = output.strip().splitlines()[-1]
    assert last.startswith("trace digest: "), output
    return last.removeprefix("trace digest: ")


def test_demo_clocks_digest_is_the_same_in_two_processes_and_differs_by_seed() -> None:
    first, second, other = run_cli("demo", "clocks", "--seed", "7"), \
        run_cli("demo", "clocks", "--seed", "7"), run_cli("demo", "clocks", "--seed", "8")
    assert first.returncode == second.returncode == other.returncode == 0
    assert digest_of(first.stdout) == digest_of(second.stdout)
    assert digest_of(first.stdout) != digest_of(other.stdout)
    assert "causal delivery at Charlie: ['nice weather', 'How high is Everest?', '8849 m']" \
        in first.stdout


def test_unknown_demo_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "nope"]) == 2
    err = capsys.readouterr().err
    assert ("unknown demo 'nope'; choose one of: 2pc, 3pc, cap, clocks, paxos, raft, saga, "
            "truetime") in err


def test_check_exit_codes_solutions_pass_stub_fails() -> None:
    good = run_cli("check", "vector_clock", "--answers", "solutions")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "8/8 checks passed" in good.stdout
    stub = run_cli("check", "vector_clock")
    assert stub.returncode == 1
    assert "not implemented yet: VectorClock.merge" in stub.stdout


def test_list_json_names_exercises_and_notebooks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = [ex["name"] for ex in listing["exercises"]]
    assert names == ["register_model", "vector_clock", "causal_delivery", "raft_request_vote",
                     "raft_append_entries", "raft_commit_rule", "paxos_acceptor",
                     "paxos_proposer", "consistency_choice", "two_phase_commit", "commit_wait",
                     "fencing_lock"]
    assert all(ex["stub"] == f"exercises/{ex['name']}.py" for ex in listing["exercises"])
    assert isinstance(listing["notebooks"], list)


def test_bench_sim_json_has_every_figure() -> None:
    out = run_cli("bench", "sim", "--json", "--events", "3000", "--repeat", "1")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    for key in ("sim_events_per_s", "sim_traced_events_per_s", "bare_loop_events_per_s",
                "ratio_untraced", "ratio_traced"):
        assert figures[key] > 0


def test_lab_dry_run_binds_loopback_with_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "--dry-run"]) == 0
    command = capsys.readouterr().out
    assert "--ip 127.0.0.1" in command and "token" not in command.lower()
    assert "notebooks" in command


def test_demo_raft_is_deterministic_and_narrates() -> None:
    args = ("demo", "raft", "--nodes", "3", "--seed", "4", "--crash-leader")
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert digest_of(first.stdout) == digest_of(second.stdout)
    assert "'SET X=5' committed at index 1 on all 3 nodes" in first.stdout
    assert "crash" in first.stdout and "leader of term 2" in first.stdout


def test_stress_raft_reports_zero_violations_and_replays_a_seed() -> None:
    out = run_cli("stress", "raft", "--seeds", "6", "--jobs", "1", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["violations"] == 0
    one = run_cli("stress", "raft", "--seed", "3")
    assert one.returncode == 0 and "seed 3: ok" in one.stdout
    assert digest_of(one.stdout) == digest_of(run_cli("stress", "raft", "--seed", "3").stdout)


def test_bench_raft_json_has_its_figures() -> None:
    out = run_cli("bench", "raft", "--json", "--commands", "500")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["commands_committed"] == 500 and figures["commands_committed_per_s"] > 0


def test_demo_cap_contrasts_cp_and_ap_and_is_deterministic() -> None:
    first, second = run_cli("demo", "cap", "--seed", "0"), run_cli("demo", "cap", "--seed", "0")
    assert first.returncode == 0, first.stderr
    assert digest_of(first.stdout) == digest_of(second.stdout)
    cp_line, ap_line = (line for line in first.stdout.splitlines() if line.startswith("  "))
    assert "A: avail 0% in partition" in cp_line and cp_line.endswith("linearizable: ok")
    assert "A: avail 100% in partition" in ap_line and ap_line.endswith("linearizable: illegal")


def test_demo_paxos_is_deterministic_and_the_duel_never_decides_without_backoff() -> None:
    first, second = run_cli("demo", "paxos", "--seed", "3"), run_cli("demo", "paxos", "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert digest_of(first.stdout) == digest_of(second.stdout)
    assert "chosen (from the acceptors): ['v-p" in first.stdout
    duel = run_cli("demo", "paxos", "--duel", "--no-backoff", "--seed", "1")
    assert duel.returncode == 0, duel.stderr
    assert "nothing decided by t=1000" in duel.stdout
    assert digest_of(duel.stdout) != digest_of(first.stdout)


def test_bench_paxos_json_has_its_figures() -> None:
    out = run_cli("bench", "paxos", "--json", "--commands", "300")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["commands_committed"] == 300
    assert figures["messages_per_command"] >= 4  # Accept + Accepted to 2 others at least


def test_explore_finds_the_figure_8_bug_and_names_bad_protocols() -> None:
    found = run_cli("explore", "raft", "--variant", "figure-8", "--json")
    assert found.returncode == 1, found.stderr
    report = json.loads(found.stdout[found.stdout.index("{"):found.stdout.rindex("}") + 1])
    assert report["violation"] and report["states"] > 0
    bad = run_cli("explore", "zab")
    assert bad.returncode == 2
    assert "paxos" in bad.stderr and "raft" in bad.stderr
