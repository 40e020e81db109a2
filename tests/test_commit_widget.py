"""The commit explorer's model and view, and the run pictures, without a browser.

Every expectation follows from a rule, not from a copied run: a fault after
step k leaves the first k steps as they were; a participant is blocked exactly
while the only coordinator is down after it voted Yes; Paxos among three
replicas decides without c1; a 3PC cut after one PreCommit splits the outcome.
"""

from __future__ import annotations

import re

import pytest

from consensus_lab.commit import coordinator_crash
from consensus_lab.viz.commit_runs import (
    commit_label,
    highlight_in_doubt,
    in_doubt_bands,
    participant_table,
    sequence_diagram,
)
from consensus_lab.widgets.commit import (
    CommitExplorer,
    CommitModel,
    CommitSettings,
    CommitSettingsError,
    protocol_steps,
    run_commit,
    states_html,
)


def step_where(protocol: str, text: str, no_voter: str = "") -> int:
    """The number of the first fault-free step whose description contains ``text``."""
    for step in protocol_steps(protocol, 0, no_voter):
        if text in step.text:
            return step.number
    raise AssertionError(f"no step with {text!r} in {protocol}")


def last_prepared(protocol: str = "2pc") -> int:
    """The step after which every participant has voted Yes."""
    return max(step_where(protocol, f"p{i} → {'uncertain' if protocol == '3pc' else 'prepared'}")
               for i in (1, 2, 3))


def records(run, until: int) -> list[str]:  # noqa: ANN001
    """The trace up to step ``until``, without the fault itself (recorded at that step)."""
    return [str(r) for r in run.sim.trace if r.step <= until and r.kind != "nemesis"]


def test_same_settings_same_run_and_another_seed_differs() -> None:
    settings = CommitSettings(fault="crash", target="c1", at_step=3)
    first, again = run_commit(settings), run_commit(settings)
    assert first.sim.trace.digest() == again.sim.trace.digest()
    assert first.rows() == again.rows()
    other = run_commit(CommitSettings(fault="crash", target="c1", at_step=3, seed=1))
    assert other.sim.trace.digest() != first.sim.trace.digest()


@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_steps_describe_the_fault_free_run_and_a_fault_keeps_its_prefix(protocol: str) -> None:
    steps = protocol_steps(protocol, 0, "")
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    plain = run_commit(CommitSettings(protocol=protocol))
    assert plain.violation is None and set(plain.outcomes.values()) == {"committed"}
    for step in steps:  # each label names the message delivered (or timer fired) at that step
        event = next(r for r in plain.sim.trace if r.step == step.number
                     and r.kind in ("deliver", "timer"))
        assert step.time == event.time
        assert (str(event.message) if event.kind == "deliver" else event.detail) in step.text
    k = len(steps) // 2
    crashed = run_commit(CommitSettings(protocol=protocol, fault="crash", target="p1", at_step=k))
    assert records(crashed, k) == records(plain, k)
    assert crashed.fault_at == steps[k - 1].time


def test_coordinator_crash_after_the_votes_blocks_exactly_while_it_is_down() -> None:
    """2PC: every participant prepared, c1 down 400 ms -> each blocked 400 ms, then abort."""
    run = run_commit(CommitSettings(fault="crash", target="c1", at_step=last_prepared(),
                                    down_for=400))
    assert run.violation is None
    assert run.blocked == {"p1": 400, "p2": 400, "p3": 400}
    assert set(run.outcomes.values()) == {"aborted"}  # presumed abort: no commit was logged
    for p in ("p1", "p2", "p3"):
        assert run.in_doubt[p] >= 400 and run.locks_held[p] > run.in_doubt[p]
    assert "blocked up to 400 ms" in run.verdict()


def test_a_coordinator_that_never_returns_leaves_them_in_doubt_holding_locks() -> None:
    run = run_commit(CommitSettings(fault="crash", target="c1", at_step=last_prepared(),
                                    down_for=0))
    assert run.decided_at is None and run.in_doubt_now == ["p1", "p2", "p3"]
    rows = {row["node"]: row for row in run.rows()}
    assert rows["c1"]["status"] == "crashed"
    assert all(rows[p]["in doubt"] and rows[p]["locks"] == f"row@{p}" for p in run.in_doubt)
    html = states_html(run)
    assert html.count('class="cl-in-doubt-row"') == 3
    assert run.verdict().startswith("⏳ p1, p2, p3 still in doubt")


def test_lost_commit_messages_block_until_the_logged_commit_is_resent() -> None:
    decided = step_where("2pc", "c1 → committed")
    run = run_commit(CommitSettings(fault="crash", target="c1", at_step=decided, down_for=300,
                                    lose_in_flight=True))
    assert set(run.outcomes.values()) == {"committed"}
    assert run.blocked == {"p1": 300, "p2": 300, "p3": 300}
    kept = run_commit(CommitSettings(fault="crash", target="c1", at_step=decided, down_for=300))
    assert max(kept.blocked.values()) == 0  # the Commits were already on their way


def test_a_replicated_coordinator_decides_without_c1() -> None:
    at = last_prepared("replicated")
    run = run_commit(CommitSettings(protocol="replicated", fault="crash", target="c1",
                                    at_step=at, down_for=1500))
    assert run.violation is None and run.decided_at is not None
    assert max(run.blocked.values()) == 0
    assert run.decided_at < run.fault_at + 1500  # before c1 came back


