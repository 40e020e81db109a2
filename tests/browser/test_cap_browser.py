"""notebooks/02-cap.ipynb in a real JupyterLab: Run All, then drive the CAP explorer.

The notebook's explorer starts with one run: the CP store (majority quorums)
on five nodes cut 2 | 3, seed 0, linearizable. Here a learner switches to the
AP store (the verdict turns red and a second run joins the chart), turns the
partition off (no cut: everyone answered), narrows N with the keyboard
(R, W and the cut follow) and skews n1's clock; each change must reach the
kernel and come back as new text in the table, the verdict and the chart.
"""

from __future__ import annotations

from lab_harness import LabPage, expect_redrawn
from playwright.sync_api import expect

from consensus_lab.widgets.cap import STORES

NOTEBOOK = "02-cap.ipynb"


def test_cap_notebook_explorer(lab_page: LabPage) -> None:
    """Run All without errors; store, partition, N and skew changes redraw the outputs."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=180_000)
    assert lab_page.error_outputs() == []

    explorer = page.locator(".cl-cap")
    expect(explorer).to_have_count(1)
    explorer.scroll_into_view_if_needed()
    verdict = explorer.locator(".cl-cap-verdict")
    table = explorer.locator(".cl-cap-table")
    chart = explorer.locator(".cl-cap-chart svg")
    expect(verdict).to_contain_text("#1 CP-ABD N=5 cut 2|3")
    expect(verdict).to_contain_text("✔ linearizable")
    expect(verdict).to_contain_text("side A (n1,n2) answered 0 of its")
    expect(table.locator("tr")).to_have_count(3)  # header, side A, side B
    table_before = table.inner_text()

    explorer.locator(".cl-cap-store select").select_option(label=STORES["ap"])
    expect(verdict).to_contain_text("#2 AP-LWW N=5 R=1 W=1 cut 2|3")
    expect(verdict).to_contain_text("not linearizable")
    expect(verdict).to_contain_text("AP keeps answering")
    expect(explorer.locator(".cl-cap-quorum")).to_contain_text("R + W = 2 ≤ N = 5")
    expect(chart.locator('rect[data-side="A"]')).to_have_count(2)
    expect_redrawn(table, table_before, "innerText")

    explorer.locator(".cl-cap-partition").click()
    expect(verdict).to_contain_text("#3 AP-LWW N=5 R=1 W=1 no cut")
    expect(verdict).to_contain_text("No partition")
    expect(explorer.locator(".cl-cap-partition")).to_contain_text("partition off")
    explorer.locator(".cl-cap-partition").click()
    expect(verdict).to_contain_text("#4 AP-LWW")

    handle = explorer.locator(".cl-cap-n .noUi-handle")
    handle.focus()
    handle.press("ArrowLeft")
    handle.press("ArrowLeft")
    expect(verdict).to_contain_text("N=3 R=1 W=1 cut 1|2")
    expect(table).to_contain_text("n2,n3")

    explorer.locator(".cl-cap-skew input").check()
    expect(verdict).to_contain_text("cut 1|2 skew")
    expect(chart.locator('rect[data-side="A"]')).to_have_count(6)  # the chart keeps six runs
    assert lab_page.error_outputs() == []
    page.set_viewport_size({"width": 1280, "height": 1100})
    explorer.scroll_into_view_if_needed()
    lab_page.screenshot("02-cap")
