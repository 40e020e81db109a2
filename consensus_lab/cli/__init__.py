"""``consensus-lab``: the lab's command line.

Subcommands: ``lab`` (open JupyterLab on the notebooks), ``check`` (grade
exercises), ``list`` (exercises and notebooks), ``demo NAME`` (a scripted
run that ends with its trace digest), ``bench NAME`` (figures), ``stress``,
``lincheck``, ``jepsen`` and ``explore``.

Theory of operation: this package is the only command-line code of the lab;
one module per command group (:mod:`.raft`, :mod:`.paxos`, :mod:`.truetime`,
:mod:`.commit`, :mod:`.jepsen`, :mod:`.explore`, :mod:`.lincheck`,
:mod:`.sim`, :mod:`.demo`, :mod:`.check`, :mod:`.lab`). Each group's
``*_main(argv) -> int`` parses its options with the shared validators of
:mod:`.args` (every value checked before anything runs; a bad one exits 2
with the option's name and what is allowed), then calls library code and
prints. Heavy modules are imported inside each subcommand so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

__all__ = ["BENCHES", "DEMOS", "STRESS", "build_parser", "main"]

Main = Callable[[list[str]], int]

#: name -> (module in this package, function): ``consensus-lab demo NAME``.
DEMOS: dict[str, tuple[str, str]] = {
    "clocks": ("demo", "clocks_main"), "raft": ("raft", "demo_main"),
    "cap": ("demo", "cap_main"), "paxos": ("paxos", "demo_main"),
    "truetime": ("truetime", "demo_main"), "2pc": ("commit", "twopc_main"),
    "3pc": ("commit", "threepc_main"), "saga": ("commit", "saga_main"),
}
#: ``consensus-lab bench NAME``.
BENCHES: dict[str, tuple[str, str]] = {
    "sim": ("sim", "bench_main"), "raft": ("raft", "bench_main"),
    "paxos": ("paxos", "bench_main"), "lincheck": ("lincheck", "bench_main"),
    "explore": ("explore", "bench_main"), "truetime": ("truetime", "bench_main"),
    "jepsen": ("jepsen", "bench_main"),
}
#: ``consensus-lab stress NAME``.
STRESS: dict[str, tuple[str, str]] = {"raft": ("raft", "stress_main")}
#: The other subcommands: name -> (module, function, help, usage of the rest).
COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "check": ("check", "check_main", "grade your exercise answers",
              "[EXERCISE] [--answers exercises|solutions|DIR|FILE.py] [--timeout S]"),
    "lincheck": ("lincheck", "lincheck_main", "check a history file for linearizability",
                 "FILE [--format jepsen|edn-kv|jsonl|csv] [--model M] [--timeout S] "
                 "[--html OUT]"),
    "jepsen": ("jepsen", "jepsen_main", "concurrent clients and a nemesis against etcd "
               "(embedded or real), the history checked for linearizability",
               "embedded|etcd [--clients N] [--seconds S] [--nemesis none|kill|pause|partition "
               "(partition: embedded only)] [--seed S] [--json] [--html FILE]"),
    "explore": ("explore", "explore_main", "model-check a protocol: every schedule of a small "
                "configuration, shortest counterexample",
                "PROTOCOL [--variant NAME] [--list-variants] [--depth N] [--max-states N] "
                "[--json]"),
}


def _load(module: str, function: str) -> Main:
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def _dispatch(kind: str, table: dict[str, tuple[str, str]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        if args.name not in table:
            print(f"consensus-lab {kind}: unknown {kind} {args.name!r}; choose one of: "
                  f"{', '.join(sorted(table))}", file=sys.stderr)
            return 2
        return _load(*table[args.name])(args.rest)
    return run


def _command(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    return lambda args: _load(module, function)(args.rest)


def _named_group(sub: argparse._SubParsersAction,
                 kind: str, table: dict[str, tuple[str, str]], help_text: str) -> None:
    names = ", ".join(table)
    parser = sub.add_parser(kind, help=f"{help_text} ({names})",
                            description=f"{help_text}. Names: {names}. "
                            f"`consensus-lab {kind} NAME --help` lists a name's options.")
    parser.add_argument("name", metavar="NAME", help=f"one of: {names}")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="the options of NAME")
    parser.set_defaults(func=_dispatch(kind, table))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from .args import int_in

    parser = argparse.ArgumentParser(prog="consensus-lab",
                                     description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open JupyterLab on the notebooks (127.0.0.1, token on)")
    lab.add_argument("--port", type=int_in(1024, 65535, "a port"), default=0,
                     help="port to listen on (1024-65535; default: JupyterLab's choice)")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead")
    lab.set_defaults(func=lambda args: _load("lab", "lab_main")(args))
    lst = sub.add_parser("list", help="list exercises and notebooks")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=lambda args: _load("lab", "list_main")(args))
    _named_group(sub, "demo", DEMOS, "run a scripted demo and print its trace digest")
    _named_group(sub, "bench", BENCHES, "print benchmark figures, e.g. bench sim --json")
    _named_group(sub, "stress", STRESS, "randomized fault runs, e.g. stress raft --seeds 1000")
    for name, (module, function, help_text, usage) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, add_help=False)
        command.add_argument("rest", nargs=argparse.REMAINDER, help=usage)
        command.set_defaults(func=_command(module, function))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``consensus-lab``: the exit code (2 for any bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:  # its own parser answers --help and every option
            module, function, _help, _usage = COMMANDS[argv[0]]
            return int(_load(module, function)(argv[1:]))
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except SystemExit as stop:  # argparse: 0 after --help, 2 after a usage error
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)


if __name__ == "__main__":
    sys.exit(main())
