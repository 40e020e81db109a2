"""notebooks/05-raft-election.ipynb in a real JupyterLab: Run All, then break an election.

The notebook leaves its Raft player at step 51: n4 forced a time-out at step
30 and leads term 2. Here a learner steps, crashes the leader, forces
another node's election timeout and drops a message; the cluster diagram,
the term timeline and the trace tail must follow each click.
"""

from __future__ import annotations

from lab_harness import LabPage, expect_redrawn, option_index
from playwright.sync_api import expect

NOTEBOOK = "05-raft-election.ipynb"


def test_raft_election_notebook_player(lab_page: LabPage) -> None:
    """Run All without errors; step, crash the leader, time out, drop reach the kernel."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=180_000)
    assert lab_page.error_outputs() == []

    player = page.locator(".cl-player")
    expect(player).to_have_count(1)
    player.scroll_into_view_if_needed()
    status = player.locator(".cl-status .cl-status-line")
    expect(status).to_contain_text("step 51 of 51")  # goto(30), time out n4, 20 steps
    cluster = player.locator(".cl-cluster svg")
    terms = player.locator(".cl-view-terms svg.cl-term-timeline")
    tail = player.locator(".cl-trace-tail")
    expect(cluster).to_contain_text("leader · term 2")
    expect(terms).to_be_visible()
    expect(terms.locator("rect.cl-leader[data-term='2']")).to_have_count(1)

    cluster_before, terms_before = cluster.inner_html(), terms.inner_html()
    for _ in range(3):
        player.locator(".cl-step").click()
    expect(status).to_contain_text("step 54 of 54")
    expect_redrawn(terms, terms_before)
    expect_redrawn(cluster, cluster_before)

    player.locator(".cl-node select").select_option("n4")  # the leader of term 2
    player.locator(".cl-crash").click()
    expect(cluster).to_contain_text("crashed")
    expect(terms.locator("line.cl-crashed")).to_have_count(1)
    expect(player.locator(".cl-restart")).to_be_enabled()
    expect(player.locator(".cl-timeout")).to_be_disabled()  # a crashed node has no timer

    player.locator(".cl-node select").select_option("n1")
    player.locator(".cl-timeout").click()
    expect(tail).to_contain_text("n1 note election for term 3")
    expect(status).to_contain_text("step 55 of 55")

    pending = player.locator(".cl-pending select")
    pending.select_option(index=option_index(pending, r"#\d+ t=\d+ n1->n2 Vote\?"))
    player.locator(".cl-drop-msg").click()
    expect(tail).to_contain_text("n1->n2 drop Vote?(t=3")
    for _ in range(8):
        player.locator(".cl-step").click()
    expect(status).to_contain_text("step 63 of 63")
    expect(terms.locator("rect.cl-candidate[data-term='3']")).not_to_have_count(0)
    assert lab_page.error_outputs() == []
    page.set_viewport_size({"width": 1280, "height": 1700})  # the whole player in one picture
    player.scroll_into_view_if_needed()
    lab_page.screenshot("05-raft")
