"""Submissions that try to fool the grader, graded for real by the judge.

Each is the reference ``raft_request_vote`` answer with ``log_up_to_date`` (or
the whole module) replaced by a cheat. The checks run in the trusted judge;
the cheat runs in the oracle. Every affected check must not pass, with a
clear message; the checks the cheat does not touch still run and pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from consensus_lab.exercises import format_report, run_checks

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process tracking through /proc is Linux-only")

REPO = Path(__file__).resolve().parents[2]
SOLUTION = (REPO / "solutions" / "raft_request_vote.py").read_text(encoding="utf-8")
ONLY = ["up_to_date_last_term", "stale_term"]  # the first calls log_up_to_date; both pass

CHEATS = {
    "os_exit_in_function": "import os\ndef log_up_to_date(*a):\n    os._exit(0)\n",
    "sys_exit_in_function": "import sys\ndef log_up_to_date(*a):\n    sys.exit(0)\n",
    "raise_system_exit": "def log_up_to_date(*a):\n    raise SystemExit\n",
    "fake_pass_lines": ("def log_up_to_date(*a):\n"
                        "    print('PASS', flush=True)\n"
                        "    print('{\"event\": \"result\", \"result\": {\"status\": \"PASS\"}}')\n"
                        "    return None\n"),
    "eq_always_true": ("class _Yes:\n    def __eq__(self, other):\n        return True\n"
                       "    __hash__ = object.__hash__\n"
                       "def log_up_to_date(*a):\n    return _Yes()\n"),
    "int_subclass": ("class _B(int):\n    def __eq__(self, other):\n        return True\n"
                     "    __hash__ = int.__hash__\n"
                     "def log_up_to_date(*a):\n    return _B(7)\n"),
    "tuple_subclass": ("class _T(tuple):\n    def __eq__(self, other):\n        return True\n"
                       "    __hash__ = tuple.__hash__\n"
                       "def log_up_to_date(*a):\n    return _T()\n"),
    "patches_grader_at_import": (
        "import consensus_lab.grading.base as _b, consensus_lab.grading.raft_request_vote as _g\n"
        "import builtins\n"
        "_b.expect = lambda *a, **k: None\n_b.fail = lambda *a, **k: None\n"
        "builtins.isinstance = lambda *a: True\n"
        "for _c in _g.CHECKS:\n    object.__setattr__(_c, 'fn', lambda m: None)\n"
        "def log_up_to_date(*a):\n    return None\n"),
    "fork_returns_in_child": ("import os\n"
                              "def log_up_to_date(*a):\n"
                              "    if os.fork() == 0:\n        return _real_up_to_date(*a)\n"
                              "    return None\n"),
    "infinite_loop": "def log_up_to_date(*a):\n    while True:\n        pass\n",
    "huge_allocation": "def log_up_to_date(*a):\n    return bytearray(3 * 1024 ** 3)\n",
}


# The cheat misbehaves on its first call only (a flag file survives a restarted oracle),
# so the checks after it show that grading went on.
ONCE = """
import os as _os
_real_up_to_date = log_up_to_date
{cheat}
_cheat = log_up_to_date

def log_up_to_date(*a):
    if _os.path.exists({flag!r}):
        return _real_up_to_date(*a)
    open({flag!r}, "w").close()
    return _cheat(*a)
"""


def _grade(tmp_path: Path, cheat: str, **options: object) -> dict[str, object]:
    answer = tmp_path / "raft_request_vote_cheat.py"
    flag = tmp_path / "cheated"
    flag.unlink(missing_ok=True)
    answer.write_text(SOLUTION + ONCE.format(cheat=cheat, flag=str(flag)), encoding="utf-8")
    results = run_checks("raft_request_vote", str(answer), root=REPO, only=ONLY,  # type: ignore[arg-type]
                         jobs=1, **options)
    return {r.check: r for r in results}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheat_never_passes_and_the_rest_still_run(name: str, tmp_path: Path) -> None:
    """The check that calls the cheat fails clearly; the next check still runs and passes."""
    results = _grade(tmp_path, CHEATS[name], timeout_s=3.0, memory_mb=512)
    cheated, other = results["up_to_date_last_term"], results["stale_term"]
    report = format_report(list(results.values()))  # type: ignore[arg-type]
    assert cheated.status in ("FAIL", "ERROR", "TIMEOUT"), report  # type: ignore[attr-defined]
    assert cheated.message, report  # type: ignore[attr-defined]
    if name != "patches_grader_at_import":  # it breaks builtins in its own oracle for good
        assert other.passed, report  # type: ignore[attr-defined]


def test_exit_and_refusal_messages_say_what_happened(tmp_path: Path) -> None:
    """The messages name the exit, the refused class, the timeout and the memory limit."""
    expected = {"os_exit_in_function": "exited with code 0",
                "raise_system_exit": "SystemExit",
                "eq_always_true": "the grader cannot receive",
                "int_subclass": "the grader cannot receive",
                "infinite_loop": "no answer within 3 s",
                "huge_allocation": "ran out of memory"}
    for name, phrase in expected.items():
        cheated = _grade(tmp_path, CHEATS[name], timeout_s=3.0,
                         memory_mb=512)["up_to_date_last_term"]
        assert phrase in cheated.message, (name, cheated.message)  # type: ignore[attr-defined]


def test_exit_at_import_is_one_error(tmp_path: Path) -> None:
    """os._exit(0) at import: one result, which does not pass."""
    results = run_checks("raft_request_vote", str(_write(tmp_path, "import os\nos._exit(0)\n")),
                         root=REPO, only=ONLY)
    assert len(results) == 1 and results[0].status == "ERROR", format_report(results)
    assert "exited with code 0" in results[0].message


def _write(tmp_path: Path, cheat: str) -> Path:
    answer = tmp_path / "raft_request_vote_cheat.py"
    answer.write_text(SOLUTION + "\n" + cheat, encoding="utf-8")
    return answer


class _AlwaysEqual(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


def test_restricted_decoder_refuses_foreign_classes_and_bombs() -> None:
    """A pickle naming a class outside the allowlist, or a shared-list bomb, is refused."""
    import pickle

    from consensus_lab.grading import codec
    from consensus_lab.paxos import Ballot

    with pytest.raises(codec.RefusedValue, match="not a class of your own"):
        codec.decode(pickle.dumps(_AlwaysEqual(3)), lambda pid: None)
    with pytest.raises(codec.RefusedValue, match="builtins.eval"):
        codec.decode(b"cbuiltins\neval\n(S'1'\ntR.", lambda pid: None)
    bomb: list[object] = []
    for _ in range(40):
        bomb = [bomb, bomb]
    with pytest.raises(codec.RefusedValue, match="too large"):
        codec.decode(pickle.dumps(bomb), lambda pid: None)
    assert codec.decode(pickle.dumps((Ballot(2, "p1"), {"a": [1]})), lambda pid: None) == (
        Ballot(2, "p1"), {"a": [1]})
