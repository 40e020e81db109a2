"""Buggy: indexes the vectors directly, so a node missing from one raises KeyError."""


def can_deliver(sender, msg_vc, local):
    if msg_vc[sender] != local[sender] + 1:
        return False
    return all(msg_vc[k] <= local[k] for k in msg_vc if k != sender)
