"""Buggy: rule 1 with <= instead of == local + 1, so duplicates and old messages pass."""


def can_deliver(sender, msg_vc, local):
    if msg_vc.get(sender, 0) > local.get(sender, 0) + 1:
        return False
    others = (msg_vc.keys() | local.keys()) - {sender}
    return all(msg_vc.get(k, 0) <= local.get(k, 0) for k in others)
