"""Pictures and tables of simulations: cluster and space-time diagrams, DataFrames.

Importing this package makes Graphviz work with or without a system ``dot``
(see :mod:`consensus_lab.viz.render`). Raft's own views (role diagram, logs
coloured by term, term timeline, state table) are in :mod:`.raft`.
"""

from .cluster import cluster_diagram
from .experiments import (
    backoff_experiment,
    cap_table,
    chubby_table,
    compare_with_raft,
    events_table,
    plot_cap,
    plot_spectrum,
    properties_table,
    spectrum_table,
)
from .history import history_timeline, op_label, write_jepsen_timeline, write_timeline_html
from .raft import (
    TERM_COLORS,
    raft_logs,
    raft_node_lines,
    raft_table,
    role_diagram,
    term_color,
    term_timeline,
)
from .render import GraphvizUnavailable, HtmlView, SvgDiagram, ensure_backend, to_svg
from .spacetime import default_label, schedule_spacetime, spacetime_diagram
from .tables import nodes_table, pending_table, to_dataframe, trace_table

ensure_backend()

__all__ = [
    "GraphvizUnavailable", "HtmlView", "SvgDiagram", "TERM_COLORS", "cluster_diagram",
    "default_label", "ensure_backend", "history_timeline", "nodes_table", "op_label",
    "pending_table", "raft_logs",
    "schedule_spacetime", "chubby_table", "compare_with_raft", "cap_table", "plot_cap",
    "plot_spectrum", "spectrum_table", "backoff_experiment", "events_table",
    "properties_table", "raft_node_lines",
    "raft_table", "role_diagram",
    "spacetime_diagram", "term_color", "term_timeline", "to_dataframe", "to_svg", "trace_table",
    "write_jepsen_timeline", "write_timeline_html",
]
