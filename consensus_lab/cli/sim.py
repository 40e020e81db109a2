"""``consensus-lab bench sim``: simulator events per second against a bare heapq loop."""

from __future__ import annotations

import argparse
import json

from ..sim.bench import bench_sim
from .args import PROBABILITY, exit_code, int_in, positive_int

MAX_EVENTS = 10_000_000
MAX_NODES = 10_000
MAX_REPEAT = 20


@exit_code
def bench_main(argv: list[str] | None = None) -> int:
    """Entry point of ``consensus-lab bench sim``."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench sim",
                                     description="How fast the simulator runs, against a bare "
                                     "loop.")
    parser.add_argument("--events", type=positive_int(MAX_EVENTS), default=200_000,
                        help=f"events to time, 1-{MAX_EVENTS:_} (default 200_000)")
    parser.add_argument("--nodes", type=int_in(2, MAX_NODES), default=50,
                        help=f"gossiping nodes, 2-{MAX_NODES:_} (each needs a peer; default 50)")
    parser.add_argument("--drop", type=PROBABILITY, default=0.05,
                        help="share of messages dropped, 0-1 (default 0.05)")
    parser.add_argument("--repeat", type=positive_int(MAX_REPEAT), default=3,
                        help=f"best of N runs, 1-{MAX_REPEAT} (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    figures = bench_sim(args.events, args.nodes, args.drop, args.repeat)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>26}: {value}")
    return 0
