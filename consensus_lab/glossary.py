"""A bilingual glossary: English terms with the chapter's 繁體中文 (zh-TW) terms.

Notebooks show the rows they teach with ``glossary_table(topics)``; the
start-here notebook shows everything. Later chapters add rows here, never
in notebook cells, so one list stays the source of truth. Terms in zh-TW
follow the source chapter (``shared/chapter/08-consistency-and-consensus``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary row."""

    english: str
    zh_tw: str
    meaning: str
    topic: str
    notebook: str


TERMS: tuple[Term, ...] = (
    Term("consensus", "共識", "Several nodes agree on one value, despite failures.",
         "basics", "04-consensus-and-flp"),
    Term("node", "節點", "One process in the cluster, with its own state and clock.",
         "basics", "00-start-here"),
    Term("network partition", "網路分區",
         "Some nodes cannot reach others; messages between the sides are lost.",
         "basics", "02-cap"),
    Term("crash / pause", "崩潰 / 暫停",
         "A crashed node loses its memory; a paused one (GC) stops, then goes on.",
         "basics", "00-start-here"),
    Term("seed", "種子", "The number that fixes every random choice of a run: same seed, "
         "same run.", "basics", "00-start-here"),
    Term("consistency spectrum", "一致性光譜",
         "Linearizable → sequential → causal → eventual: weaker is faster.",
         "consistency", "01-consistency-models"),
    Term("linearizability", "線性一致性",
         "The system behaves as one copy; each operation takes effect at one instant "
         "between its call and its return.", "consistency", "01-consistency-models"),
    Term("sequential consistency", "順序一致性",
         "One order for all operations that respects each client's own order.",
         "consistency", "01-consistency-models"),
    Term("causal consistency", "因果一致性",
         "Everyone sees causes before their effects; unrelated events in any order.",
         "causality", "03-causality"),
    Term("eventual consistency", "最終一致性",
         "Replicas converge once writes stop; reads may be stale until then.",
         "consistency", "01-consistency-models"),
    Term("read-your-writes", "Read-Your-Writes 一致性 (讀己之寫)",
         "A client always sees its own earlier writes (a session guarantee, Terry et al. 1994).",
         "consistency", "01-consistency-models"),
    Term("quorum (N, R, W)", "法定人數 (Quorum)",
         "N replicas; a write waits for W acks, a read for R replies; R + W > N overlap.",
         "consistency", "02-cap"),
    Term("partition tolerance (CAP)", "分區容錯",
         "Keep working while the network is split: choose consistency or availability.",
         "consistency", "02-cap"),
    Term("happens-before", "發生在…之前 (因果關係)",
         "a → b when a could have influenced b: same node earlier, or via a message.",
         "causality", "03-causality"),
    Term("concurrent events", "並發事件",
         "Neither happened before the other: no message chain links them.",
         "causality", "03-causality"),
    Term("Lamport clock", "Lamport 時鐘",
         "One counter per node: tick on each event, take max+1 on receive.",
         "causality", "03-causality"),
    Term("vector clock", "向量時鐘",
         "One counter per node in every clock; compares events exactly by causality.",
         "causality", "03-causality"),
    Term("causal delivery", "因果傳遞",
         "Hold a message back until every message that caused it has been delivered.",
         "causality", "03-causality"),
    Term("agreement", "一致性 (Agreement)", "All nodes decide the same value.",
         "consensus", "04-consensus-and-flp"),
    Term("validity", "合法性 (Validity)", "The decided value was proposed by some node.",
         "consensus", "04-consensus-and-flp"),
    Term("termination", "終止性 (Termination)", "Every correct node eventually decides.",
         "consensus", "04-consensus-and-flp"),
    Term("FLP impossibility", "FLP 不可能結果",
         "No deterministic consensus in an asynchronous network if one node may fail.",
         "consensus", "04-consensus-and-flp"),
    Term("asynchronous network", "異步網路",
         "No bound on message delay or node speed, and no clocks: slow cannot be told from "
         "crashed.", "consensus", "04-consensus-and-flp"),
    Term("safety / liveness", "安全性 / 活性",
         "Safety: nothing bad ever happens (agreement, validity). Liveness: something good "
         "eventually happens (termination).", "consensus", "04-consensus-and-flp"),
    Term("livelock", "活鎖",
         "Nodes keep working but make no progress, e.g. two proposers outbidding each other "
         "for ever.", "consensus", "04-consensus-and-flp"),
    Term("timeout / randomized backoff", "超時 / 隨機退避",
         "Give up waiting after a while, and wait a random extra time before retrying, so "
         "competitors fall out of step.", "consensus", "04-consensus-and-flp"),
    Term("leader election", "Leader 選舉", "Choosing the one node that orders writes.",
         "raft", "05-raft-election"),
    Term("term", "任期 (Term)",
         "Raft's logical clock: numbered periods, each with at most one leader; every message "
         "carries the sender's term and a higher term always wins.", "raft", "05-raft-election"),
    Term("follower / candidate / leader", "Follower / Candidate / Leader (角色)",
         "A server's three roles: followers answer, a candidate asks for votes, the leader "
         "takes client commands and replicates them.", "raft", "05-raft-election"),
    Term("election timeout", "選舉超時",
         "How long a follower waits without hearing a leader before it stands for election; "
         "randomized (150–300 ms).", "raft", "05-raft-election"),
    Term("RequestVote", "請求投票 (RequestVote)",
         "The candidate's message “vote for me in term T”; each server votes at most "
         "once per term.", "raft", "05-raft-election"),
    Term("majority (quorum)", "多數派 / 多數票",
         "More than half of all servers (3 of 5); any two majorities share a server.",
         "raft", "05-raft-election"),
    Term("split vote", "分票",
         "Candidates split the votes so none has a majority; a new term starts after another "
         "timeout.", "raft", "05-raft-election"),
    Term("heartbeat", "心跳",
         "An empty AppendEntries the leader sends every 50 ms so followers do not time out.",
         "raft", "05-raft-election"),
    Term("log replication", "日誌複製", "The leader copies its log to followers.",
         "raft", "06-raft-replication"),
    Term("log entry", "日誌條目",
         "One command with the term in which the leader received it, at an index of the log.",
         "raft", "06-raft-replication"),
    Term("AppendEntries", "附加日誌 (AppendEntries)",
         "The leader's message carrying new entries (or none: a heartbeat), the index and term "
         "before them, and the leader's commit index.", "raft", "06-raft-replication"),
    Term("commit index", "提交索引 (commitIndex)",
         "The highest log index known to be committed: stored on a majority by its leader, so "
         "it will never be lost.", "raft", "06-raft-replication"),
    Term("last applied", "已應用索引 (lastApplied)",
         "The highest index applied to the state machine; applied entries are always committed.",
         "raft", "06-raft-replication"),
    Term("state machine", "狀態機",
         "The service the log drives (here a key-value store); every server applies the same "
         "commands in the same order.", "raft", "06-raft-replication"),
    Term("snapshot", "快照",
         "The state machine's state up to an index, replacing that prefix of the log; sent to "
         "a follower that is too far behind (InstallSnapshot).", "raft", "06-raft-replication"),
    Term("safety", "安全性保證", "Nothing bad ever happens, e.g. a committed entry is never lost.",
         "raft", "07-raft-safety"),
    Term("leader completeness", "Leader 完整性",
         "An entry committed in a term is in the log of every leader of every later term.",
         "raft", "07-raft-safety"),
    Term("election restriction", "選舉限制",
         "Vote only for a candidate whose log is at least as up to date as yours: a higher last "
         "term, or the same last term and at least as long.", "raft", "07-raft-safety"),
    Term("state machine safety", "狀態機安全性",
         "No two servers ever apply different commands at the same log index.",
         "raft", "07-raft-safety"),
    Term("atomic commit", "原子提交", "All participants commit, or all abort.",
         "commit", "09-atomic-commit"),
    Term("two-phase commit (2PC)", "兩階段提交", "Prepare, vote, then commit or abort.",
         "commit", "09-atomic-commit"),
    Term("three-phase commit (3PC)", "三階段提交",
         "Adds a pre-commit phase and timeouts; still unsafe under partitions.",
         "commit", "09-atomic-commit"),
    Term("revision", "修訂版本",
         "etcd's logical clock: +1 for every change to the store, never reused.",
         "etcd", "11-etcd-and-locks"),
    Term("create / mod revision, version", "建立/修改版本、版本號",
         "Per key: the revision that created it, the one that last changed it, and how many "
         "puts it has had.", "etcd", "11-etcd-and-locks"),
    Term("transaction (txn)", "交易",
         "If every compare holds then these operations, else those, all atomically.",
         "etcd", "11-etcd-and-locks"),
    Term("lease", "租約、存活時間 (TTL)",
         "A lock or role that expires unless renewed in time; etcd deletes the keys attached "
         "to a lease when its TTL runs out.", "etcd", "11-etcd-and-locks"),
    Term("keep-alive", "續約", "Renew a lease for another TTL (a holder does it every TTL/3 "
         "or so).", "etcd", "11-etcd-and-locks"),
    Term("watch", "監看", "A stream of the changes to a key or prefix, in revision order.",
         "etcd", "11-etcd-and-locks"),
    Term("linearizable read", "線性一致讀取",
         "A read that goes through the leader and a quorum: never stale.",
         "etcd", "11-etcd-and-locks"),
    Term("serializable read", "可序列化讀取",
         "A read answered by the member you ask, from its own copy: fast, may be stale.",
         "etcd", "11-etcd-and-locks"),
    Term("distributed lock", "分散式鎖",
         "A key in a consensus store: whoever created it holds the lock, until its lease ends.",
         "etcd", "13-exercise-distributed-lock"),
    Term("GC pause", "垃圾回收暫停",
         "The whole process stops — every thread — for a while, then goes on unaware.",
         "etcd", "13-exercise-distributed-lock"),
    Term("fencing token", "令牌 (fencing token)",
         "A number that grows with each lock holder (here the lock key's revision); storage "
         "rejects stale ones.", "etcd", "13-exercise-distributed-lock"),
    Term("stale token", "過期令牌",
         "A token lower than one the storage has already accepted: its holder lost the lock.",
         "etcd", "13-exercise-distributed-lock"),
)

TOPICS = tuple(dict.fromkeys(t.topic for t in TERMS))


def terms(topics: str | tuple[str, ...] | None = None) -> list[Term]:
    """The glossary rows of ``topics`` (all rows when None)."""
    if topics is None:
        return list(TERMS)
    wanted = (topics,) if isinstance(topics, str) else tuple(topics)
    unknown = [t for t in wanted if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown glossary topic {unknown[0]!r}; topics: {', '.join(TOPICS)}")
    return [t for t in TERMS if t.topic in wanted]


def glossary_table(topics: str | tuple[str, ...] | None = None) -> Any:
    """A pandas DataFrame of the glossary rows (pandas imported here)."""
    import pandas as pd

    rows = [{"English": t.english, "繁體中文": t.zh_tw, "meaning": t.meaning,
             "notebook": t.notebook} for t in terms(topics)]
    return pd.DataFrame(rows).set_index("English")
