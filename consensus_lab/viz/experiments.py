"""The protocol experiments as pandas DataFrames and matplotlib figures.

The experiments themselves run below ``viz`` and return plain rows (lists
of dicts) using the standard library only; this module is where they
become tables and plots for the notebooks. Each function has the name and
arguments the notebooks have always called.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..compare.chubby import chubby_comparison
from ..compare.paxos_raft import comparison_rows


def compare_with_raft(commands: int = 100, seed: int = 0, **options: Any) -> pd.DataFrame:
    """Multi-Paxos against Raft, one row per (protocol, workload): messages per
    command and by type (``msgs:<Type>`` columns) — :func:`~consensus_lab.compare.
    paxos_raft.comparison_rows` as a DataFrame."""
    return pd.DataFrame(comparison_rows(commands, seed, **options))


def chubby_table(seed: int = 0, **options: Any) -> pd.DataFrame:
    """:func:`~consensus_lab.compare.chubby.chubby_comparison` as a DataFrame."""
    return pd.DataFrame(chubby_comparison(seed, **options))
