"""Grading checks for the exercises, and the machinery that runs and reports them.

* :mod:`~consensus_lab.grading.base` — :class:`Check`, :class:`CheckResult`,
  :class:`GradingFailure` (what a check raises: property, kind, message, hint,
  and for simulator checks the seed, replay call and trace tail).
* :mod:`~consensus_lab.grading.vector_clock`, :mod:`~consensus_lab.grading.causal_delivery`
  — one module per exercise, each with a ``CHECKS`` tuple.
* :mod:`~consensus_lab.grading.worker` — runs one check in a fresh process.
* :mod:`~consensus_lab.grading.report` — the text and HTML reports.

The registry and the entry points live in :mod:`consensus_lab.exercises`.
"""

from consensus_lab.grading.base import Check, CheckResult, GradingFailure

__all__ = ["Check", "CheckResult", "GradingFailure"]
