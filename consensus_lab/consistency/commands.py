"""``consensus-lab bench lincheck`` and ``consensus-lab lincheck FILE``.

``lincheck FILE`` checks one history file; exit status 0 linearizable,
1 not, 3 unknown (timed out), 2 bad input; ``--html`` also draws it.
Command lines only (split from :mod:`.bench`): like every ``commands``
module it belongs in the one CLI package, which may import ``viz``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..viz.history import write_timeline_html
from .bench import bench_lincheck, default_data_dir
from .formats import FORMATS, default_model, guess_format, load
from .linearizability import check
from .models import MODELS


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
        try:
            write_timeline_html(history, result, args.html, title=f"lincheck {args.file.name}")
        except OSError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"timeline written to {args.html}")
    return {"ok": 0, "illegal": 1}.get(result.verdict, 3)


if __name__ == "__main__":
    sys.exit(main())
