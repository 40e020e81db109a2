"""consensus-lab: run, break and fix the protocols of DDIA chapter 9.

The core (``consensus_lab.sim``, ``consistency`` and the protocol packages up
to ``explore``) imports only the standard library; pandas, matplotlib,
graphviz and ipywidgets live in ``viz`` and ``widgets``. The layers are in
ARCHITECTURE.md and checked by ``lint-imports``.
"""

__version__ = "0.1.0"
