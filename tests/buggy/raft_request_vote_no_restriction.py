"""Buggy: writes log_up_to_date but grant_vote never uses it (no election restriction)."""


def log_up_to_date(my_last_term, my_last_index, cand_last_term, cand_last_index):
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def grant_vote(current_term, voted_for, my_last_term, my_last_index, req):
    return req.term >= current_term and voted_for in (None, req.candidate_id)
