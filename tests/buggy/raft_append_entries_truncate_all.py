"""Buggy: always deletes everything after prev_log_index, even when the entries match,
so a stale or duplicated message throws away entries already acknowledged."""


def consistency_check(log, prev_log_index, prev_log_term):
    ours = log.term_at(prev_log_index)
    if ours == prev_log_term:
        return True, 0, 0
    if ours is None:
        return False, 0, log.last_index + 1
    first = prev_log_index
    while first > 1 and log.term_at(first - 1) == ours:
        first -= 1
    return False, ours, first


def merge_entries(log, prev_log_index, entries):
    if not entries:
        return False
    if prev_log_index < log.last_index:
        log.truncate_from(prev_log_index + 1)
    for entry in entries:
        log.append(entry)
    return True
