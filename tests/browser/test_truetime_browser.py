"""notebooks/10-spanner-truetime.ipynb in a real JupyterLab: Run All, then drive the ε slider.

The explorer opens at ε = 10 ms, commit wait on, leader clocks at ±10 ms: externally
consistent. A learner unticks commit wait (the checker reports the violation and the
timeline redraws), ticks it again, then types a clock error of 40 ms into the slider's
readout — beyond ε, so commit wait no longer helps — and finally moves ε to 50 ms,
which covers that error again and raises the measured latency.
"""

from __future__ import annotations

import re

from lab_harness import LabPage, expect_redrawn, type_readout
from playwright.sync_api import expect

NOTEBOOK = "10-spanner-truetime.ipynb"



def test_truetime_notebook_epsilon_slider(lab_page: LabPage) -> None:
    """Run All without errors; commit wait off breaks it, a clock beyond ε breaks it too."""
    lab_page.open(NOTEBOOK)
    page = lab_page.page
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)
    lab_page.run_all(timeout_ms=120_000)
    assert lab_page.error_outputs() == []

    box = page.locator(".cl-truetime").first
    box.scroll_into_view_if_needed()
    verdict = box.locator(".cl-tt-verdict")
    latency = box.locator(".cl-tt-latency")
    timeline = box.locator(".cl-tt-timeline svg")
    expect(verdict).to_contain_text("externally consistent")
    expect(latency).to_contain_text("ε = 10 ms: commit latency")
    before = timeline.inner_html()

    box.locator(".cl-tt-wait input").uncheck()
    expect(verdict).to_contain_text("commit wait off: T1 (c1) got its answer")
    expect(timeline).to_contain_text("VIOLATED")
    expect_redrawn(timeline, before)

    box.locator(".cl-tt-wait input").check()
    expect(verdict).to_contain_text("externally consistent")
    type_readout(box, "tt-error", 40)
    expect(verdict).to_contain_text("±40 ms (BEYOND ε), commit wait on")
    expect(verdict).to_contain_text(re.compile(r"yet got s=\d+"))

    type_readout(box, "tt-epsilon", 50)
    expect(latency).to_contain_text("ε = 50 ms: commit latency")
    expect(verdict).to_contain_text("externally consistent (leader clocks at ±40 ms (within ε)")
    assert lab_page.error_outputs() == []
    lab_page.screenshot("10-truetime-slider")
