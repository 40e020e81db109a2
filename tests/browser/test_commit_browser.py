"""notebooks/09-atomic-commit.ipynb in a real JupyterLab: Run All, then break a commit.

The explorer opens on 2PC with c1 crashed after step 3 (every participant has
voted Yes) for 500 ms: the participants are blocked for the outage, then
abort. A learner slides the outage to 0 (c1 never returns: all three stay in
doubt, their rows and bands highlighted), switches to 2PC over consensus (the
other replicas decide: nobody blocked), then to 3PC with {c1, p3} cut off
right after p3 got its PreCommit (atomicity violated).
"""

from __future__ import annotations

from lab_harness import LabPage, expect_redrawn, option_index, type_readout
from playwright.sync_api import expect

NOTEBOOK = "09-atomic-commit.ipynb"



def test_commit_notebook_explorer(lab_page: LabPage) -> None:
    """Run All without errors; the fault, protocol and step controls rerun the scenario."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)
    lab_page.run_all(timeout_ms=150_000)
    assert lab_page.error_outputs() == []

    box = page.locator(".cl-commit").first
    box.scroll_into_view_if_needed()
    verdict = box.locator(".cl-commit-verdict")
    states = box.locator(".cl-commit-states")
    seq = box.locator(".cl-commit-seq svg")
    expect(verdict).to_contain_text("all aborted")
    expect(verdict).to_contain_text("blocked up to 500 ms")
    expect(seq.locator("rect.cl-in-doubt")).to_have_count(3)
    expect(states.locator("tr.cl-in-doubt-row")).to_have_count(0)
    before = seq.inner_html()

    type_readout(box, "commit-down", 0)
    expect(verdict).to_contain_text("p1, p2, p3 still in doubt")
    expect(states.locator("tr.cl-in-doubt-row")).to_have_count(3)
    expect(states).to_contain_text("row@p2")
    expect_redrawn(seq, before)

    protocol = box.locator(".cl-commit-protocol select")
    protocol.select_option(index=option_index(protocol, r"2PC over consensus"))
    expect(verdict).to_contain_text("all committed")
    expect(verdict).to_contain_text("nobody blocked")
    expect(box.locator(".cl-commit-target select option")).to_have_count(6)

    protocol.select_option(index=option_index(protocol, r"3PC"))
    box.locator(".cl-commit-fault select").select_option("partition")
    box.locator(".cl-commit-target select").select_option("p3")
    step = box.locator(".cl-commit-step select")
    step.select_option(index=option_index(step, r"after step \d+ · t=\d+ · p3 got PreCommit"))
    expect(verdict).to_contain_text("atomicity violated")
    expect(verdict).to_contain_text("p3 committed")
    assert lab_page.error_outputs() == []
    page.set_viewport_size({"width": 1280, "height": 1400})
    box.scroll_into_view_if_needed()
    lab_page.screenshot("09-commit-explorer")
