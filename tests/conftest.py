"""Shared pytest configuration for consensus-lab.

Options:
    --answers {exercises,solutions}: which implementation the exercise-grading
        tests import (default: solutions). `consensus-lab check NAME` grades the
        learner's `exercises/` with `--answers exercises`.

Environment:
    CONSENSUS_LAB_SHARED: where the lab's shared data lives (Porcupine's
        histories in ``bench-data/porcupine``, the chapter in ``chapter``).
        Default: ``../shared`` beside the repository. Point it elsewhere to
        use another copy, or at a missing directory
        (``CONSENSUS_LAB_SHARED=/nonexistent pytest ...``) to see every test
        that needs the data skip, naming what it looked for.

Hypothesis: every test runs under the ``consensus-lab`` profile: no
per-example deadline and no "too slow" health check, because a loaded CI
machine is slow and no test may depend on the machine's speed.

The helpers (``shared_path``, ``require_shared``) live in tests/shared_data.py.

Fixtures here are available to every test; add new shared ones below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.shared_data import require_shared

ANSWER_SETS = ("exercises", "solutions")

settings.register_profile("consensus-lab", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("consensus-lab")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register `--answers`."""
    parser.addoption(
        "--answers",
        choices=ANSWER_SETS,
        default="solutions",
        help="grade exercises/ (the learner's work) or solutions/ (reference answers)",
    )


@pytest.fixture(scope="session")
def answers(pytestconfig: pytest.Config) -> str:
    """Which answer set the grading tests use: "exercises" or "solutions"."""
    return pytestconfig.getoption("--answers")


@pytest.fixture
def porcupine_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Porcupine's histories (``bench-data/porcupine``), or skip with where they were looked for.

    Also points the grading checks (which call ``default_data_dir()``) at the same place,
    so ``CONSENSUS_LAB_SHARED`` reaches them too.
    """
    data = require_shared("bench-data/porcupine", needs="EXPECTED.tsv")
    from consensus_lab.grading import register_model

    monkeypatch.setattr(register_model, "default_data_dir", lambda: data)
    return data
