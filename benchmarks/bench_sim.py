"""Simulator throughput against a bare heapq loop; prints JSON.

Same as ``consensus-lab bench sim --json``; options pass through, e.g.
``python benchmarks/bench_sim.py --events 500000``.
"""

import sys

from consensus_lab.cli.sim import bench_main as main

if __name__ == "__main__":
    sys.exit(main(["--json", *sys.argv[1:]]))
