"""Buggy: waits until latest passes s — one tick, since s was latest — instead of earliest."""


def commit_timestamp(now, last_timestamp):
    return max(now.latest, last_timestamp + 1)


def commit_wait_over(now, s):
    return now.latest > s
