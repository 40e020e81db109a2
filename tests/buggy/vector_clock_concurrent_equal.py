"""Buggy: the chapter's concurrent (not a→b and not b→a) is true for equal clocks."""

import importlib.util
from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "vector_clock.py"
_spec = importlib.util.spec_from_file_location(f"{__name__}_solution", _SOLUTION)
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)


class VectorClock(_solution.VectorClock):
    def concurrent(self, other):
        return not self.happens_before(other) and not other.happens_before(self)
