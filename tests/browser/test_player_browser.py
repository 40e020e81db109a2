"""The SimulationPlayer in a real JupyterLab: buttons, Play, scrubbing, views.

Finds every control by its stable CSS class (``cl-step``, ``cl-status``...).
"""

from __future__ import annotations

import re

from lab_harness import ARTIFACTS, LabPage, LabServer
from playwright.sync_api import expect

PLAYER_CELLS = [
    "from dataclasses import dataclass\n"
    "from consensus_lab.sim import Deliver, Fire, Send, SetTimer, StepProtocol\n"
    "from consensus_lab.widgets import SimulationPlayer\n"
    "\n"
    "@dataclass(frozen=True, slots=True, kw_only=True)\n"
    "class Rumor:\n"
    "    n: int\n"
    "\n"
    "class Gossip(StepProtocol):\n"
    "    def start(self, node_id, peers, stored):\n"
    "        return (peers, 0), (SetTimer('gossip', 1, 6),)\n"
    "    def step(self, state, event):\n"
    "        peers, heard = state\n"
    "        if isinstance(event, Fire):\n"
    "            return state, (Send(peers[heard % len(peers)], Rumor(n=heard)),\n"
    "                           SetTimer('gossip', 4, 9))\n"
    "        if isinstance(event, Deliver):\n"
    "            return (peers, heard + 1), ()\n"
    "        return state, ()\n"
    "    def view(self, state):\n"
    "        return {'heard': state[1]}",
    "player = SimulationPlayer(Gossip(), 3, seed=4)\nplayer",
]


def status(lab_page: LabPage):  # noqa: ANN201 - a Playwright Locator
    return lab_page.page.locator(".cl-status .cl-status-line")


def test_player_buttons_play_and_views(jupyter_lab: LabServer, lab_page: LabPage) -> None:
    """Step, crash, back and Play reach the kernel and redraw status and diagrams."""
    jupyter_lab.add_notebook("player.ipynb", PLAYER_CELLS)
    lab_page.open("player.ipynb")
    expect(lab_page.page.locator(".jp-NotebookPanel")).to_have_count(1)  # no earlier test's tab
    lab_page.run_all()
    assert lab_page.error_outputs() == []
    page = lab_page.page
    page.locator(".cl-player").wait_for()
    expect(status(lab_page)).to_contain_text("step 0 of 0")
    for _ in range(3):
        page.locator(".cl-step").click()
    expect(status(lab_page)).to_contain_text("step 3 of 3")
    page.locator(".cl-node select").select_option("n2")
    page.locator(".cl-crash").click()
    expect(page.locator(".cl-cluster svg")).to_contain_text("crashed")
    page.locator(".cl-back").click()
    expect(status(lab_page)).to_contain_text("step 2 of 3")
    expect(page.locator(".cl-spacetime svg.cl-spacetime-svg")).to_be_visible()

    page.locator(".cl-play button").first.click()  # play
    # Play steps on a real-time timer: however slow the machine, it gets to step 5.
    expect(status(lab_page)).to_contain_text(re.compile(r"step ([5-9]|\d\d+) of"))
    page.locator(".cl-play button").first.click()  # the same button pauses
    expect(status(lab_page)).not_to_contain_text("step 0 of")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".cl-player").screenshot(path=str(ARTIFACTS / "player.png"))
    assert lab_page.error_outputs() == []

