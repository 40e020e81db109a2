"""Buggy: the commit timestamp is taken from earliest, the optimistic end of the interval,
so a later transaction on a slower clock can get a larger one only by luck."""


def commit_timestamp(now, last_timestamp):
    return max(now.earliest, last_timestamp + 1)


def commit_wait_over(now, s):
    return now.earliest > s
