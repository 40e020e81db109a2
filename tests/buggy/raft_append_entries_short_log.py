"""Buggy: rejects only a term mismatch; a log too short to have prev_log_index passes."""


def consistency_check(log, prev_log_index, prev_log_term):
    ours = log.term_at(prev_log_index)
    if ours is not None and ours != prev_log_term:
        first = prev_log_index
        while first > 1 and log.term_at(first - 1) == ours:
            first -= 1
        return False, ours, first
    return True, 0, 0


def merge_entries(log, prev_log_index, entries):
    for offset, entry in enumerate(entries):
        index = prev_log_index + 1 + offset
        ours = log.term_at(index)
        if ours == entry.term:
            continue
        if ours is not None:
            log.truncate_from(index)
        for rest in entries[offset:]:
            log.append(rest)
        return True
    return False
