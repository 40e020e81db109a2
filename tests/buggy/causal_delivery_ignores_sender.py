"""Buggy: checks only the other entries; a gap or a duplicate from the sender is delivered."""


def can_deliver(sender, msg_vc, local):
    others = (msg_vc.keys() | local.keys()) - {sender}
    return all(msg_vc.get(k, 0) <= local.get(k, 0) for k in others)
