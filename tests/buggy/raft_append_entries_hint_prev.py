"""Buggy: on a term mismatch the hint is prev_log_index, not the first index of the term."""


def consistency_check(log, prev_log_index, prev_log_term):
    ours = log.term_at(prev_log_index)
    if ours == prev_log_term:
        return True, 0, 0
    if ours is None:
        return False, 0, log.last_index + 1
    return False, ours, prev_log_index


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
