"""The registry behind ``consensus-lab explore``: Raft and Paxos variants, and the CLI."""

from __future__ import annotations

import json

import pytest

from consensus_lab.cli.explore import bench_main, explore_main
from consensus_lab.explore import explore_scene
from consensus_lab.explore.protocols import PROTOCOLS, all_specs, get_spec
from consensus_lab.explore.raft_scripted import scripted_scene
from consensus_lab.explore.replay import WorldScene
from consensus_lab.sim import ConfigError
from consensus_lab.widgets import schedule_player

# ---------------------------------------------------------------- Raft
# figure-8: x=1 reaches n2 (1), n2's answer lets n1 count it committed (2),
# n3 times out (3), asks n1 (4) and gets its vote (5): leader without x=1.
FIGURE_8_SHORTEST = 5
# no-election-restriction, from "leader": n2 times out (1); the client hands x=1 to n1
# (2), whose replicate timer sends it (3); it reaches n3 (4); n3's ack lets n1 commit
# x=1 (5); n2's vote request reaches n1, which votes for it although n2 lacks x=1 (6);
# n1's vote makes n2 leader of term 2 without x=1 (7).
LEADER_SHORTEST = 7
SUBMIT = "n1 take(Submit(command='x=1'))"


def test_the_figure_8_scene_is_set_as_the_paper_draws_it() -> None:
    scene = scripted_scene("correct", "figure-8")
    world = WorldScene(scene).start()
    assert [(s.role, s.current_term, tuple(e.term for e in s.log.as_tuple()))
            for s in world.states] == [("leader", 3, (1,)), ("follower", 3, ()),
                                       ("follower", 3, (2,))]
    in_flight = [str(msg) for _dst, _src, msg in world.net]
    assert "App(t=3 prev=0/0 n=1 c=0)" in in_flight


def test_figure_8_is_found_with_a_shortest_counterexample() -> None:
    result = get_spec("raft", "figure-8").run()
    cx = result.violation
    assert cx is not None and cx.invariant == "leader_completeness"
    assert len(cx) == FIGURE_8_SHORTEST
    assert "committed in term 3" in cx.message


def test_no_election_restriction_is_found_with_a_shortest_counterexample() -> None:
    result = get_spec("raft", "no-election-restriction").run()
    cx = result.violation
    assert cx is not None and cx.invariant == "leader_completeness"
    assert len(cx) == LEADER_SHORTEST
    assert ("call", SUBMIT) in cx.actions  # the search chose when to submit
    assert cx.check().name == "leader_completeness"  # type: ignore[attr-defined]
    player = schedule_player(cx, views=("spacetime",))
    assert [n.state for n in player.sim.nodes.values()] == [  # type: ignore[attr-defined]
        n.state for n in cx.sim.nodes.values()]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("variant", "shortest"), [
    ("figure-8", FIGURE_8_SHORTEST), ("no-election-restriction", LEADER_SHORTEST)])
def test_no_shorter_raft_counterexample_exists(variant: str, shortest: int) -> None:
    result = get_spec("raft", variant).run(max_depth=shortest - 1)
    assert result.violation is None and result.bound_hit == "depth"


@pytest.mark.parametrize(("scene", "depth"),
                         [("figure-8", 7), ("committed-entry", 5), ("leader", 7)])
def test_correct_raft_survives_where_the_bugs_show(scene: str, depth: int) -> None:
    """As deep as the buggy variants' counterexamples, or deeper (5, 3 and 7 moves)."""
    result = explore_scene(scripted_scene("correct", scene, commands=1), max_depth=depth)
    assert result.violation is None and result.bound_hit == "depth"


def test_the_raft_counterexample_replays() -> None:
    cx = get_spec("raft", "figure-8").run().violation
    assert cx is not None
    assert cx.check().name == "leader_completeness"  # type: ignore[attr-defined]
    states = [(n.node_id, n.state) for n in cx.sim.nodes.values()]  # type: ignore[attr-defined]
    assert [(i, s.current_term) for i, s in states if s.role == "leader"] == [("n3", 4)]


def test_correct_raft_exhausts_the_figure_8_scene() -> None:
    result = get_spec("raft", "correct").run()
    assert result.complete and result.violation is None


def test_an_unknown_raft_scene_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="unknown Raft scene 'fig-9'; allowed: figure-8"):
        scripted_scene("correct", "fig-9")


# ---------------------------------------------------------------- Paxos
# Two start timers, then for each value a majority: 2 Prepares, 2 Promises,
# 2 Accepts delivered -- 2 + 2 * 6 moves.
PAXOS_SHORTEST = 14


