"""Buggy: happens_before is <= (not strict): a clock happens before itself."""

import importlib.util
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "vector_clock.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)


class VectorClock(_solution.VectorClock):
    def happens_before(self, other):
        nodes = self.counters.keys() | other.counters.keys()
        return all(self[n] <= other[n] for n in nodes)

    def __le__(self, other):
        return self.happens_before(other)
