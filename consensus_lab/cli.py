"""``consensus-lab``: the lab's command line.

Subcommands: ``lab`` (open JupyterLab on the notebooks), ``check`` (grade
exercises), ``list`` (exercises and notebooks), ``demo NAME`` (a scripted
run that ends with its trace digest) and ``bench NAME`` (figures).
Heavy modules are imported inside each subcommand so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def _demos() -> dict[str, Callable[[list[str]], object]]:
    from .demos import DEMOS

    return DEMOS


def cmd_lab(args: argparse.Namespace) -> int:
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


def cmd_check(args: argparse.Namespace) -> int:
    """Grade one exercise, or all of them."""
    from .exercises import check_main

    return check_main(args.rest)


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


def cmd_list(args: argparse.Namespace) -> int:
    """Print the exercises and notebooks (as JSON with --json)."""
    from .exercises import list_exercises

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


def _paxos_demo() -> Callable[[list[str]], int]:
    from .paxos.commands import demo_main

    return demo_main


def _truetime_demo() -> Callable[[list[str]], int]:
    from .spanner.commands import demo_main

    return demo_main


def _commit_demo(name: str) -> Callable[[], Callable[[list[str]], int]]:
    def load() -> Callable[[list[str]], int]:
        from .commit import commands

        return {"2pc": commands.twopc_main, "3pc": commands.threepc_main,
                "saga": commands.saga_main}[name]
    return load


#: Demos that print their own report and digest and return an exit code.
_MAIN_DEMOS: dict[str, Callable[[], Callable[[list[str]], int]]] = {
    "paxos": _paxos_demo, "truetime": _truetime_demo,
    "2pc": _commit_demo("2pc"), "3pc": _commit_demo("3pc"), "saga": _commit_demo("saga"),
}


def cmd_demo(args: argparse.Namespace) -> int:
    """Run a scripted demo; it ends by printing its trace digest."""
    if args.name in _MAIN_DEMOS:
        return _MAIN_DEMOS[args.name]()(args.rest)
    demos = _demos()
    if args.name not in demos:
        names = sorted([*demos, *_MAIN_DEMOS])
        print(f"unknown demo {args.name!r}; choose one of: {', '.join(names)}",
              file=sys.stderr)
        return 2
    sim = demos[args.name](args.rest)
    print(f"trace digest: {sim.trace.digest()}")  # type: ignore[attr-defined]
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Print benchmark figures."""
    from . import bench
    from .consistency.commands import main as bench_lincheck
    from .etcd.commands import bench_main as bench_jepsen
    from .explore.commands import bench_main as bench_explore
    from .paxos.commands import bench_main as bench_paxos
    from .raft.commands import bench_raft
    from .spanner.commands import bench_main as bench_truetime

    benches = {"sim": bench.main, "raft": bench_raft, "paxos": bench_paxos,
               "explore": bench_explore,
               "truetime": bench_truetime,
               "lincheck": lambda argv: bench_lincheck(["lincheck", *argv]),
               "jepsen": bench_jepsen}
    if args.name not in benches:
        print(f"unknown benchmark {args.name!r}; choose one of: {', '.join(benches)}",
              file=sys.stderr)
        return 2
    return benches[args.name](args.rest)


def cmd_lincheck(args: argparse.Namespace) -> int:
    """Check a history file for linearizability (exit 0 ok, 1 not, 3 unknown, 2 bad input)."""
    from .consistency.commands import lincheck_main

    return lincheck_main(args.rest)


def cmd_jepsen(args: argparse.Namespace) -> int:
    """Jepsen-style run against etcd (exit 0 linearizable, 1 not, 3 unknown, 2 bad input)."""
    from .etcd.commands import jepsen_main

    return jepsen_main(args.rest)


def cmd_explore(args: argparse.Namespace) -> int:
    """Model-check a protocol (exit 0 no violation within the bounds, 1 violation, 2 bad input)."""
    from .explore.commands import explore_main

    return explore_main(args.rest)


def cmd_stress(args: argparse.Namespace) -> int:
    """Long randomized fault runs; exit 0 only with zero violations."""
    from .raft.commands import stress_raft

    if args.name != "raft":
        print(f"unknown stress run {args.name!r}; choose one of: raft", file=sys.stderr)
        return 2
    return stress_raft(args.rest)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="consensus-lab", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open JupyterLab on the notebooks (127.0.0.1, token on)")
    lab.add_argument("--port", type=int, default=0)
    lab.add_argument("--dry-run", action="store_true", help="print the command instead")
    lab.set_defaults(func=cmd_lab)
    check = sub.add_parser("check", help="grade your exercise answers")
    check.add_argument("rest", nargs=argparse.REMAINDER,
                       help="[EXERCISE] [--answers exercises|solutions|FILE.py] [--timeout S]")
    check.set_defaults(func=cmd_check)
    lst = sub.add_parser("list", help="list exercises and notebooks")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
    demo = sub.add_parser("demo", help="run a scripted demo and print its trace digest")
    demo.add_argument("name", help="demo name: clocks, raft, cap, paxos, truetime, 2pc, 3pc, "
                      "saga")
    demo.add_argument("rest", nargs=argparse.REMAINDER, help="--seed N and the demo's options")
    demo.set_defaults(func=cmd_demo)
    bench = sub.add_parser("bench", help="print benchmark figures, e.g. bench sim --json")
    bench.add_argument("name", help="benchmark name: sim, raft, paxos, lincheck, explore")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options for the benchmark")
    bench.set_defaults(func=cmd_bench)
    lincheck = sub.add_parser("lincheck", help="check a history file for linearizability")
    lincheck.add_argument("rest", nargs=argparse.REMAINDER,
                          help="FILE [--format jepsen|edn-kv|jsonl|csv] [--model M] [--timeout S]")
    lincheck.set_defaults(func=cmd_lincheck)
    jepsen = sub.add_parser("jepsen", help="concurrent clients and a nemesis against etcd "
                            "(embedded or real), the history checked for linearizability")
    jepsen.add_argument("rest", nargs=argparse.REMAINDER,
                        help="embedded|etcd [--clients N] [--seconds S] "
                        "[--nemesis none|kill|pause|partition] [--seed S] [--json] [--html FILE]")
    jepsen.set_defaults(func=cmd_jepsen)
    explore = sub.add_parser("explore", help="model-check a protocol: every schedule of a "
                             "small configuration, shortest counterexample")
    explore.add_argument("rest", nargs=argparse.REMAINDER,
                         help="PROTOCOL [--variant NAME] [--list-variants] [--depth N] "
                         "[--max-states N] [--json]")
    explore.set_defaults(func=cmd_explore)
    stress = sub.add_parser("stress", help="randomized fault runs, e.g. stress raft --seeds 1000")
    stress.add_argument("name", help="what to stress: raft")
    stress.add_argument("rest", nargs=argparse.REMAINDER, help="--seeds N, --seed S, --json")
    stress.set_defaults(func=cmd_stress)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``consensus-lab``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
