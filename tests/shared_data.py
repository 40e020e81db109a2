"""Where the lab's shared data lives, and how tests skip without it.

The shared directory (``../shared`` beside the repository, or
``$CONSENSUS_LAB_SHARED``) holds data too large or not ours to commit:
Porcupine's histories (``bench-data/porcupine``) and the chapter
(``chapter``). A test that needs it skips, naming the path it looked for::

    from tests.shared_data import shared_missing, shared_path

    DATA = shared_path("bench-data/porcupine", needs="EXPECTED.tsv")
    needs_data = pytest.mark.skipif(DATA is None, reason=shared_missing(
        "bench-data/porcupine", needs="EXPECTED.tsv"))

Inside a test, ``require_shared(...)`` returns the path or skips. To see
every such test skip: ``CONSENSUS_LAB_SHARED=/nonexistent pytest ...``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_ENV = "CONSENSUS_LAB_SHARED"


def shared_root() -> Path:
    """The shared data directory: ``$CONSENSUS_LAB_SHARED``, else ``../shared``."""
    override = os.environ.get(SHARED_ENV)
    return Path(override) if override else REPO.parent / "shared"


def shared_path(relative: str, needs: str = "") -> Path | None:
    """``shared_root() / relative`` if it exists (and holds ``needs``, when given), else None.

    Module level, for ``skipif``::

        DATA = shared_path("bench-data/porcupine", needs="EXPECTED.tsv")
        needs_data = pytest.mark.skipif(DATA is None, reason=shared_missing(...))
    """
    path = shared_root() / relative
    wanted = path / needs if needs else path
    return path if wanted.exists() else None


def shared_missing(relative: str, needs: str = "") -> str:
    """The skip reason when ``shared_path(relative, needs)`` is None."""
    wanted = shared_root() / relative / needs if needs else shared_root() / relative
    return (f"shared data not found: {wanted} (the lab's ../shared directory beside the "
            f"repository; set {SHARED_ENV} to use another copy)")


def require_shared(relative: str, needs: str = "") -> Path:
    """The shared path, or skip the calling test with the reason (inside a test)."""
    path = shared_path(relative, needs)
    if path is None:
        pytest.skip(shared_missing(relative, needs))
    return path
