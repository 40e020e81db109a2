"""Buggy: a cas whose compare failed (output False) still swaps in the new value."""

import importlib.util
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "register_model.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)

brute_force_linearizable = _solution.brute_force_linearizable


def cas_step(state, op):
    if op.f == "cas" and op.status == "ok" and op.output is False:
        expected, new = op.value
        return expected != state, new
    return _solution.cas_step(state, op)
