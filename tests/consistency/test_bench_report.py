"""``bench lincheck``'s report: median of repeats, parse time apart, ratio to Porcupine."""

from __future__ import annotations

import pytest

from consensus_lab.consistency.bench import bench_lincheck
from consensus_lab.consistency.commands import main

LOG = ("INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n"
       "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:read\tnil\n")


@pytest.fixture()
def data(tmp_path):
    (tmp_path / "test_data" / "jepsen").mkdir(parents=True)
    (tmp_path / "test_data" / "jepsen" / "a.log").write_text(LOG)
    (tmp_path / "EXPECTED.tsv").write_text(
        "file\tn_ops\texpected_linearizable\tporcupine_seconds\n"
        "test_data/jepsen/a.log\t2\tfalse\t0.5\n")
    return tmp_path


def test_repeats_report_the_median_and_the_parts(data) -> None:
    report = bench_lincheck(data, repeat=3)
    etcd = report["sets"]["etcd"]
    assert report["repeat"] == 3 and len(etcd["runs_seconds"]) == 3
    assert etcd["seconds"] == sorted(etcd["runs_seconds"])[1]
    assert etcd["files"] == etcd["matches"] == 1 and etcd["mismatches"] == []
    assert etcd["porcupine_seconds"] == 0.5
    assert etcd["ratio"] == round(etcd["seconds"] / 0.5, 2)
    assert etcd["parse_seconds"] >= 0
    kv = report["sets"]["kv"]
    assert kv["files"] == 0 and kv["ratio"] is None, "no kv files, no Porcupine time"


def test_bad_repeat_is_refused(data, capsys) -> None:
    with pytest.raises(ValueError, match="repeat must be an int >= 1, got 0"):
        bench_lincheck(data, repeat=0)
    with pytest.raises(SystemExit):
        main(["lincheck", "--data", str(data), "--repeat", "0"])
    assert "--repeat must be >= 1, got 0" in capsys.readouterr().err


def test_text_report_names_what_is_timed(data, capsys) -> None:
    assert main(["lincheck", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "etcd  1/1 verdicts match  check " in out
    assert "x Porcupine's 0.50 s (+ parse " in out
