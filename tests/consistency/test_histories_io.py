"""History building, simulator import, DataFrames and the file formats (good and bad input)."""

from __future__ import annotations

import math

import pytest

from consensus_lab.consistency import History, HistoryFormatError, check
from consensus_lab.consistency.formats import (
    dump_csv,
    dump_jsonl,
    guess_format,
    load,
    parse_csv,
    parse_edn_kv,
    parse_jepsen,
    parse_jsonl,
)
from consensus_lab.sim.history import History as SimHistory
from consensus_lab.viz import to_dataframe

JEPSEN = """\
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:invoke\t:write\t4
INFO  jepsen.util - 0\t:ok\t:read\tnil
INFO  jepsen.util - 1\t:ok\t:write\t4
INFO  jepsen.util - 2   :invoke :cas    [4 1]
INFO  jepsen.util - 2   :fail   :cas    [4 1]
INFO  jepsen.util - 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:fail\t:read\t:timed-out
INFO  jepsen.util - 4\t:invoke\t:write\t2
INFO  jepsen.util - 4\t:info\t:write\t:timed-out
INFO  jepsen.util - 5\t:invoke\t:cas\t[4 3]
"""


def test_parse_jepsen() -> None:
    h = parse_jepsen(JEPSEN)
    by_process = {op.process: op for op in h}
    assert sorted(by_process) == ["0", "1", "2", "3", "4", "5"]
    assert by_process["3"].status == "fail"  # the timed-out read: kept, but not checked
    assert "3" not in {op.process for op in h.checkable()}
    assert (by_process["0"].f, by_process["0"].output, by_process["0"].call,
            by_process["0"].ret) == ("read", None, 1, 3)
    assert by_process["1"].value == 4
    cas = by_process["2"]
    assert (cas.status, cas.value, cas.output) == ("ok", (4, 1), False)  # compare failed
    assert by_process["4"].status == "info" and by_process["4"].ret == math.inf
    assert by_process["5"].status == "info"  # never completed
    # cas [4 1] said "compare failed" although 4 had been written: not linearizable
    assert check(h, "cas-register").verdict == "illegal"


def test_parse_edn_kv() -> None:
    text = ('{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n'
            '{:process 1, :type :invoke, :f :get, :key "0", :value nil}\n'
            '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n'
            '{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}\n')
    h = parse_edn_kv(text)
    assert [(op.f, op.key, op.value, op.output) for op in h] == [
        ("append", "0", "x 0 0 y", None), ("get", "0", None, "x 0 0 y")]
    assert check(h, "kv").verdict == "ok"


