"""Buggy: ignores the leader's last timestamp, so two commits can share one timestamp."""


def commit_timestamp(now, last_timestamp):
    return now.latest


def commit_wait_over(now, s):
    return now.earliest > s
