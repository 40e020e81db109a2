"""Buggy: never looks at the request's term, so a request from a finished election wins."""


def log_up_to_date(my_last_term, my_last_index, cand_last_term, cand_last_index):
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def grant_vote(current_term, voted_for, my_last_term, my_last_index, req):
    if voted_for not in (None, req.candidate_id):
        return False
    return log_up_to_date(my_last_term, my_last_index, req.last_log_term, req.last_log_index)
