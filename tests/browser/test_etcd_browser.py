"""notebooks/13-exercise-distributed-lock.ipynb in a real JupyterLab: Run All, then slide the pause.

The explorer opens on the story with a 2 s lease and a 5 s pause, fencing on:
c1's late write is rejected. A learner types a 1 s pause (shorter than the
lease: no conflict), then a 6 s pause with fencing switched off (c2's data
is silently lost, the timeline marks the corrupting write), then a 8 s
lease (the pause fits in it again).
"""

from __future__ import annotations

from lab_harness import LabPage, expect_redrawn, type_readout
from playwright.sync_api import expect

NOTEBOOK = "13-exercise-distributed-lock.ipynb"



def test_lock_notebook_pause_slider(lab_page: LabPage) -> None:
    """Run All without errors; the pause and fencing controls replay the story."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)
    lab_page.run_all(timeout_ms=120_000)
    assert lab_page.error_outputs() == []

    box = page.locator(".cl-lock").first
    box.scroll_into_view_if_needed()
    verdict = box.locator(".cl-lock-verdict")
    timeline = box.locator(".cl-lock-timeline svg")
    expect(verdict).to_contain_text("safe: c1 woke after 5 s and wrote with token 2")
    expect(timeline).to_contain_text("REJECTED")
    before = timeline.inner_html()

    type_readout(box, "lock-pause", 1)
    expect(verdict).to_contain_text("no conflict: c1's pause (1 s) was shorter")
    expect(timeline).not_to_contain_text("REJECTED")
    expect_redrawn(timeline, before)

    type_readout(box, "lock-pause", 6)
    expect(verdict).to_contain_text("safe: c1 woke after 6 s")
    fencing = box.locator(".cl-lock-fencing input[type=checkbox]")
    fencing.scroll_into_view_if_needed()
    fencing.uncheck()
    expect(verdict).to_contain_text("CORRUPTED: c1 woke after 6 s")
    expect(timeline).to_contain_text("CORRUPTS")

    type_readout(box, "lock-ttl", 8)
    expect(verdict).to_contain_text("no conflict: c1's pause (6 s) was shorter than its lease "
                                    "(8 s)")
    assert lab_page.error_outputs() == []
    lab_page.screenshot("13-lock-pause-slider")
