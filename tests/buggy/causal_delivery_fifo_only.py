"""Buggy: FIFO order only (rule 1); ignores the other entries, so an answer beats its question."""


def can_deliver(sender, msg_vc, local):
    return msg_vc.get(sender, 0) == local.get(sender, 0) + 1
