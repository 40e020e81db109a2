"""Pictures and tables of simulations: cluster and space-time diagrams, DataFrames.

Importing this package makes Graphviz work with or without a system ``dot``
(see :mod:`consensus_lab.viz.render`).
"""

from .cluster import cluster_diagram
from .render import GraphvizUnavailable, SvgDiagram, ensure_backend, to_svg
from .spacetime import default_label, spacetime_diagram
from .tables import nodes_table, pending_table, trace_table

ensure_backend()

__all__ = [
    "GraphvizUnavailable", "SvgDiagram", "cluster_diagram", "default_label", "ensure_backend",
    "nodes_table", "pending_table", "spacetime_diagram", "to_svg", "trace_table",
]
