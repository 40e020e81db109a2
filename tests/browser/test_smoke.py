"""Smoke test of the browser harness: a widget round trip in a real JupyterLab."""

from __future__ import annotations

from lab_harness import REPO, LabPage, LabServer
from playwright.sync_api import expect

SMOKE_CELLS = [
    "import consensus_lab\nprint('consensus_lab from', consensus_lab.__file__)",
    "import ipywidgets as widgets\n"
    "label = widgets.HTML('<span class=\"smoke-label\">not clicked</span>')\n"
    "button = widgets.Button(description='Click me')",
    "def on_click(_):\n"
    "    label.value = '<span class=\"smoke-label\">clicked</span>'\n"
    "\n"
    "button.on_click(on_click)\n"
    "widgets.VBox([button, label])",
]


def test_button_changes_html(jupyter_lab: LabServer, lab_page: LabPage) -> None:
    """Run All renders the widgets; a click reaches the kernel and updates the HTML."""
    jupyter_lab.add_notebook("smoke.ipynb", SMOKE_CELLS)
    lab_page.open("smoke.ipynb")
    expect(lab_page.page.locator(".jp-NotebookPanel")).to_have_count(1)  # no earlier test's tab
    lab_page.run_all()
    assert lab_page.error_outputs() == []
    first_output = lab_page.page.locator(".jp-OutputArea-output").first
    expect(first_output).to_contain_text(f"consensus_lab from {REPO / 'consensus_lab'}")
    lab_page.widgets(min_count=1)
    label = lab_page.page.locator(".widget-html .smoke-label")
    expect(label).to_have_text("not clicked")
    lab_page.page.locator(".widget-button", has_text="Click me").click()
    expect(label).to_have_text("clicked")
    lab_page.screenshot("smoke-widgets")
