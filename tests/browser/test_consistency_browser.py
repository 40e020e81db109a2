"""notebooks/01-consistency-models.ipynb in a real JupyterLab: Run All, then edit a history.

The notebook leaves its history editor on the "stale read, slow write"
preset with c3's read moved to t=3 (linearizable). Here a learner picks the
chapter's "stale read" preset (illegal), shifts c2's read earlier until it
overlaps the write (the verdict turns ok and the toy checker is flagged
wrong), undoes, and tries an impossible edit, which is refused kindly.
"""

from __future__ import annotations

from lab_harness import LabPage
from playwright.sync_api import expect

NOTEBOOK = "01-consistency-models.ipynb"


def test_consistency_notebook_history_editor(lab_page: LabPage) -> None:
    """Run All without errors; preset, shift, undo and a refused add reach the kernel."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)  # a fresh workspace
    lab_page.run_all(timeout_ms=180_000)
    assert lab_page.error_outputs() == []

    editor = page.locator(".cl-hed")
    expect(editor).to_have_count(1)
    editor.scroll_into_view_if_needed()
    verdict = editor.locator(".cl-hed-verdict")
    toy = editor.locator(".cl-hed-toy")
    timeline = editor.locator(".cl-hed-timeline svg")
    expect(verdict).to_contain_text("✔ ok")  # the notebook's own move of c3's read
    expect(editor.locator(".cl-hed-preset select")).to_have_value("stale read, slow write")

    editor.locator(".cl-hed-preset select").select_option("stale read")
    expect(verdict).to_contain_text("✘ illegal — not linearizable")
    expect(timeline.locator("g.cl-culprit")).to_have_count(2)
    expect(editor.locator(".cl-hed-op select")).to_contain_text("c2 read → None [2, 3]")
    expect(toy).not_to_contain_text("⚠")

    earlier = editor.locator(".cl-hed-earlier")
    earlier.click()  # c2's read at [1.5, 2.5]: still after the write returned
    expect(editor.locator(".cl-hed-op select")).to_contain_text("[1.5, 2.5]")
    expect(verdict).to_contain_text("✘ illegal")
    earlier.click()  # [1, 2]: touches the write's return at t=1, so they overlap
    expect(verdict).to_contain_text("✔ ok — linearizable")
    expect(timeline.locator("g.cl-lin")).to_have_count(2)
    expect(toy.locator(".cl-hed-disagree")).to_contain_text("false alarm")

    editor.locator(".cl-hed-undo").click()
    expect(verdict).to_contain_text("✘ illegal")
    expect(editor.locator(".cl-hed-op select")).to_contain_text("[1.5, 2.5]")

    editor.locator(".cl-hed-new-call input").fill("5")
    editor.locator(".cl-hed-new-ret input").fill("2")
    editor.locator(".cl-hed-new-ret input").press("Tab")  # commit the typed number
    editor.locator(".cl-hed-add").click()
    expect(editor.locator(".cl-hed-notice")).to_contain_text("before it is called")
    expect(verdict).to_contain_text("✘ illegal")  # unchanged
    assert lab_page.error_outputs() == []
    lab_page.screenshot("01-consistency")
