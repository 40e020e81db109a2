"""``consensus-lab bench lincheck`` and ``consensus-lab lincheck FILE``.

``bench lincheck`` runs the checker over Porcupine's test histories
(``../shared/bench-data/porcupine`` beside the repository, or ``--data``)
and compares each verdict with ``EXPECTED.tsv``: per set (etcd, kv) the
number of files, matches, the seconds spent in :func:`check` (search, and
for illegal histories the culprit shrinking — all a caller of ``check``
pays) and, separately, the seconds spent parsing the files, Porcupine's own
total from ``EXPECTED.tsv`` and our ratio to it,
the slowest file, and the process's peak memory. ``--repeat N`` reports
the median of N passes (the machine may be shared and noisy). Benchmarks
print figures; tests never assert times.

``lincheck FILE`` checks one history file; exit status 0 linearizable,
1 not, 3 unknown (timed out), 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .formats import FORMATS, default_model, guess_format, load
from .linearizability import check
from .models import MODELS

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


def main(argv: list[str] | None = None) -> int:
    """``bench lincheck [--json] [--data DIR] [--timeout S] [--repeat N]``."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench")
    parser.add_argument("what", choices=["lincheck"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", type=Path, default=None,
                        help="Porcupine data folder (holds EXPECTED.tsv and test_data/)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every set N times and report the median (default 1)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    data = args.data or default_data_dir()
    if not (data / "EXPECTED.tsv").is_file():
        print(f"error: no EXPECTED.tsv in {data}; pass --data DIR", file=sys.stderr)
        return 2
    report = bench_lincheck(data, args.timeout, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, s in report["sets"].items():
            ratio = f" = {s['ratio']}x Porcupine's {s['porcupine_seconds']:.2f} s" \
                if s["ratio"] is not None else ""
            print(f"{name:5} {s['matches']}/{s['files']} verdicts match  check {s['seconds']:.2f} s"
                  f"{ratio} (+ parse {s['parse_seconds']:.2f} s)  slowest "
                  f"{s['slowest']['file']} ({s['slowest']['seconds']:.2f} s)")
        print(f"peak RSS {report['peak_rss_mb']} MB")
    ok = all(s["matches"] == s["files"] for s in report["sets"].values())
    return 0 if ok else 1


def lincheck_main(argv: list[str] | None = None) -> int:
    """``lincheck FILE [--format F] [--model M] [--timeout S] [--html OUT]``: exit 0/1/3, 2 on
    bad input. ``--html OUT`` also writes a standalone timeline page of the history and verdict."""
    parser = argparse.ArgumentParser(prog="consensus-lab lincheck")
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", choices=FORMATS, default=None)
    parser.add_argument("--model", choices=sorted(MODELS), default=None)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--html", type=Path, default=None, metavar="OUT",
                        help="also write an offline HTML timeline of the history")
    args = parser.parse_args(argv)
    try:
        fmt = args.format or guess_format(args.file)
        history = load(args.file, fmt)
        result = check(history, args.model or default_model(fmt), timeout=args.timeout)
    except (OSError, ValueError) as err:  # HistoryFormatError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{result.verdict}: {result.explanation}")
    if result.verdict == "illegal":
        for op in result.culprit:
            print(f"  {op}")
    if args.html is not None:
        from ..viz.history import write_timeline_html

        try:
            write_timeline_html(history, result, args.html, title=f"lincheck {args.file.name}")
        except OSError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"timeline written to {args.html}")
    return {"ok": 0, "illegal": 1}.get(result.verdict, 3)


if __name__ == "__main__":
    sys.exit(main())
