"""Buggy: the brute-force checker accepts any legal permutation, ignoring real time."""

import importlib.util
from itertools import permutations
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "register_model.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)

cas_step = _solution.cas_step


def brute_force_linearizable(history, step, init):
    return any(_solution.legal(order, step, init) for order in permutations(list(history)))
