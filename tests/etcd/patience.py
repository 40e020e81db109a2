"""How long the real-etcd tests wait: generous, because CI machines are loaded.

A wait for a condition (a leader, a member back, a lease gone) returns as soon
as the condition holds, so a long deadline costs nothing on a fast machine;
only a condition that never comes uses all of it, and then the test skips
with the reason (or fails, when the condition is the behaviour under test).
"""

from __future__ import annotations

#: Seconds to wait for a condition before giving up.
DEADLINE_S = 60.0
#: Per-request timeout of clients whose requests must succeed.
REQUEST_TIMEOUT_S = 15.0
