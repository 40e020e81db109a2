"""Jepsen sweeps: many runs with consecutive seeds, the figures summed up (``bench jepsen``).

Lost acknowledged writes, verdicts, unknown outcomes, and the failover
times (fault to new leader, fault to first acknowledged write) over
``runs`` runs of one backend and nemesis. Benchmarks report figures; tests
never assert times.
"""

from __future__ import annotations

import statistics
from typing import Any

from .jepsen import JepsenConfig
from .simjepsen import run


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "min": None, "median": None, "max": None}
    return {"n": len(values), "min": round(min(values), 3),
            "median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def sweep(backend: str, nemesis: str, runs: int, first_seed: int = 0,
          seconds: float | None = None) -> dict[str, Any]:
    """``runs`` runs with consecutive seeds; the figures summed up."""
    verdicts: dict[str, int] = {}
    ops = acked = lost = infos = 0
    failovers: list[float] = []
    first_writes: list[float] = []
    odd: list[dict[str, Any]] = []
    for seed in range(first_seed, first_seed + runs):
        result = run(JepsenConfig(backend=backend, nemesis=nemesis, seed=seed, seconds=seconds))
        verdicts[result.check.verdict] = verdicts.get(result.check.verdict, 0) + 1
        ops += len(result.history)
        acked += result.acked_writes()
        lost += len(result.lost)
        infos += sum(1 for op in result.history if op.status == "info")
        failovers += [f.failover for f in result.faults if f.failover is not None]
        first_writes += [f.first_write for f in result.faults if f.first_write is not None]
        if result.check.verdict != "ok" or result.lost:
            odd.append({"seed": seed, "verdict": result.check.verdict,
                        "explanation": result.check.explanation,
                        "lost": [str(op) for op in result.lost]})
    return {"backend": backend, "nemesis": nemesis, "runs": runs, "ops": ops,
            "unknown_outcomes": infos, "acked_writes": acked, "lost_writes": lost,
            "verdicts": verdicts, "failover_s": _stats(failovers),
            "first_write_s": _stats(first_writes), "not_ok": odd}
