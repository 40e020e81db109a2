"""Buggy: always proposes its own value, whatever the promises report (breaks P2c)."""


def choose_value(promises, own_value):
    return own_value
