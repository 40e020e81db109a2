"""Buggy: adopts the first accepted proposal reported, not the highest-ballot one."""


def choose_value(promises, own_value):
    for promise in promises:
        if promise.accepted is not None:
            return promise.accepted[1]
    return own_value
