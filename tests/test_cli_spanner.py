"""``consensus-lab demo truetime`` and ``bench truetime`` through the real CLI entry point."""

from __future__ import annotations

import json
import re

import pytest

from consensus_lab.cli import main

DIGEST = re.compile(r"trace digest: ([0-9a-f]{64})\n?$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_ends_with_a_digest_that_the_seed_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "truetime", "--epsilon", "10", "--seed", "3")
    assert code == 0 and DIGEST.search(out)
    assert "external consistency: holds for all 20 transactions" in out
    assert run(capsys, "demo", "truetime", "--epsilon", "10", "--seed", "3")[1] == out
    other = run(capsys, "demo", "truetime", "--epsilon", "10", "--seed", "4")[1]
    assert DIGEST.search(other).group(1) != DIGEST.search(out).group(1)  # type: ignore[union-attr]


def test_demo_without_commit_wait_shows_the_anomaly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "truetime", "--epsilon", "10", "--no-commit-wait",
                       "--scripted")
    assert code == 0 and "external consistency VIOLATED: T1 (c1) got its answer at t=" in out
    assert "snapshot at the second write's timestamp" in out and DIGEST.search(out)
    code, out, _ = run(capsys, "demo", "truetime", "--epsilon", "10", "--no-commit-wait",
                       "--seed", "24")
    assert code == 0 and "VIOLATED" in out


def test_demo_with_drift_past_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "truetime", "--epsilon", "5", "--drift", "20000",
                       "--txns", "40", "--seed", "1")
    assert code == 0 and "drift 20000 ppm" in out and DIGEST.search(out)
    errors = [int(e) for e in re.findall(r"n[14]=([+-]\d+)", out)]
    assert max(abs(e) for e in errors) > 5  # the clocks ran past ε


def test_demo_bad_option_names_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "demo", "truetime", "--epsilon", "-1")
    assert code == 2 and "argument --epsilon: must be a whole number from 0 to 1_000" in err
    assert "got '-1'" in err


def test_bench_json_reports_the_figure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "truetime", "--json", "--epsilons", "1,20",
                       "--txns", "10")
    figures = json.loads(out)
    assert code == 0 and [r["epsilon_ms"] for r in figures["rows"]] == [1, 20]
    assert figures["within_10_percent"] is True
    for row in figures["rows"]:
        assert row["predicted_ms"] == pytest.approx(2 * row["epsilon_ms"]
                                                    + row["message_latency_ms"], abs=0.02)


def test_bench_text_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "truetime", "--epsilons", "5", "--txns", "5")
    assert code == 0 and "worst deviation from 2ε + message latency" in out
    code, _, err = run(capsys, "bench", "truetime", "--epsilons", "5,x")
    assert code == 2 and "'5,x'" in err