@pytest.mark.parametrize(("parser", "text", "line", "message"), [
    (parse_jepsen, "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nhello\n", 2, "expected 'INFO"),
    (parse_jepsen, "INFO  jepsen.util - 0\t:invoke\t:cas\t7\n", 1, "expected :cas"),
    (parse_jepsen, "INFO  jepsen.util - 0\t:invoke\t:pop\tnil\n", 1, ":read/:write/:cas"),
    (parse_jepsen, "INFO  jepsen.util - 0\t:ok\t:read\tnil\n", 1, "no open :invoke"),
    (parse_jepsen, "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                   "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n", 2, "still open"),
    (parse_jepsen, "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                   "INFO  jepsen.util - 0\t:ok\t:write\t1\n", 2, "expected a completion of :read"),
    (parse_edn_kv, '{:process 0, :type :invoke, :f :get, :key "0", :value nil}\n[1 2]\n', 2,
     "expected an EDN map"),
    (parse_edn_kv, '{:process 0, :type :invoke, :f :get, :key 0.5}\n', 1, "':key value' pairs"),
    (parse_edn_kv, '{:process 0, :type :invoke, :f :pop, :key "0"}\n', 1, ":f get/put/append"),
    (parse_edn_kv, '{:type :invoke, :f :get}\n', 1, "missing \\['process'\\]"),
    (parse_jsonl, '{"process": "c1", "f": "read", "call": 0}\n{oops\n', 2, "expected a JSON"),
    (parse_jsonl, '[1, 2]\n', 1, "expected a JSON object"),
    (parse_jsonl, '{"process": "c1", "f": "read"}\n', 1, "expected a 'call' field"),
    (parse_jsonl, '{"process": "c1", "f": "read", "call": 5, "ret": 1}\n', 1, "before it is"),
    (parse_jsonl, '{"process": "c1", "f": "read", "call": 0, "status": "maybe"}\n', 1,
     "status must be"),
    (parse_csv, "a,b\n1,2\n", 1, "expected a header"),
    (parse_csv, "process,f,call,value\nc1,write,0,{bad\n", 2, "expected JSON in column 'value'"),
])
def test_malformed_input_names_the_line(parser, text: str, line: int, message: str) -> None:
    with pytest.raises(HistoryFormatError, match=message) as info:
        parser(text, "h")
    assert info.value.line == line
    assert str(info.value).startswith(f"h:{line}: ")


ROWS = [("c1", "write", 1, 0, 10, "ok", "x"), ("c2", "read", 1, 1, 3, "ok", "x"),
        ("c3", "cas", (1, 2), 4, 5, "info", "x"), ("c4", "write", 9, 6, 7, "fail", "y"),
        ("c5", "cas", (None, 3), 8, 9, "false", "y")]


@pytest.mark.parametrize(("dump", "parse"), [(dump_jsonl, parse_jsonl), (dump_csv, parse_csv)])
def test_jsonl_and_csv_round_trip(dump, parse) -> None:
    h = History.build(ROWS)
    assert parse(dump(h)).ops == h.ops


def test_load_guesses_format(tmp_path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(dump_jsonl(History.build(ROWS)))
    assert len(load(path)) == len(ROWS)
    assert guess_format("a/b.log") == "jepsen" and guess_format("c50-ok.txt") == "edn-kv"
    with pytest.raises(ValueError, match="cannot tell the format"):
        guess_format("h.xml")
    with pytest.raises(ValueError, match="unknown history format"):
        load(path, "xml")


def test_build_rows() -> None:
    h = History.build(ROWS)
    assert h[1].output == 1 and h[1].value is None  # a read's value is what it returned
    assert h[2].ret == math.inf and h[2].output is True
    assert h[4].status == "ok" and h[4].output is False
    assert [op.id for op in h.checkable()] == [0, 1, 2, 4]  # the failed write is gone
    with pytest.raises(ValueError, match="row 0: expected"):
        History.build([("c1", "read")])
    assert "c2 read x -> 1 @[1,3]" in str(h)
    assert "c5 cas y(None, 3) -> False @[8,9]" in str(h)


def test_from_sim_pairs_rows() -> None:
    sim = SimHistory()
    sim.add("c1", "invoke", "put", "x", 1, 0, 1)
    sim.add("c2", "invoke", "get", "x", None, 1, 2)
    sim.add("c1", "ok", "put", "x", None, 4, 1)
    sim.add("c2", "ok", "get", "x", 1, 5, 2)
    sim.add("c3", "invoke", "put", "x", 5, 6, 3)
    sim.add("c3", "info", "put", "x", None, 9, 3)
    sim.add("c4", "invoke", "put", "x", 7, 6, 4)
    sim.add("c4", "fail", "put", "x", None, 8, 4)
    sim.add("c5", "invoke", "get", "x", None, 10, 5)
    h = History.from_sim(sim)
    assert [(op.process, op.f, op.value, op.output, op.call, op.ret, op.status) for op in h] == [
        ("c1", "put", 1, None, 0, 4, "ok"), ("c2", "get", None, 1, 1, 5, "ok"),
        ("c3", "put", 5, None, 6, math.inf, "info"), ("c4", "put", 7, None, 6, 8, "fail"),
        ("c5", "get", None, None, 10, math.inf, "info")]
    assert check(h, "kv").verdict == "ok"  # c3's unknown put may never take effect


def test_dataframe_round_trip() -> None:
    pytest.importorskip("pandas")
    h = History.build(ROWS)
    frame = to_dataframe(h)
    assert list(frame.columns)[:3] == ["id", "process", "f"]
    back = History.from_dataframe(frame)
    assert [(o.process, o.f, o.value, o.output, o.ret, o.status) for o in back] == [
        (o.process, o.f, o.value, o.output, o.ret, o.status) for o in h]
    with pytest.raises(ValueError, match="missing"):
        History.from_dataframe(frame.drop(columns=["call"]))
