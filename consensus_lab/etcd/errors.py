"""The errors of the etcd-style API, the same on every backend.

Three kinds of failure must never be confused (Jepsen's ``ok / fail / info``):

* the request was **bad** (:class:`InvalidRequest`, :class:`LeaseNotFound`):
  nothing happened, and retrying will not help;
* the request **certainly did not happen** (:class:`Unavailable`): no member
  could take it (no leader, every member down), so it is safe to retry;
* the outcome is **unknown** (:class:`OutcomeUnknown`): the client gave up
  waiting. The write may have been applied, or may be applied later. This is
  never reported as a failure: a checker must treat it as "maybe".
"""

from __future__ import annotations

from typing import Any


class EtcdError(Exception):
    """Base class of every error raised by :mod:`consensus_lab.etcd`."""


class InvalidRequest(EtcdError, ValueError):
    """A malformed request: says which value was wrong and what is allowed."""


class LeaseNotFound(EtcdError):
    """The lease does not exist (never granted, revoked, or expired)."""

    def __init__(self, lease_id: int) -> None:
        super().__init__(f"lease {lease_id} not found: it was never granted, was revoked, "
                         f"or expired; grant a new one with lease_grant(ttl)")
        self.lease_id = lease_id


class Unavailable(EtcdError):
    """The request certainly did not take effect (no leader, no member reachable)."""


class OutcomeUnknown(EtcdError):
    """The client timed out: the operation may or may not have taken effect.

    ``operation`` names the call (``"put"``, ``"txn"``, ...) and ``detail``
    says what the client saw. Record it as ``info`` in a history, never as
    ``fail``.
    """

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"outcome of {operation} unknown: {detail} (it may or may not "
                         f"have taken effect)")
        self.operation = operation
        self.detail = detail


class EtcdNotInstalled(EtcdError, RuntimeError):
    """No ``etcd`` server binary on this machine."""

    HOW_TO = ("install it with `apt-get install etcd-server etcd-client` (Debian/Ubuntu; "
              "`make test` and `make lab` do this), or put the etcd binaries on PATH")

    def __init__(self, what: str = "etcd") -> None:
        super().__init__(f"{what} not found: {self.HOW_TO}")


class EtcdClientNotInstalled(EtcdError, ImportError):
    """The Python client for the real backend (python3-etcd3) is missing."""

    def __init__(self, cause: Any = None) -> None:
        super().__init__("the real etcd backend needs the python3-etcd3 package: "
                         "run `.venv/bin/pip install -e '.[dev]'` (or `make test`); "
                         f"import failed with {cause!r}")
