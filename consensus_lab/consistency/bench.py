"""``consensus-lab bench lincheck`` and ``consensus-lab lincheck FILE``.

``bench lincheck`` runs the checker over Porcupine's test histories
(``../shared/bench-data/porcupine`` beside the repository, or ``--data``)
and compares each verdict with ``EXPECTED.tsv``: per set (etcd, kv) the
number of files, matches, total seconds and the slowest file, plus the
process's peak memory. Benchmarks print figures; tests never assert times.

``lincheck FILE`` checks one history file; exit status 0 linearizable,
1 not, 3 unknown (timed out), 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
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


def bench_lincheck(data: Path, timeout: float | None = None) -> dict[str, Any]:
    """Check every file of every set; figures per set."""
    out: dict[str, Any] = {"data": str(data), "sets": {}}
    for name, folder in SETS.items():
        files = matches = 0
        total, slowest = 0.0, ("", 0.0)
        mismatches = []
        for rel, _n_ops, expected in read_expected(data):
            if Path(rel).parent.name != folder:
                continue
            path = data / rel
            fmt = guess_format(path)
            history = load(path, fmt)
            start = time.perf_counter()
            result = check(history, default_model(fmt), timeout=timeout)
            seconds = time.perf_counter() - start
            files += 1
            total += seconds
            if result.linearizable is expected:
                matches += 1
            else:
                mismatches.append({"file": rel, "verdict": result.verdict,
                                   "expected": "ok" if expected else "illegal"})
            if seconds > slowest[1]:
                slowest = (rel, seconds)
        out["sets"][name] = {"files": files, "matches": matches, "seconds": round(total, 3),
                             "slowest": {"file": slowest[0], "seconds": round(slowest[1], 3)},
                             "mismatches": mismatches}
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = round(usage / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """``bench lincheck [--json] [--data DIR] [--timeout S]``."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench")
    parser.add_argument("what", choices=["lincheck"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", type=Path, default=None,
                        help="Porcupine data folder (holds EXPECTED.tsv and test_data/)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per file")
    args = parser.parse_args(argv)
    data = args.data or default_data_dir()
    if not (data / "EXPECTED.tsv").is_file():
        print(f"error: no EXPECTED.tsv in {data}; pass --data DIR", file=sys.stderr)
        return 2
    report = bench_lincheck(data, args.timeout)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, s in report["sets"].items():
            print(f"{name:5} {s['matches']}/{s['files']} verdicts match  {s['seconds']:.2f} s  "
                  f"slowest {s['slowest']['file']} ({s['slowest']['seconds']:.2f} s)")
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
