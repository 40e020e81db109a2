"""Raft's views: the role diagram, the log table, the term timeline, the state table.

Each view is checked on what it says about a seeded run: which node leads,
which entries are committed, where a snapshot starts, which node is crashed,
when terms change. Views are deterministic: the same run draws the same text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from consensus_lab.raft import RaftConfig, check_one_leader, raft_cluster
from consensus_lab.raft.node import TRANSITIONS
from consensus_lab.raft.scenarios import raft, run_until, settle_leader
from consensus_lab.sim import Simulation
from consensus_lab.viz import (
    TERM_COLORS,
    HtmlView,
    cluster_diagram,
    raft_logs,
    raft_node_lines,
    raft_table,
    role_diagram,
    term_color,
    term_timeline,
    to_svg,
)
from consensus_lab.viz.raft_timeline import segments

SVG = "{http://www.w3.org/2000/svg}"


def elected(seed: int = 1, nodes: int = 5) -> Simulation:
    sim = raft_cluster(nodes, seed=seed)
    check_one_leader(sim)
    return sim


def rows(html: str) -> dict[str, str]:
    """The <tr> of each node in a raft_logs table, by node id."""
    return dict(re.findall(r'<tr class="cl-log-row[^"]*" data-node="(\w+)"[^>]*>(.*?)</tr>',
                           html))


# ------------------------------------------------------------------ role diagram
def test_role_diagram_draws_every_transition_of_the_code() -> None:
    source = role_diagram().source
    for src, event, dst in TRANSITIONS:
        words = event.split()
        assert all(word in source for word in words), event
        assert f"{src} -> {dst}" in source
    assert "start -> follower" in source


def test_role_diagram_highlights_a_role_and_its_edges() -> None:
    source = role_diagram(highlight="candidate").source
    candidate = next(line for line in source.splitlines() if line.strip().startswith("candidate ["))
    assert "#1565c0" in candidate and "penwidth=2.5" in candidate
    edges = [line for line in source.splitlines() if "->" in line and "#1565c0" in line]
    assert {line.split("->")[0].strip() for line in edges} == {"candidate"}
    assert "Candidate" in to_svg(role_diagram("candidate"))
    with pytest.raises(ValueError, match="highlight must be one of follower, candidate, leader"):
        role_diagram(highlight="king")


# ------------------------------------------------------------------- raft_table
def test_raft_table_after_the_first_election() -> None:
    table = raft_table(elected())
    assert list(table.index) == ["n1", "n2", "n3", "n4", "n5"]
    assert table.loc["n2", "role"] == "leader" and table.loc["n2", "term"] == 1
    assert set(table["voted_for"]) == {"n2"} and set(table["leader_id"]) == {"n2"}
    assert table.loc["n1", "next"] == 1 and table.loc["n1", "match"] == 0
    assert table.loc["n2", "next"] == ""  # the leader's own row


def test_raft_table_shows_what_a_crashed_node_persisted() -> None:
    sim = elected()
    sim.crash("n3")
    row = raft_table(sim).loc["n3"]
    assert row["status"] == "crashed (disk)" and row["term"] == 1 and row["voted_for"] == "n2"
    assert row["role"] == "" and row["commit"] == ""


# --------------------------------------------------------------------- raft_logs
def test_raft_logs_follows_set_x_5_from_appended_to_committed() -> None:
    sim = raft_cluster(3, seed=2)
    leader = settle_leader(sim)
    assert "every log is empty" in raft_logs(sim).data
    sim.submit(leader, "put", key="X", value=5)
    run_until(sim, lambda s: raft(s, leader).log.last_index == 1)
    before = rows(raft_logs(sim).data)
    assert "cl-committed" not in before[leader] and "put X=5" in before[leader]
    assert "dashed" in before[leader]  # not committed yet: pale, hatched, dashed
    run_until(sim, lambda s: all(raft(s, n).last_applied == 1 for n in s.node_ids))
    after = rows(raft_logs(sim).data)
    for node in sim.node_ids:
        assert after[node].count("cl-committed") == 1
        assert "border-right:4px solid #000" in after[node]  # the commit index bar
        assert "\u2022" in after[node]  # last applied
    assert "\u2605 leader" in after[leader]


def test_raft_logs_colours_entries_by_term_with_a_stable_palette() -> None:
    sim = raft_cluster(3, seed=3)
    for _ in range(2):
        leader = check_one_leader(sim).node_id
        sim.submit(leader, "put", key="X", value=1)
        sim.run(until=sim.now + 100)
        sim.crash(leader)
        check_one_leader(sim)
        sim.restart(leader)
    sim.run(until=sim.now + 100)
    html = raft_logs(sim).data
    assert "cl-term-1" in html and "cl-term-2" in html
    assert f"background:{term_color(1)}" in html and f"background:{term_color(2)}" in html
    assert term_color(1) == TERM_COLORS[0] == term_color(11)
    assert html == raft_logs(sim).data  # deterministic
    assert isinstance(raft_logs(sim), HtmlView) and raft_logs(sim)._repr_html_() == html


def test_raft_logs_greys_a_crashed_node_and_shows_its_disk() -> None:
    sim = elected(seed=3, nodes=3)
    leader = next(n.node_id for n in sim.nodes.values() if n and n.role == "leader")
    lagger = next(n for n in sim.node_ids if n != leader)
    sim.submit(leader, "put", key="X", value=1)
    sim.run(until=sim.now + 100)
    sim.crash(lagger)
    html = rows(raft_logs(sim).data)
    assert "crashed" in html[lagger] and "disk: term 1" in html[lagger]
    assert "put X=1" in html[lagger]  # its persisted log
    assert f'data-node="{lagger}" style="opacity:0.45' in raft_logs(sim).data


def test_raft_logs_shows_snapshots_and_hides_what_only_snapshots_cover() -> None:
    sim = raft_cluster(3, seed=3, config=RaftConfig(snapshot_threshold=10))
    leader = check_one_leader(sim).node_id
    for k in range(25):
        sim.submit(leader, "put", key=f"k{k % 4}", value=k)
    sim.run(until=sim.now + 300)
    html = raft_logs(sim).data
    snap = raft(sim, leader).log.snapshot_index
    assert snap >= 20 and f"snapshot &le; {snap}" in html
    assert f"1&ndash;{snap}" in html  # the indexes before the window share one column
    assert ">1</th>" not in html


def test_raft_logs_window_keeps_the_last_entries() -> None:
    sim = raft_cluster(3, seed=3)
    leader = check_one_leader(sim).node_id
    for k in range(30):
        sim.submit(leader, "put", key="k", value=k)
    sim.run(until=sim.now + 300)
    html = raft_logs(sim, max_entries=10).data
    assert "1&ndash;20" in html and ">21</th>" in html and ">30</th>" in html
    assert "&hellip; 20" in html
    with pytest.raises(ValueError, match="max_entries must be >= 1"):
        raft_logs(sim, max_entries=0)


# ----------------------------------------------------------------- term timeline
def test_segments_read_roles_and_terms_from_the_trace() -> None:
    sim = elected()
    sim.run(until=400)
    sim.crash("n2")
    check_one_leader(sim)
    segs = segments(sim.trace.records, sim.node_ids, sim.now)
    n2 = [(s.role, s.term) for s in segs if s.node == "n2"]
    assert n2 == [("follower", 0), ("candidate", 1), ("leader", 1), ("", 1)]
    leader2 = [s for s in segs if s.role == "leader" and s.term == 2]
    assert [s.node for s in leader2] == ["n4"] and leader2[0].end == sim.now
    crash = next(s for s in segs if s.node == "n2" and s.role == "")
    assert crash.start == 400


def test_term_timeline_svg_has_one_lane_per_node_and_marks_the_network() -> None:
    sim = elected(seed=4)
    sim.partition(["n1"])
    sim.run(until=1500)
    svg = term_timeline(sim).data
    root = ET.fromstring(svg)
    rects = root.findall(f".//{SVG}rect[@class]")
    leaders = {r.get("data-term") for r in rects if "cl-leader" in r.get("class", "")}
    assert leaders == {"1"}
    candidate_terms = {int(r.get("data-term")) for r in rects
                       if "cl-candidate" in r.get("class", "")}
    assert max(candidate_terms) >= 3  # the cut-off follower's term climbs
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"n1", "n2", "n3", "n4", "n5"} <= set(labels)
    assert "partition n1 | n2 n3 n4 n5" in labels
    assert term_timeline(sim.trace).data.count("cl-seg") == svg.count("cl-seg")
    assert term_timeline(sim, since=1000, until=1200).data != svg


def test_cluster_diagram_with_raft_node_lines_is_compact() -> None:
    sim = elected()
    sim.crash("n3")
    assert raft_node_lines(sim, "n2") == ["leader \u00b7 term 1", "log empty",
                                          "commit 0 \u00b7 applied 0"]
    assert raft_node_lines(sim, "n3") == ["disk: term 1, voted n2"]
    source = cluster_diagram(sim, lines=raft_node_lines).source
    assert "leader · term 1" in source and "disk: term 1, voted n2" in source
    assert "role=leader" not in source and "role=leader" in cluster_diagram(sim).source
