"""Buggy: the Figure 8 mistake — commits the highest N on a majority whatever its term."""


def new_commit_index(commit_index, current_term, my_last_index, match_indexes, term_at):
    majority = (len(match_indexes) + 1) // 2 + 1
    for n in range(my_last_index, commit_index, -1):
        if 1 + sum(1 for m in match_indexes if m >= n) >= majority:
            return n
    return commit_index
