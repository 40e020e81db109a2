"""``consensus-lab demo clocks`` and ``demo cap`` (the other demos live beside their group).

Each demo builds and runs a simulation from its seed, prints what a learner
should look at, and ends with ``trace digest: <hex>``. The same seed gives
the same digest on every run and every machine, which is how a learner and
a teacher check they saw the same run.
"""

from __future__ import annotations

import argparse

from .args import add_seed, exit_code, int_in

MAX_SKEW_MS = 10_000


@exit_code
def clocks_main(argv: list[str]) -> int:
    """Everest with causal delivery, then a seeded random causal-broadcast run."""
    from ..clocks import NaiveBroadcastNode, delivered_texts, everest, random_broadcasts

    parser = argparse.ArgumentParser(prog="consensus-lab demo clocks")
    add_seed(parser, default=1)
    seed = parser.parse_args(argv).seed

    naive = everest(NaiveBroadcastNode, seed=seed)
    causal = everest(seed=seed)
    print("The Everest example (DDIA ch. 9, causal consistency):")
    print(f"  naive delivery at Charlie:  {delivered_texts(naive)['Charlie']}")
    print(f"  causal delivery at Charlie: {delivered_texts(causal)['Charlie']}")
    print("\nCharlie's events (vector clocks after each):")
    at_charlie = causal.trace.filter(kind=("start", "deliver", "note"),
                                     predicate=lambda r: r.node == "Charlie")
    for record in at_charlie:
        print(f"  {record}")
    sim = random_broadcasts(seed)
    print(f"\nRandom run, seed {seed}: {sim.steps} events, "
          f"{sim.stats['delivered']} messages delivered, "
          f"{sim.stats['duplicated']} duplicated; causal order held after every event.")
    print(f"trace digest: {sim.trace.digest()}")
    return 0


@exit_code
def cap_main(argv: list[str]) -> int:
    """The same partition against a CP store and an AP store: availability vs anomalies."""
    from ..consistency import History, check
    from ..stores import partition_experiment

    parser = argparse.ArgumentParser(prog="consensus-lab demo cap")
    add_seed(parser)
    parser.add_argument("--skew", type=int_in(-MAX_SKEW_MS, MAX_SKEW_MS), default=0,
                        help=f"clock skew of n1 (ms, within ±{MAX_SKEW_MS}), for LWW")
    args = parser.parse_args(argv)
    print("5 nodes; partition {n1,n2} | {n3,n4,n5} from t=500 to t=1500; one client per node")
    runs = []
    for store in ("cp", "ap"):
        skew = {"n1": args.skew} if args.skew and store == "ap" else None
        result = partition_experiment(store, seed=args.seed, clock_skew=skew)
        verdict = check(History.from_sim(result.history), "register").verdict
        print(f"  {result}   linearizable: {verdict}")
        runs.append(result)
    print("CP refuses the minority side and stays linearizable; AP answers everyone and "
          "reads stale values (with --skew, last-write-wins also loses writes).")
    print(f"trace digest: {runs[-1].sim.trace.digest()}")
    return 0
