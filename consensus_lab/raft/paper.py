"""The sentences of the Raft paper each effect carries out (its ``rule`` tag).

Every :class:`~consensus_lab.sim.step.Persist`, ``Send``, ``SetTimer``,
``CancelTimer``, ``Reply`` and ``Note`` a Raft step returns names one of
these (Ongaro & Ousterhout, "In Search of an Understandable Consensus
Algorithm", 2014: Figure 2 and the sections it cites). The trace and the
player show them beside the event; the paper-rule tests assert them.
"""

from __future__ import annotations

# -- All Servers / persistence ------------------------------------------------------
TERM_RULE = ("Raft §5.1, Figure 2 (All Servers): if RPC request or response contains "
             "term T > currentTerm: set currentTerm = T, convert to follower")
PERSIST_STATE = ("Raft Figure 2: persistent state (currentTerm, votedFor) is updated on "
                 "stable storage before responding to RPCs")
PERSIST_LOG = ("Raft Figure 2: persistent state (log[]) is updated on stable storage "
               "before responding to RPCs or sending entries")
FOLLOWER_NO_HEARTBEAT = "Raft §5.2: only a leader sends heartbeats; a follower stops"
DEPOSED_TIMER = ("Raft §5.2, Figure 2 (Followers): a deposed leader waits for an election "
                 "timeout like any follower")

# -- elections (§5.2, §5.4.1) ---------------------------------------------------------
ELECTION_TIMER = ("Raft §5.2: election timeouts are chosen randomly from a fixed interval, "
                  "so split votes are rare")
START_ELECTION = ("Raft §5.2, Figure 2 (Candidates): on conversion to candidate, increment "
                  "currentTerm, vote for self, reset election timer")
REQUEST_VOTES = ("Raft §5.2, Figure 2 (Candidates): send RequestVote RPCs to all other "
                 "servers")
VOTE_REPLY = ("Raft Figure 2, RequestVote receiver: reply false if term < currentTerm; grant "
              "if votedFor is null or candidateId and the candidate's log is at least as "
              "up-to-date (§5.2, §5.4.1)")
VOTE_RESETS_TIMER = ("Raft Figure 2 (Followers): the election timeout restarts on granting "
                     "a vote to a candidate")
WON = "Raft §5.2, Figure 2 (Candidates): if votes received from majority of servers: become leader"
LEADER_NO_ELECTION = "Raft §5.2: a leader keeps its authority by heartbeats; it does not time out"
HEARTBEAT = ("Raft §5.2, Figure 2 (Leaders): upon election and during idle periods send "
             "AppendEntries (heartbeat) to each server to prevent election timeouts")

# -- replication (§5.3), commitment (§5.4.2) ------------------------------------------------
APPEND = ("Raft §5.3, Figure 2 (Leaders): if last log index >= nextIndex for a follower: "
          "send AppendEntries RPC with log entries starting at nextIndex")
REPLICATE_SOON = ("Raft §5.3: the leader appends the command to its log as a new entry, "
                  "then issues AppendEntries in parallel (one round per batch)")
RETRY_APPEND = ("Raft §5.3, Figure 2 (Leaders): if AppendEntries fails because of log "
                "inconsistency: decrement nextIndex and retry")
STALE_TERM_REJECT = "Raft Figure 2, AppendEntries receiver 1: reply false if term < currentTerm"
CONSISTENCY_REJECT = ("Raft §5.3, Figure 2, AppendEntries receiver 2: reply false if log doesn't "
                      "contain an entry at prevLogIndex whose term matches prevLogTerm")
APPEND_OK = ("Raft Figure 2, AppendEntries receivers 3-5: delete conflicting entries, append "
             "new ones, set commitIndex = min(leaderCommit, index of last new entry); "
             "reply true")
LEADER_RESETS_TIMER = ("Raft Figure 2 (Followers): the election timeout restarts on "
                       "AppendEntries from the current leader")
COMMITTED_REPLY = ("Raft §5.3, §8: once the entry is committed and applied, the leader "
                   "returns the result of that execution to the client")
LOST_REPLY = ("Raft §8: the entry at the client's index is of another term: its command was "
              "overwritten and never executed")
NOT_LEADER = ("Raft §8: a server that is not the leader rejects the client's request and "
              "names the most recent leader it knows")
BAD_COMMAND = "Raft §8: a malformed command never enters the log (every server would apply it)"

# -- snapshots (§7) -----------------------------------------------------------------------------
SNAPSHOT_SEND = ("Raft §7: the leader sends InstallSnapshot to a follower that lags behind "
                 "the entries it has discarded")
SNAPSHOT_SAVE = ("Raft §7, Figure 13 (InstallSnapshot receiver): save the snapshot, discard "
                 "the log it covers, reset the state machine")
SNAPSHOT_REPLY = "Raft §7, Figure 13: reply with the receiver's term once the snapshot is in"
SNAPSHOT_TAKE = ("Raft §7: each server takes snapshots independently, covering just the "
                 "committed entries in its log")
