"""Consistency checking: histories, models, the linearizability checker, file formats.

``History`` (ops with ``[call, ret]`` intervals) ← ``models`` (pure step
functions) ← ``check`` (Wing & Gong / Lowe search, per key) → ``Result``
(verdict ``ok``/``illegal``/``unknown`` with a witness or culprit).
``naive_check`` is the chapter's toy checker, kept to show why it is wrong.
Standard library only; pandas is imported inside ``to_dataframe``.
"""

from .formats import HistoryFormatError, load
from .history import History, Op
from .linearizability import Result, check
from .models import Model, cas_register, get_model, kv, register
from .naive import naive_check

__all__ = ["History", "HistoryFormatError", "Model", "Op", "Result", "cas_register", "check",
           "get_model", "kv", "load", "naive_check", "register"]
