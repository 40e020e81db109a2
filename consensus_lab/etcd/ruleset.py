"""Loading a lock *rules module*: the library's :mod:`.rules` or a learner's file.

A rules module defines ``acquire``, ``release``, ``keep_alive`` and
``accept_write``. Both the pause story (:mod:`.story`) and the holder
process it freezes (:mod:`.holder`) load one, so the loader is its own
module below both.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

from . import rules as reference_rules
from .errors import InvalidRequest

RULE_NAMES = ("acquire", "release", "keep_alive", "accept_write")
_module_numbers = itertools.count(1)


def load_rules(rules: ModuleType | str | Path | None = None) -> ModuleType:
    """The rules module: the library's (None), a module, or a ``.py`` file loaded by path."""
    if rules is None:
        return reference_rules
    if isinstance(rules, str | Path):
        path = Path(rules)
        if not path.is_file() or path.suffix != ".py":
            raise InvalidRequest(f"rules must be a module or a path to a .py file, got {rules!r}")
        spec = importlib.util.spec_from_file_location(f"_lock_rules_{next(_module_numbers)}",
                                                      path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rules = module
    missing = [name for name in RULE_NAMES if not callable(getattr(rules, name, None))]
    if missing:
        raise InvalidRequest(f"rules module {getattr(rules, '__name__', rules)!r} lacks "
                             f"{', '.join(missing)}; it needs {', '.join(RULE_NAMES)}")
    return rules


def rules_path(rules: ModuleType) -> str | None:
    """Where a holder process can load ``rules`` from (None: the library's own)."""
    return None if rules is reference_rules else getattr(rules, "__file__", None)
