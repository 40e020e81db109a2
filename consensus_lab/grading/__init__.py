"""Grading checks for the exercises, and the machinery that runs and reports them.

* :mod:`~consensus_lab.grading.base` — :class:`Check`, :class:`CheckResult`,
  :class:`GradingFailure` (what a check raises: property, kind, message, hint,
  and for simulator checks the seed, replay call and trace tail).
* :mod:`~consensus_lab.grading.vector_clock`, :mod:`~consensus_lab.grading.causal_delivery`
  — one module per exercise, each with a ``CHECKS`` tuple.
* :mod:`~consensus_lab.grading.answers` — finding and importing the answers file.
* :mod:`~consensus_lab.grading.runner` — runs checks here or in sandboxed workers.
* :mod:`~consensus_lab.grading.worker` — the worker process: one import, then its checks.
* :mod:`~consensus_lab.grading.sandbox` — memory limit; finding and stopping what
  the learner's code left running.
* :mod:`~consensus_lab.grading.report` — the text and HTML reports.

The registry lives above, in :mod:`consensus_lab.exercises` (which imports this
package, never the reverse); ``consensus-lab check`` in :mod:`consensus_lab.cli.check`.
"""

from consensus_lab.grading.base import Check, CheckResult, GradingFailure

__all__ = ["Check", "CheckResult", "GradingFailure"]
