"""Buggy: forgets votedFor, so a second candidate in the same term also gets the vote."""


def log_up_to_date(my_last_term, my_last_index, cand_last_term, cand_last_index):
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def grant_vote(current_term, voted_for, my_last_term, my_last_index, req):
    if req.term < current_term:
        return False
    return log_up_to_date(my_last_term, my_last_index, req.last_log_term, req.last_log_index)
