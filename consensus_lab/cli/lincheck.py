"""``consensus-lab lincheck FILE`` and ``consensus-lab bench lincheck``.

``lincheck FILE`` checks one history file; exit status 0 linearizable,
1 not, 3 unknown (timed out), 2 bad input (an unreadable file, or a line
that does not parse: the message names the file, the line and the format
expected).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..consistency.bench import bench_lincheck, default_data_dir
from ..consistency.formats import FORMATS, default_model, guess_format, load
from ..consistency.linearizability import check
from ..consistency.models import MODELS
from .args import (
    HOUR_S,
    existing_dir,
    existing_file,
    exit_code,
    fail,
    one_of,
    positive_int,
    positive_seconds,
    writable_file,
)

MAX_REPEAT = 20


@exit_code
def bench_main(argv: list[str] | None = None) -> int:
    """``bench lincheck [--json] [--data DIR] [--timeout S] [--repeat N]``."""
    parser = argparse.ArgumentParser(prog="consensus-lab bench lincheck")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", type=existing_dir, default=None,
                        help="Porcupine data folder (holds EXPECTED.tsv and test_data/)")
    parser.add_argument("--timeout", type=positive_seconds(HOUR_S), default=None,
                        help="seconds per file, at most 3600")
    parser.add_argument("--repeat", type=positive_int(MAX_REPEAT), default=1,
                        help=f"run every set N times and report the median, 1-{MAX_REPEAT} "
                        "(default 1)")
    args = parser.parse_args(argv)
    data = args.data or default_data_dir()
    if not (data / "EXPECTED.tsv").is_file():
        fail(parser, f"argument --data: no EXPECTED.tsv in {data}; pass --data DIR, a folder "
             "holding Porcupine's EXPECTED.tsv and test_data/")
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


@exit_code
def lincheck_main(argv: list[str] | None = None) -> int:
    """``lincheck FILE [--format F] [--model M] [--timeout S] [--html OUT]``: exit 0/1/3, 2 on
    bad input. ``--html OUT`` also writes a standalone timeline page of the history and verdict."""
    parser = argparse.ArgumentParser(prog="consensus-lab lincheck")
    parser.add_argument("file", type=existing_file)
    parser.add_argument("--format", type=one_of(FORMATS), default=None,
                        help=f"one of {', '.join(FORMATS)} (default: from the suffix)")
    parser.add_argument("--model", type=one_of(tuple(sorted(MODELS))), default=None,
                        help=f"one of {', '.join(sorted(MODELS))}")
    parser.add_argument("--timeout", type=positive_seconds(HOUR_S), default=None,
                        help="give up (verdict unknown) after this many seconds, at most 3600")
    parser.add_argument("--html", type=writable_file, default=None, metavar="OUT",
                        help="also write an offline HTML timeline of the history")
    args = parser.parse_args(argv)
    try:
        fmt = args.format or guess_format(args.file)
    except ValueError as err:
        fail(parser, f"argument --format: {err}")
    try:
        history = load(args.file, fmt)
        result = check(history, args.model or default_model(fmt), timeout=args.timeout)
    except (OSError, ValueError) as err:  # HistoryFormatError is a ValueError
        print(f"consensus-lab lincheck: error: {err}", file=sys.stderr)
        return 2
    print(f"{result.verdict}: {result.explanation}")
    if result.verdict == "illegal":
        for op in result.culprit:
            print(f"  {op}")
    if args.html is not None:
        from ..viz.history import write_timeline_html

        try:
            write_timeline_html(history, result, args.html,
                                title=f"lincheck {Path(args.file).name}")
        except OSError as err:
            print(f"consensus-lab lincheck: error: {err}", file=sys.stderr)
            return 2
        print(f"timeline written to {args.html}")
    return {"ok": 0, "illegal": 1}.get(result.verdict, 3)
