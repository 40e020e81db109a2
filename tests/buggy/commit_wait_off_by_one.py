"""Buggy: stops waiting when earliest reaches s, while true time may still be exactly s."""


def commit_timestamp(now, last_timestamp):
    return max(now.latest, last_timestamp + 1)


def commit_wait_over(now, s):
    return now.earliest >= s
