"""Buggy: returns the highest N that qualifies, or 0 — never the old commit index, so a new
leader whose followers' match indexes are still 0 moves its commit index backwards."""


def new_commit_index(commit_index, current_term, my_last_index, match_indexes, term_at):
    majority = (len(match_indexes) + 1) // 2 + 1
    for n in range(my_last_index, 0, -1):
        if term_at(n) == current_term and 1 + sum(m >= n for m in match_indexes) >= majority:
            return n
    return 0
