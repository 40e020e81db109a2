"""notebooks/04-consensus-and-flp.ipynb in a real JupyterLab: Run All, then step the duel.

The notebook leaves its duel player (no backoff, the adversary scheduling) at
step 60 with the highest ballot round at 5 and nothing chosen. Here a learner
steps on: the round must climb while the "chosen" readout stays empty; then
the learner unticks the adversary box and steps, and a value is chosen.
"""

from __future__ import annotations

import re

from lab_harness import LabPage, expect_redrawn
from playwright.sync_api import expect

NOTEBOOK = "04-consensus-and-flp.ipynb"


def test_consensus_notebook_duel_player(lab_page: LabPage) -> None:
    """Run All without errors; stepping the duel raises the ballots, chooses nothing."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=120_000)
    assert lab_page.error_outputs() == []

    player = page.locator(".cl-player").first  # the duel without backoff
    player.scroll_into_view_if_needed()
    status = player.locator(".cl-status .cl-status-line")
    round_ = player.locator(".cl-view-ballots .cl-paxos-round")
    chosen = player.locator(".cl-view-ballots .cl-paxos-chosen")
    expect(status).to_contain_text("step 60 of 60")
    expect(round_).to_have_text("5")
    expect(chosen).to_have_text("\u2014")
    expect(player.locator(".cl-adversary input")).to_be_checked()

    spacetime = player.locator(".cl-spacetime svg")
    before = spacetime.inner_html()
    for _ in range(30):
        player.locator(".cl-step").click()
    expect(status).to_contain_text("step 90 of 90")
    expect(round_).to_have_text(re.compile(r"^\s*([6-9]|[1-9]\d+)\s*$"))  # the ballots climb
    expect(chosen).to_have_text("\u2014")  # and nothing is chosen
    expect_redrawn(spacetime, before)
    expect(player.locator(".cl-trace-tail")).to_contain_text(re.compile(r"Nack|Prepare"))
    expect(player.locator(".cl-cluster svg")).to_contain_text("promised")

    player.locator(".cl-back").click()
    expect(status).to_contain_text("step 89 of 90")

    player.locator(".cl-adversary input").uncheck()  # the plain network schedules
    for _ in range(40):
        player.locator(".cl-step").click()
    expect(chosen).to_have_text(re.compile(r"v-p[12]"))
    assert lab_page.error_outputs() == []
    page.set_viewport_size({"width": 1280, "height": 1700})  # the whole player in one picture
    player.scroll_into_view_if_needed()
    lab_page.screenshot("04-consensus-duel")
