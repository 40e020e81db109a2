"""Buggy: counts only the followers' match indexes, so the leader's own copy is missing."""


def new_commit_index(commit_index, current_term, my_last_index, match_indexes, term_at):
    majority = (len(match_indexes) + 1) // 2 + 1
    for n in range(my_last_index, commit_index, -1):
        if term_at(n) != current_term:
            continue
        if sum(1 for m in match_indexes if m >= n) >= majority:
            return n
    return commit_index
