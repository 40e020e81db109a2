"""A throwaway JupyterLab server and a Playwright page that knows its way around it.

Theory of operation: `LabServer.start` copies `notebooks/` into a temporary
directory, gives JupyterLab its own temporary config, data, runtime, settings
and workspace directories (so nothing on the machine leaks in or out), turns
off the news toast and notebook windowing (so every cell is in the DOM), and
starts `python -m jupyterlab` in its own process group on a free loopback
port, without a token, with `window.jupyterapp` exposed to page scripts.
`LabServer.stop` ends the whole group and any kernel left behind. The
fixtures in `conftest.py` wrap both; tests normally use the `lab_page`
fixture, a `LabPage`.

The notebook copy still imports `consensus_lab` from this checkout: the
server's (and so the kernels') PYTHONPATH starts with the repository. Files that a
notebook reads relative to itself must live inside `notebooks/` to be copied.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
from playwright.sync_api import Locator, Page, expect

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "tests" / "artifacts"
LAB_OVERRIDES = REPO / "tools" / "jupyterlab-overrides.json"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Test-only settings on top of tools/jupyterlab-overrides.json.
TEST_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
# Lists error outputs of the current notebook from its model (needs expose_app_in_browser).
ERROR_OUTPUTS_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const outputs = cells.get(i).outputs;
    for (let j = 0; outputs && j < outputs.length; j++) {
      const output = outputs.get(j).toJSON();
      if (output.output_type === "error") {
        found.push(`cell ${i + 1}: ${output.ename}: ${output.evalue}`);
      }
    }
  }
  return found;
}"""
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
# How long a waiting assertion or an action retries before it fails. Generous, because
# CI machines are loaded: a round trip to the kernel can take seconds there, and an
# `expect` returns as soon as its condition holds, so a long deadline costs nothing.
EXPECT_TIMEOUT_MS = 60_000
# How often run_all() looks for running cells (the default, every animation frame,
# scans every prompt of a long notebook 60 times a second beside the busy kernel).
RUN_ALL_POLL_MS = 250


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_user_settings(settings_dir: Path, settings: dict[str, dict]) -> None:
    """Write `{"@scope/pkg:plugin": {...}}` as JupyterLab user-settings files."""
    for plugin_id, values in settings.items():
        package, plugin = plugin_id.split(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (children first), read from /proc; [] elsewhere."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


@dataclass
class LabServer:
    """A running `jupyter lab` serving a temporary copy of `notebooks/`.

    Attributes:
        url: base URL, e.g. "http://127.0.0.1:41234" (no token needed).
        root: the server's root directory (the copy; safe to modify).
        process: the server process (leader of its own process group).
        log_path: the server's combined stdout/stderr.
    """

    url: str
    root: Path
    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(cls, base: Path) -> LabServer:
        """Start a server with every Jupyter directory under `base`; wait until ready."""
        root = base / "root"
        if NOTEBOOKS.is_dir():
            shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            root.mkdir()
        env = cls._environment(base)
        port = free_port()
        log_path = base / "jupyter-lab.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                cls._command(port, root), env=env, cwd=root, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        server = cls(f"http://127.0.0.1:{port}", root, process, log_path)
        try:
            server.wait_until_ready()
        except BaseException:
            server.stop()
            raise
        return server

    @staticmethod
    def _environment(base: Path) -> dict[str, str]:
        """os.environ with private Jupyter directories and the test settings."""
        dirs = {name: base / name.lower() for name in (
            "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
            "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
        for path in dirs.values():
            path.mkdir(parents=True)
        overrides = json.loads(LAB_OVERRIDES.read_text())
        write_user_settings(dirs["JUPYTERLAB_SETTINGS_DIR"], overrides | TEST_SETTINGS)
        # Kernels import this checkout's consensus_lab, even when the venv's editable
        # install points at another clone (a git worktree sharing the venv).
        pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        return os.environ | {name: str(path) for name, path in dirs.items()} | {
            "PYTHONPATH": pythonpath}

    @staticmethod
    def _command(port: int, root: Path) -> list[str]:
        """The `jupyter lab` command line: loopback, no token or XSRF check, no browser."""
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
            "--port", str(port), "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=", "--PasswordIdentityProvider.hashed_password=",
            "--ServerApp.disable_check_xsrf=True",  # lets shutdown_kernels() DELETE
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for error_outputs()
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        return command

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server log, for error messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll /api/status until the server answers; raise with its log if it dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"jupyter lab not ready after {timeout_s} s:\n{self.log_tail()}")

    def add_notebook(self, name: str, sources: list[str]) -> Path:
        """Write a notebook of code cells (no outputs) into the server root."""
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {
            "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        path = self.root / name
        nbformat.write(nb, path)
        return path

    def shutdown_kernels(self) -> None:
        """Shut down every kernel the server runs (between tests)."""
        with urllib.request.urlopen(f"{self.url}/api/kernels", timeout=5) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(
                f"{self.url}/api/kernels/{kernel['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        """Terminate the server's process group, then any kernel that outlived it."""
        if self.process.poll() is not None:
            return
        leftovers = descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class LabPage:
    """A Playwright page driving `server`'s JupyterLab.

    Typical use in a test (fixture `lab_page`)::

        lab_page.open("03-causality.ipynb")      # waits for the kernel: "| Idle"
        lab_page.run_all()                       # Run > Run All Cells, waits until done
        assert lab_page.error_outputs() == []
        lab_page.widgets().first.wait_for()      # any ipywidgets view
        lab_page.page.locator(".widget-button", has_text="Deliver").click()
        lab_page.screenshot("03-causality")      # tests/artifacts/03-causality.png

    `lab_page.page` is the Playwright `Page` for anything else. Assert with
    `playwright.sync_api.expect(...)`, which retries until EXPECT_TIMEOUT_MS, never
    with a plain `assert` on `inner_text()` / `inner_html()` read once (that races
    the kernel); `expect_redrawn(locator, before)` waits for a redraw, and
    `option_index(select, pattern)` for an option to appear.
    ipywidgets 8 selectors: button `.widget-button`, slider `.widget-hslider`
    (handle `.noUi-handle`), readout `.widget-readout`, HTML `.widget-html`,
    Output `.widget-output`.
    """

    def __init__(self, page: Page, server: LabServer) -> None:
        self.page = page
        self.server = server

    def open(self, notebook: str, timeout_ms: float = 60_000) -> None:
        """Open `notebook` (path relative to the server root) alone and wait for its kernel.

        `?reset` makes JupyterLab clear its saved workspace first. The server
        lives for the whole session and saves the workspace (open tabs,
        layout) as a test goes; without the reset, the previous test's
        notebook would reopen beside this one and tests would not be independent.
        """
        self.page.goto(f"{self.server.url}/lab/tree/{notebook}?reset")
        self.page.locator(".jp-NotebookPanel").first.wait_for(timeout=timeout_ms)
        self.wait_kernel_idle(timeout_ms)

    def wait_kernel_idle(self, timeout_ms: float = 60_000) -> None:
        """Wait until the status bar reads "| Idle".

        The toolbar's indicator says idle before the kernel is connected, and
        Run All then opens a "Select Kernel" dialog instead of running; the
        status bar item is the reliable signal.
        """
        idle = self.page.locator(".jp-StatusBar-Item", has_text="| Idle")
        idle.first.wait_for(timeout=timeout_ms)

    def run_all(self, timeout_ms: float = 120_000) -> None:
        """Run > Run All Cells, then wait until no cell is queued or running."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-InputPrompt')]"
            ".some(p => p.textContent.includes('*'))",
            polling=RUN_ALL_POLL_MS,  # not every animation frame: the kernel needs the CPU
            timeout=timeout_ms,
        )
        self.wait_kernel_idle(timeout_ms)

    def widgets(self, min_count: int = 1, timeout_ms: float = 30_000) -> Locator:
        """All rendered ipywidgets views in outputs, after at least `min_count` appear."""
        views = self.page.locator(".jp-OutputArea-output .jupyter-widgets")
        if min_count > 0:
            views.nth(min_count - 1).wait_for(timeout=timeout_ms)
        return views

    def error_outputs(self) -> list[str]:
        """One line per error output in the current notebook: "cell N: Name: message".

        Read from the notebook model (`window.jupyterapp`), because the DOM
        renders tracebacks and stderr alike.
        """
        return self.page.evaluate(ERROR_OUTPUTS_JS)

    def screenshot(self, name: str) -> Path:
        """Save the visible page to tests/artifacts/NAME.png and return the path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path



def expect_redrawn(locator: Locator, before: str, prop: str = "innerHTML") -> None:
    """Wait until ``locator``'s ``prop`` (``innerHTML``, or ``innerText``) differs from
    ``before``, a snapshot of the same property: a redraw arrived.

    Reading ``inner_html()`` once right after a click races the kernel's answer; this
    retries like every Playwright ``expect``. (Not ``not_to_have_text(before)``: it
    compares whitespace-normalized textContent, which differs from an ``inner_text()``
    snapshot at once, so it would pass before anything was redrawn.)
    """
    expect(locator).not_to_have_js_property(prop, before)


def option_index(select: Locator, pattern: str, timeout_s: float = EXPECT_TIMEOUT_MS / 1000,
                 ) -> int:
    """The index of the first <option> matching the regex ``pattern`` (nbsp read as space).

    Waits until such an option is there: a select's options are redrawn by the kernel
    after a click, so reading them once can see the old list.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        texts = [t.replace("\xa0", " ").strip()
                 for t in select.locator("option").all_inner_texts()]
        matches = [i for i, text in enumerate(texts) if re.match(pattern, text)]
        if matches:
            return matches[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no option matching {pattern!r} after {timeout_s:g} s "
                                 f"in {texts}")
        time.sleep(0.1)


def type_readout(box: Locator, name: str, value: float) -> None:
    """Set the slider whose box has class ``cl-<name>`` inside ``box`` to ``value`` exactly,
    by typing into its readout (ipywidgets 8: click, select all, type, Enter)."""
    readout = box.locator(f".cl-{name} .widget-readout")
    readout.click()
    readout.press("Control+A")
    readout.type(str(value))
    readout.press("Enter")
