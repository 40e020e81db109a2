"""``consensus-lab lab`` (JupyterLab on the notebooks) and ``consensus-lab list``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def lab_main(args: argparse.Namespace) -> int:
    """Open JupyterLab on notebooks/, bound to 127.0.0.1, token on."""
    jupyter = shutil.which("jupyter") or str(Path(sys.executable).with_name("jupyter"))
    argv = [jupyter, "lab", "--ip", "127.0.0.1", f"--notebook-dir={NOTEBOOKS}"]
    if args.port:
        argv.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    if args.dry_run:
        print(" ".join(argv))
        return 0
    os.execv(argv[0], argv)
    return 1  # not reached


def notebook_list() -> list[dict[str, str]]:
    """Every notebook in notebooks/, with its title (first heading)."""
    rows = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        title = path.stem
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            first = "".join(cells[0]["source"]).splitlines()[0] if cells else ""
            title = first.lstrip("# ").strip() or title
        except (OSError, ValueError, KeyError, IndexError):
            pass
        rows.append({"notebook": path.name, "title": title})
    return rows


def list_main(args: argparse.Namespace) -> int:
    """Print the exercises and notebooks (as JSON with --json)."""
    from ..exercises import list_exercises

    exercises = [{"name": ex.name, "title": ex.title, "notebook": ex.notebook,
                  "stub": f"exercises/{ex.name}.py", "checks": len(ex.checks)}
                 for ex in list_exercises()]
    notebooks = notebook_list()
    if args.json:
        print(json.dumps({"exercises": exercises, "notebooks": notebooks}, indent=2))
        return 0
    print("Exercises (grade with: consensus-lab check NAME)")
    for ex in exercises:
        print(f"  {ex['name']:<20} {ex['title']}  [{ex['notebook']}]")
    print("\nNotebooks (open with: consensus-lab lab)")
    for nb in notebooks:
        print(f"  {nb['notebook']:<34} {nb['title']}")
    return 0
