"""The protocol experiments as pandas DataFrames and matplotlib figures.

The experiments themselves run below ``viz`` and return plain rows (lists
of dicts) using the standard library only; this module is where they
become tables and plots for the notebooks. Each function has the name and
arguments the notebooks have always called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..clocks.events import CausalEvent, event_rows
from ..compare.chubby import chubby_comparison
from ..compare.paxos_raft import comparison_rows
from ..paxos.properties import properties_rows
from ..paxos.scenarios import backoff_rows
from ..sim import Simulation
from ..stores.experiment import ExperimentResult, cap_rows
from ..stores.spectrum import DEFAULT_SEED, Runs, spectrum_rows


def compare_with_raft(commands: int = 100, seed: int = 0, **options: Any) -> pd.DataFrame:
    """Multi-Paxos against Raft, one row per (protocol, workload): messages per
    command and by type (``msgs:<Type>`` columns) — :func:`~consensus_lab.compare.
    paxos_raft.comparison_rows` as a DataFrame."""
    return pd.DataFrame(comparison_rows(commands, seed, **options))


def chubby_table(seed: int = 0, **options: Any) -> pd.DataFrame:
    """:func:`~consensus_lab.compare.chubby.chubby_comparison` as a DataFrame."""
    return pd.DataFrame(chubby_comparison(seed, **options))


def cap_table(results: Sequence[ExperimentResult]) -> pd.DataFrame:
    """The partition experiments, one row per store and side (:func:`~consensus_lab.
    stores.experiment.cap_rows` as a DataFrame)."""
    return pd.DataFrame(cap_rows(results))


def plot_cap(results: Sequence[ExperimentResult], ax: Any = None) -> Any:
    """Bars of availability during the partition and anomaly counts per store and side."""
    table = cap_table(results)
    if ax is None:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig, ax2 = ax.figure, ax.twinx()
    labels = [f"{s}\n{side}" for s, side in zip(table["store"], table["side"], strict=True)]
    xs = range(len(labels))
    ax.bar(xs, table["availability_in_partition"], color="tab:green")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("answered ok during partition")
    ax.set_xticks(list(xs), labels)
    width = 0.4
    ax2.bar([x - width / 2 for x in xs], table["stale_reads"], width, label="stale reads",
            color="tab:orange")
    ax2.bar([x + width / 2 for x in xs], table["lost_writes"], width, label="lost writes",
            color="tab:red")
    ax2.set_ylabel("count")
    ax2.set_xticks(list(xs), labels)
    ax2.legend()
    fig.tight_layout()
    return fig


def spectrum_table(runs: Runs = DEFAULT_SEED, *, sequential_limit: int = 24,
                   **options: Any) -> pd.DataFrame:
    """The consistency spectrum, one row per store (index ``store``), strongest first:
    :func:`~consensus_lab.stores.spectrum.spectrum_rows` as a DataFrame."""
    rows = spectrum_rows(runs, sequential_limit=sequential_limit, **options)
    return pd.DataFrame(rows).set_index("store")


def plot_spectrum(table: Any, ax: Any = None) -> Any:
    """Bars of mean read / write latency per store, p95 as whiskers, strongest on the left."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.2))
    else:
        fig = ax.figure
    xs = list(range(len(table.index)))
    width = 0.38
    for shift, f, color in ((-width / 2, "read", "tab:blue"), (width / 2, "write", "tab:orange")):
        means, p95 = table[f"{f}_mean"], table[f"{f}_p95"]
        ax.bar([x + shift for x in xs], means, width, color=color, label=f"{f} (mean)")
        ax.errorbar([x + shift for x in xs], means, yerr=[[0] * len(xs), list(p95 - means)],
                    fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xticks(xs, [f"{s}" for s in table.index])
    ax.set_ylabel("latency (ticks; whisker = p95)")
    ax.set_xlabel("stronger  ←  consistency  →  weaker")
    ax.legend()
    fig.tight_layout()
    return fig


def backoff_experiment(seeds: Iterable[int] = range(50), **options: Any) -> pd.DataFrame:
    """The FLP duel's P(decided within T) per backoff and horizon, as a DataFrame:
    :func:`consensus_lab.paxos.scenarios.backoff_rows` as a DataFrame."""
    return pd.DataFrame(backoff_rows(seeds, **options))


def properties_table(runs: Mapping[str, Simulation]) -> pd.DataFrame:
    """Agreement, validity and termination per named run (index ``run``):
    :func:`~consensus_lab.paxos.properties.properties_rows` as a DataFrame."""
    return pd.DataFrame(properties_rows(runs)).set_index("run")


def events_table(events: Sequence[CausalEvent]) -> pd.DataFrame:
    """The causal events of a run, indexed by id, with their vector clocks."""
    return pd.DataFrame(event_rows(events)).set_index("id")
