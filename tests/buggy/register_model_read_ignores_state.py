"""Buggy: a read is always legal — it never compares what it returned with the state."""

import importlib.util
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "register_model.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)

brute_force_linearizable = _solution.brute_force_linearizable


def cas_step(state, op):
    if op.f == "read":
        return True, state
    return _solution.cas_step(state, op)
