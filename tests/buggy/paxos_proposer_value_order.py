"""Buggy: picks the largest reported value instead of the highest ballot's value."""


def choose_value(promises, own_value):
    values = [p.accepted[1] for p in promises if p.accepted is not None]
    return max(values) if values else own_value