def test_threepc_partition_after_one_precommit_splits_the_outcome() -> None:
    at = step_where("3pc", "p3 → precommitted")
    run = run_commit(CommitSettings(protocol="3pc", fault="partition", target="p3", at_step=at))
    assert run.violation is not None and run.violation.startswith("atomicity")
    assert "p3 committed" in run.violation
    assert run.verdict().startswith("✘ atomicity violated")


def test_one_no_vote_aborts_everyone_and_the_no_voter_is_never_in_doubt() -> None:
    run = CommitModel().run(no_voter="p2")
    assert set(run.outcomes.values()) == {"aborted"}
    assert run.in_doubt["p2"] == 0
    assert any("Vote(T1 No)" in s.text for s in protocol_steps("2pc", 0, "p2"))


@pytest.mark.parametrize("changes, message", [
    ({"protocol": "4pc"}, r"protocol must be one of 2pc, 3pc, replicated, got '4pc'"),
    ({"no_voter": "c1"}, r"no_voter must be '' \(nobody\) or one of p1, p2, p3, got 'c1'"),
    ({"fault": "fire"}, r"fault must be one of none, crash, partition, got 'fire'"),
    ({"target": "c2"}, r"target must be one of c1, p1, p2, p3, got 'c2'"),
    ({"at_step": 99}, r"at_step must be from 0 to 9 .*got 99"),
    ({"down_for": -5}, r"down_for .* must be an int >= 0, got -5"),
    ({"seed": 1.5}, r"seed must be an int >= 0, got 1.5"),
    ({"lose_in_flight": "yes"}, r"lose_in_flight must be True or False"),
    ({"colour": "red"}, r"unknown setting\(s\) \['colour'\]"),
])
def test_bad_settings_change_nothing(changes: dict, message: str) -> None:
    model = CommitModel(fault="crash", target="c1", at_step=3)
    before, last = model.settings, model.run()
    with pytest.raises(CommitSettingsError, match=message):
        model.run(**changes)
    assert model.settings == before and model.last is last


# ------------------------------------------------------------------ the view
def test_controls_drive_the_model_and_redraw() -> None:
    x = CommitExplorer()
    assert x.run.settings == CommitSettings()
    assert len(x.w["step"].options) == len(protocol_steps("2pc", 0, "")) + 1
    x.w["fault"].value = "crash"
    x.w["step"].value = last_prepared()
    x.w["down"].value = 0
    assert x.model.settings.fault == "crash" and x.model.settings.at_step == last_prepared()
    assert "still in doubt" in x.w["verdict"].value
    assert x.w["states"].value.count("cl-in-doubt-row") == 3
    assert x.w["seq"].value.count('class="cl-in-doubt"') == 3
    x.w["protocol"].value = "replicated"
    assert list(x.w["target"].options) == ["c1", "c2", "c3", "p1", "p2", "p3"]
    assert x.model.settings.protocol == "replicated"
    assert "still in doubt" not in x.w["verdict"].value


def test_a_rejected_setting_is_shown_and_the_controls_go_back() -> None:
    x = CommitExplorer(fault="crash", at_step=2)
    verdict = x.w["verdict"].value
    assert x.set(at_step=500) is None
    assert "at_step must be from 0 to" in x.w["error"].value
    assert x.w["step"].value == 2 and x.w["verdict"].value == verdict
    x.w["novote"].value = "p1"
    assert x.w["error"].value == "" and x.model.settings.no_voter == "p1"


# ------------------------------------------------------------------ the pictures
def test_in_doubt_bands_are_the_monitors_in_doubt_times() -> None:
    run = coordinator_crash(seed=0, down_for=300)
    lanes = {n: i for i, n in enumerate(run.sim.node_ids)}
    bands, _ = in_doubt_bands(list(run.sim.trace), lanes)
    assert {b.node: b.length for b in bands} == run.in_doubt
    svg = sequence_diagram(run.sim.trace).data
    assert svg.count('class="cl-in-doubt"') == 3
    assert re.search(r"p1 in doubt t=\d+\.\.\d+ \(\d+ ms\), holding row@p1", svg)
    assert "crash c1" in svg and "prepared (in doubt)" in svg


def test_labels_and_bad_lanes() -> None:
    run = coordinator_crash(seed=0)
    labels = [commit_label(r) for r in run.sim.trace]
    assert "crash c1" in labels and "aborted" in labels
    assert not any("ignores" in label for label in labels)
    with pytest.raises(ValueError, match=r"no such node\(s\) in the trace: \['n9'\]"):
        sequence_diagram(run.sim.trace, ["c1", "n9"])
    table = participant_table(run.sim)
    assert list(table.index) == ["c1", "p1", "p2", "p3"]
    assert not table["in doubt"].any()


def test_highlight_marks_exactly_the_in_doubt_rows() -> None:
    run = run_commit(CommitSettings(fault="crash", target="c1", at_step=last_prepared(),
                                    down_for=0))
    table = participant_table(run.sim)
    assert list(table[table["in doubt"]].index) == ["p1", "p2", "p3"]
    css = highlight_in_doubt(table).to_html()
    selectors = re.search(r"([^{}]*)\{\s*background-color: #ffb74d", css).group(1)
    assert "row0_" not in selectors  # c1, crashed, is not in doubt
    assert all(f"row{i}_col0" in selectors for i in (1, 2, 3))
