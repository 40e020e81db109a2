"""The linearizability checker's benchmark over Porcupine's histories.

:func:`bench_lincheck` (``consensus-lab bench lincheck``, whose command
line is in :mod:`.commands`) runs the checker over Porcupine's test histories
(``../shared/bench-data/porcupine`` beside the repository, or ``--data``)
and compares each verdict with ``EXPECTED.tsv``: per set (etcd, kv) the
number of files, matches, the seconds spent in :func:`check` (search, and
for illegal histories the culprit shrinking — all a caller of ``check``
pays) and, separately, the seconds spent parsing the files, Porcupine's own
total from ``EXPECTED.tsv`` and our ratio to it,
the slowest file, and the process's peak memory. ``--repeat N`` reports
the median of N passes (the machine may be shared and noisy). Benchmarks
print figures; tests never assert times.
"""

from __future__ import annotations

import csv
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .formats import default_model, guess_format, load
from .linearizability import check

SETS = {"etcd": "jepsen", "kv": "kv"}  # set name -> folder under test_data


def default_data_dir() -> Path:
    """``<repo>/../shared/bench-data/porcupine``."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "bench-data" / "porcupine"


def read_expected(data: Path) -> list[tuple[str, int, bool]]:
    """(relative file, number of ops, expected linearizable) rows of ``EXPECTED.tsv``."""
    with open(data / "EXPECTED.tsv", newline="") as f:
        return [(row["file"], int(row["n_ops"]), row["expected_linearizable"] == "true")
                for row in csv.DictReader(f, delimiter="\t")]


def _run_set(data: Path, folder: str, rows: list[tuple[str, int, bool]],
             timeout: float | None) -> dict[str, Any]:
    """One pass over one set: verdicts, check and parse seconds, the slowest file."""
    files = matches = 0
    check_s = parse_s = 0.0
    slowest = ("", 0.0)
    mismatches = []
    for rel, _n_ops, expected in rows:
        if Path(rel).parent.name != folder:
            continue
        path = data / rel
        fmt = guess_format(path)
        start = time.perf_counter()
        history = load(path, fmt)
        parsed = time.perf_counter()
        result = check(history, default_model(fmt), timeout=timeout)
        seconds = time.perf_counter() - parsed
        files += 1
        parse_s += parsed - start
        check_s += seconds
        if result.linearizable is expected:
            matches += 1
        else:
            mismatches.append({"file": rel, "verdict": result.verdict,
                               "expected": "ok" if expected else "illegal"})
        if seconds > slowest[1]:
            slowest = (rel, seconds)
    return {"files": files, "matches": matches, "seconds": check_s, "parse_seconds": parse_s,
            "slowest": {"file": slowest[0], "seconds": round(slowest[1], 3)},
            "mismatches": mismatches}


def bench_lincheck(data: Path, timeout: float | None = None, repeat: int = 1) -> dict[str, Any]:
    """Check every file of every set ``repeat`` times; figures per set.

    ``seconds`` is the time spent in :func:`check` (the search, and for an
    illegal history the culprit shrinking and explanation), the median over
    the repeats; ``parse_seconds`` the time spent reading the files (median);
    ``porcupine_seconds`` the total of ``EXPECTED.tsv``'s column (Porcupine,
    Go, as measured by whoever made the file), and ``ratio`` = seconds / porcupine_seconds.
    """
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an int >= 1, got {repeat!r}")
    rows = read_expected(data)
    porcupine = read_porcupine_seconds(data)
    out: dict[str, Any] = {"data": str(data), "repeat": repeat, "sets": {}}
    for name, folder in SETS.items():
        runs = [_run_set(data, folder, rows, timeout) for _ in range(repeat)]
        median = sorted(runs, key=lambda run: run["seconds"])[(repeat - 1) // 2]
        theirs = sum(s for rel, s in porcupine.items() if Path(rel).parent.name == folder)
        out["sets"][name] = {
            **median, "seconds": round(median["seconds"], 3),
            "parse_seconds": round(statistics.median(r["parse_seconds"] for r in runs), 3),
            "runs_seconds": [round(r["seconds"], 3) for r in runs],
            "porcupine_seconds": round(theirs, 3),
            "ratio": round(median["seconds"] / theirs, 2) if theirs else None}
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = round(usage / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    return out


def read_porcupine_seconds(data: Path) -> dict[str, float]:
    """Porcupine's own checking time per file (``EXPECTED.tsv``), when the column is there."""
    with open(data / "EXPECTED.tsv", newline="") as f:
        return {row["file"]: float(row.get("porcupine_seconds") or 0)
                for row in csv.DictReader(f, delimiter="\t")}
