"""Buggy: merge loops over its own nodes only and misses nodes it has not seen."""

import importlib.util
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "vector_clock.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)


class VectorClock(_solution.VectorClock):
    def merge(self, other):
        for node in self.counters:
            self.counters[node] = max(self[node], other[node])