@pytest.mark.parametrize("variant", ["forgetful-acceptor", "ignores-accepted"])
def test_paxos_bugs_are_found_with_shortest_counterexamples(variant: str) -> None:
    result = get_spec("paxos", variant).run()
    cx = result.violation
    assert cx is not None and cx.invariant == "agreement" and len(cx) == PAXOS_SHORTEST
    assert "two values chosen" in cx.message
    assert cx.check().name == "agreement"  # type: ignore[attr-defined]


def test_correct_paxos_chooses_within_the_bounds_and_breaks_nothing() -> None:
    result = get_spec("paxos", "correct").run(max_depth=10)
    assert result.violation is None and result.goal_reached
    # one proposer starts, then Prepare, Promise and Accept reach two acceptors
    assert len(result.goal) == 1 + 3 * 2


@pytest.mark.slow
def test_correct_paxos_is_exhausted() -> None:
    result = get_spec("paxos", "correct").run()
    assert result.complete and result.violation is None and result.goal_reached


@pytest.mark.slow
def test_an_amnesiac_acceptor_is_caught_by_a_reboot() -> None:
    cx = get_spec("paxos", "amnesiac-acceptor").run().violation
    assert cx is not None and cx.invariant == "agreement"
    assert [kind for kind, _ in cx.actions].count("reboot") == 1


# ---------------------------------------------------------------- registry
def test_every_variant_has_a_spec() -> None:
    names = {(s.protocol, s.variant) for s in all_specs()}
    assert {("raft", "correct"), ("raft", "figure-8"), ("raft", "no-election-restriction"),
            ("paxos", "correct"), ("paxos", "forgetful-acceptor"),
            ("paxos", "ignores-accepted")} <= names
    assert all(s.buggy == (s.variant != "correct") for s in all_specs())


def test_unknown_names_are_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="unknown protocol 'zab'; allowed: raft, paxos"):
        get_spec("zab")
    with pytest.raises(ConfigError, match="unknown raft variant 'fast'; allowed: correct, "
                                          "no-election-restriction, figure-8"):
        get_spec("raft", "fast")
    assert set(PROTOCOLS) == {"raft", "paxos", "2pc", "3pc", "2pc-replicated"}


# ---------------------------------------------------------------- CLI
def test_cli_prints_a_counterexample_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert explore_main(["raft", "--variant", "figure-8"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION of 'leader_completeness' after 5 moves" in out
    assert "5. deliver n1->n3 Vote(t=4 yes)" in out
    assert "INVARIANT leader_completeness VIOLATED" in out  # the replayed trace


def test_cli_exits_0_when_nothing_breaks(capsys: pytest.CaptureFixture[str]) -> None:
    assert explore_main(["raft", "--depth", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["violation"] is None and report["complete"] is False
    assert report["max_depth"] == 4 and report["states"] > 1 and report["states_per_s"] > 0
    assert {"protocol", "variant", "transitions", "bound_hit"} <= set(report)


def test_cli_json_carries_the_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    assert explore_main(["raft", "--variant", "no-election-restriction", "--json"]) == 1
    violation = json.loads(capsys.readouterr().out)["violation"]
    assert violation["invariant"] == "leader_completeness"
    assert violation["length"] == LEADER_SHORTEST
    assert violation["actions"][:2] == [["fire", "n2 timer election"], ["call", SUBMIT]]


@pytest.mark.parametrize(("argv", "message"), [
    (["zab"], "argument protocol: must be one of raft, paxos, 2pc"),
    (["raft", "--variant", "fast"], "allowed: correct, no-election-restriction, figure-8"),
    (["raft", "--depth", "0"], "argument --depth: must be a whole number from 1 to 1_000"),
    (["raft", "--strategy", "astar"], "argument --strategy: must be one of bfs"),
    ([], "name a protocol"),
])
def test_cli_bad_input_exits_2(argv: list[str], message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert explore_main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_lists_variants(capsys: pytest.CaptureFixture[str]) -> None:
    assert explore_main(["paxos", "--list-variants"]) == 0
    out = capsys.readouterr().out
    assert "forgetful-acceptor" in out and "ignores-accepted" in out


@pytest.mark.slow
def test_bench_reports_every_variant_as_expected(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["protocol"], r["variant"]) for r in rows} == {
        (s.protocol, s.variant) for s in all_specs()}
    assert all(r["as_expected"] and r["states_per_s"] > 0 for r in rows)


def test_state_counts_do_not_depend_on_the_hash_seed() -> None:
    """Symmetry and dead messages merge by hashes: a canonical form that depended on
    Python's per-process string hashing would count differently in each process."""
    import os
    import subprocess
    import sys

    code = ("from consensus_lab.explore import get_spec;"
            "r = get_spec('paxos', 'correct').run(max_depth=9);"
            "print(r.states, r.transitions)")
    counts = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout
        counts.add(out.strip())
    assert len(counts) == 1
