"""Shared pytest configuration for consensus-lab.

Options:
    --answers {exercises,solutions}: which implementation the exercise-grading
        tests import (default: solutions). `consensus-lab check NAME` grades the
        learner's `exercises/` with `--answers exercises`.

Fixtures here are available to every test; add new shared ones below.
"""

from __future__ import annotations

import pytest

ANSWER_SETS = ("exercises", "solutions")


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
