"""``lincheck FILE`` exit codes and ``bench lincheck`` on a small synthetic data folder."""

from __future__ import annotations

import json

import pytest

from consensus_lab.consistency import History
from consensus_lab.consistency.commands import lincheck_main, main
from consensus_lab.consistency.formats import dump_csv, dump_jsonl

GOOD = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", 1, 4, 5)]
BAD = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5)]


def test_lincheck_exit_codes(tmp_path, capsys) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.csv"
    good.write_text(dump_jsonl(History.build(GOOD)))
    bad.write_text(dump_csv(History.build(BAD)))
    assert lincheck_main([str(good), "--model", "register"]) == 0
    assert capsys.readouterr().out.startswith("ok: linearizable")
    assert lincheck_main([str(bad), "--model", "register"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("illegal: not linearizable") and "c3 read -> None" in out
    many = [(f"c{i}", "write", i, 0, 100) for i in range(30)]
    many += [(f"r{i}", "read", i, 101 + 2 * i, 102 + 2 * i) for i in range(30)]
    slow = tmp_path / "slow.jsonl"
    slow.write_text(dump_jsonl(History.build(many)))
    assert lincheck_main([str(slow), "--timeout", "0"]) == 3
    assert capsys.readouterr().out.startswith("unknown: gave up")


@pytest.mark.parametrize(("name", "text", "message"), [
    ("broken.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nnonsense\n", "broken.log:2:"),
    ("h.xml", "", "cannot tell the format"),
    ("missing.jsonl", None, "No such file"),
])
def test_lincheck_bad_input(tmp_path, capsys, name: str, text: str | None, message: str) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    assert lincheck_main([str(path)]) == 2
    assert message in capsys.readouterr().err


def test_bench_lincheck_json(tmp_path, capsys) -> None:
    (tmp_path / "test_data" / "jepsen").mkdir(parents=True)
    (tmp_path / "test_data" / "kv").mkdir()
    (tmp_path / "test_data" / "jepsen" / "a.log").write_text(
        "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n"
        "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\tnil\n")
    (tmp_path / "test_data" / "kv" / "b.txt").write_text(
        '{:process 0, :type :invoke, :f :put, :key "k", :value "v"}\n'
        '{:process 0, :type :ok, :f :put, :key "k", :value "v"}\n')
    (tmp_path / "EXPECTED.tsv").write_text(
        "file\tn_ops\texpected_linearizable\tporcupine_seconds\n"
        "test_data/jepsen/a.log\t2\tfalse\t0\ntest_data/kv/b.txt\t1\ttrue\t0\n")
    assert main(["lincheck", "--json", "--data", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sets"]["etcd"]["files"] == report["sets"]["etcd"]["matches"] == 1
    assert report["sets"]["kv"]["matches"] == 1
    assert report["peak_rss_mb"] > 0
    assert main(["lincheck", "--data", str(tmp_path / "nowhere")]) == 2
