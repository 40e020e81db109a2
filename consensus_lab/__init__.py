"""consensus-lab: run, break and fix the protocols of DDIA chapter 9.

The core (``consensus_lab.sim`` and the protocol packages) imports only the
standard library; pandas, graphviz and ipywidgets are imported lazily by
``viz``, ``widgets`` and ``to_dataframe()`` methods.
"""

__version__ = "0.1.0"
