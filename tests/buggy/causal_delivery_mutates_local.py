"""Buggy: fills missing entries into ``local`` — it must only read its arguments."""


def can_deliver(sender, msg_vc, local):
    for k in msg_vc:
        local.setdefault(k, 0)
    if msg_vc.get(sender, 0) != local[sender] + 1:
        return False
    return all(msg_vc.get(k, 0) <= local[k] for k in local if k != sender)
