"""Fixtures for browser tests: a private JupyterLab and a headless Chromium page.

Every test under tests/browser/ is marked `browser` automatically.

Fixtures:
    jupyter_lab (session): a `LabServer` — `.url`, `.root` (a temporary copy
        of notebooks/, safe to modify), `.add_notebook(name, sources)`.
        Always stopped at the end of the session, also after failures.
    lab_page (function): a `LabPage` on that server — `.open(name)`,
        `.run_all()`, `.widgets()`, `.error_outputs()`, `.screenshot(name)`,
        and `.page` (the Playwright page). Kernels are shut down after each test.
    page, browser, context: pytest-playwright's, launched from /usr/bin/chromium
        (never `playwright install`). Tests skip when Chromium is missing.

Waiting: every `expect(...)` and every Playwright action retries for up to
`EXPECT_TIMEOUT_MS` (60 s) before failing, and returns as soon as it holds;
no test reads the DOM once and asserts on it, and none waits a fixed time.

Useful options: `--headed`, `--slowmo 500`,
`--screenshot only-on-failure --output tests/artifacts/playwright`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_harness import CHROMIUM, CHROMIUM_ARGS, EXPECT_TIMEOUT_MS, LabPage, LabServer
from playwright.sync_api import Page, expect

HERE = Path(__file__).parent
expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # Playwright's default, 5 s, is too short here


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this directory `browser`."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch args, pointed at the distro Chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: run `make install-sys` (Debian package chromium)")
    return browser_type_launch_args | {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A window large enough for notebook screenshots."""
    return browser_context_args | {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on a free 127.0.0.1 port over a temporary copy of notebooks/."""
    server = LabServer.start(tmp_path_factory.mktemp("jupyter-lab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_page(page: Page, jupyter_lab: LabServer) -> Iterator[LabPage]:
    """A `LabPage` for one test; shuts down the test's kernels afterwards."""
    page.set_default_timeout(EXPECT_TIMEOUT_MS)  # clicks, selects, waits
    try:
        yield LabPage(page, jupyter_lab)
    finally:
        jupyter_lab.shutdown_kernels()
