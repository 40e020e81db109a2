"""Consistency checking: histories, models, the linearizability checker, file formats.

``History`` (ops with ``[call, ret]`` intervals) ← ``models`` (pure step
functions) ← ``check`` (Wing & Gong / Lowe search, per key) → ``Result``
(verdict ``ok``/``illegal``/``unknown`` with a witness or culprit).
``naive_check`` is the chapter's toy checker, kept to show why it is wrong.
``check_sequential`` (small histories) and the ``sessions`` checkers (Terry et
al.'s four session guarantees) cover weaker models.
Standard library only; ``consensus_lab.viz.to_dataframe`` makes a history a DataFrame.
"""

from .formats import HistoryFormatError, load
from .history import History, Op
from .linearizability import Result, check
from .models import Model, cas_register, get_model, kv, register
from .naive import naive_check
from .sequential import check_sequential
from .sessions import (
    Violation,
    check_sessions,
    monotonic_reads,
    monotonic_writes,
    read_your_writes,
    writes_follow_reads,
)

__all__ = ["History", "HistoryFormatError", "Model", "Op", "Result", "Violation", "cas_register",
           "check", "check_sequential", "check_sessions", "get_model", "kv", "load",
           "monotonic_reads", "monotonic_writes", "naive_check", "read_your_writes", "register",
           "writes_follow_reads"]
