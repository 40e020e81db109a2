"""notebooks/08-paxos.ipynb in a real JupyterLab: Run All, then step the single-decree player.

The notebook steps its first player phase by phase to the end (16 steps:
start timer, 3 Prepare, 3 Promise, 3 Accept, 6 Accepted) and leaves every
acceptor with ``accepted 1.p1 v-p1``. Here a learner goes back to the start,
where no acceptor has promised anything, and steps: after the start timer
and the first Prepare, an acceptor's promised ballot ``1.p1`` appears in the
cluster diagram and in the ballots table.
"""

from __future__ import annotations

from lab_harness import LabPage
from playwright.sync_api import expect

NOTEBOOK = "08-paxos.ipynb"
STEPS = 16


def test_paxos_notebook_single_decree_player(lab_page: LabPage) -> None:
    """Run All without errors; back to step 0, then a step shows a promise appear."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=120_000)
    assert lab_page.error_outputs() == []

    player = page.locator(".cl-player").first  # the phase-by-phase player
    player.scroll_into_view_if_needed()
    status = player.locator(".cl-status .cl-status-line")
    cluster = player.locator(".cl-cluster svg")
    ballots = player.locator(".cl-view-ballots .cl-paxos-table")
    chosen = player.locator(".cl-view-ballots .cl-paxos-chosen")
    expect(status).to_contain_text(f"step {STEPS} of {STEPS}")
    expect(cluster).to_contain_text("accepted 1.p1 v-p1")
    expect(chosen).to_have_text("v-p1")

    for _ in range(STEPS):
        player.locator(".cl-back").click()
    expect(status).to_contain_text(f"step 0 of {STEPS}")
    expect(cluster).not_to_contain_text("promised 1.p1")
    expect(chosen).to_have_text("\u2014")

    player.locator(".cl-step").click()  # p1's start timer: the Prepares leave
    expect(status).to_contain_text(f"step 1 of {STEPS}")
    expect(cluster).not_to_contain_text("promised 1.p1")
    player.locator(".cl-step").click()  # the first Prepare(1.p1) reaches an acceptor
    expect(status).to_contain_text(f"step 2 of {STEPS}")
    expect(cluster).to_contain_text("promised 1.p1")
    expect(ballots).to_contain_text("1.p1")
    expect(player.locator(".cl-trace-tail")).to_contain_text("Prepare")
    assert lab_page.error_outputs() == []
    lab_page.screenshot("08-paxos-phase-player")
