"""notebooks/03-causality.ipynb in a real JupyterLab: Run All, then drive its widgets.

The notebook drives the Everest player to step 4 (3 steps, then Bob's answer
delivered to Charlie out of turn, held back). Here a learner's clicks go on:
step, "deliver next" on the question to Charlie (which releases the answer),
crash a node; and the happens-before explorer answers a new pair.
"""

from __future__ import annotations

from lab_harness import LabPage, expect_redrawn, option_index
from playwright.sync_api import expect

NOTEBOOK = "03-causality.ipynb"


def test_causality_notebook_player_and_explorer(lab_page: LabPage) -> None:
    """Run All without errors; step, deliver next, crash and the explorer all reach the kernel."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=180_000)
    assert lab_page.error_outputs() == []
    lab_page.widgets(min_count=3)

    explorer = page.locator(".cl-hb")
    expect(explorer.locator(".cl-hb-answer")).to_contain_text("Alice.1 → Bob.2")
    select_a = explorer.locator(".cl-hb-a select")
    select_a.select_option(index=option_index(select_a, "Charlie.1"))
    expect(explorer.locator(".cl-hb-answer")).to_contain_text("Charlie.1 ‖ Bob.2")

    player = page.locator(".cl-player")
    expect(player).to_have_count(1)
    player.scroll_into_view_if_needed()
    status = player.locator(".cl-status .cl-status-line")
    expect(status).to_contain_text("step 4 of 4")  # the notebook's own 3 steps + 1 fire
    cluster = player.locator(".cl-cluster svg")
    expect(cluster).to_contain_text("Bcast(Bob#1")  # Charlie holds the answer back
    spacetime = player.locator(".cl-spacetime svg")
    tail = player.locator(".cl-trace-tail")
    tail_before = tail.inner_text()

    player.locator(".cl-step").click()
    expect(status).to_contain_text("step 5 of 5")
    expect_redrawn(tail, tail_before, "innerText")

    pending = player.locator(".cl-pending select")
    question_to_charlie = r"#\d+ t=\d+ Alice->Charlie Bcast\(Alice#1"
    pending.select_option(index=option_index(pending, question_to_charlie))
    player.locator(".cl-fire").click()
    expect(status).to_contain_text("step 6 of 6")
    expect(tail).to_contain_text("Charlie note deliver Bob#1")  # released by the question
    expect(spacetime).to_contain_text("Alice#1 [1,0,1]")  # Charlie's delivery, in the diagram

    player.locator(".cl-node select").select_option("Bob")
    player.locator(".cl-crash").click()
    expect(cluster).to_contain_text("crashed")
    expect(player.locator(".cl-restart")).to_be_enabled()
    assert lab_page.error_outputs() == []
    player.scroll_into_view_if_needed()
    lab_page.screenshot("03-causality")

