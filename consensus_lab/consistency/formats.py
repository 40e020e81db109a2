"""History files: Jepsen etcd logs, EDN key-value histories, JSON Lines, CSV.

Jepsen / Porcupine formats are event logs (one ``invoke`` row, then one
completion row, per process); we pair them per process and use the line
number as the time, as Porcupine does. Format facts (from Porcupine's test
data, ``anishathalye/porcupine`` ``test_data/``):

* etcd log: ``INFO  jepsen.util - P<TAB>:type<TAB>:f<TAB>value`` (tabs or
  spaces). ``read`` values are ``nil`` or an int; ``write`` an int; ``cas``
  ``[expected new]``. ``:fail :cas`` means the compare failed — the cas *ran*
  and returned false, so it becomes an ``ok`` op with output ``False``.
  ``:fail :read :timed-out`` did not happen (kept as ``fail``; checkers drop
  it). ``:info`` (timed out) and invocations never completed are unknown
  outcomes.
* EDN kv: one flat map per line, ``{:process 0, :type :invoke, :f :get,
  :key "7", :value nil}``; ``get`` returns a string, ``put``/``append`` take one.

Our own JSON Lines and CSV hold one *operation* per line with the columns of
:data:`~consensus_lab.consistency.history.COLUMNS`; in CSV the ``key``,
``value`` and ``output`` cells are JSON. ``ret`` is empty/null for ``info``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from .history import COLUMNS, History


class HistoryFormatError(ValueError):
    """A history file that does not parse; says which line and what was expected."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source, self.line = source, line


FORMATS = ("jepsen", "edn-kv", "jsonl", "csv")

_JEPSEN = re.compile(
    r"^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(\w+)\s+(.*?)\s*$")
_JEPSEN_VALUE = re.compile(r"^(nil|-?\d+|\[\s*(-?\d+)\s+(-?\d+)\s*\]|:[\w-]+)$")


def _int_or_nil(text: str) -> Any:
    return None if text == "nil" else int(text)


class _Pairer:
    """Pairs invoke/completion events per process into a History (time = line number)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.history = History()
        self.open: dict[str, tuple[int, str, Any, Any]] = {}  # process -> (line, f, key, value)

    def invoke(self, line: int, process: str, f: str, key: Any, value: Any) -> None:
        if process in self.open:
            raise HistoryFormatError(self.source, line, f"process {process} invokes {f} while "
                                     f"its invoke on line {self.open[process][0]} is still open")
        self.open[process] = (line, f, key, value)

    def complete(self, line: int, process: str, f: str, status: str, output: Any = None) -> None:
        if process not in self.open:
            raise HistoryFormatError(self.source, line, f"a :{status} for process {process} "
                                     "with no open :invoke")
        call, f0, key, value = self.open.pop(process)
        if f0 != f:
            raise HistoryFormatError(self.source, line, f"expected a completion of :{f0} for "
                                     f"process {process} (line {call}), got :{f}")
        self.history.add(process, f, value, call, line if status != "info" else math.inf,
                         output=output, key=key, status=status)

    def finish(self) -> History:
        for process, (call, f, key, value) in sorted(self.open.items(), key=lambda kv: kv[1][0]):
            self.history.add(process, f, value, call, math.inf, key=key, status="info")
        self.open.clear()
        return self.history


def parse_jepsen(text: str, source: str = "<jepsen>") -> History:
    """A Jepsen etcd log (Porcupine ``test_data/jepsen``) as a cas-register history."""
    pairer = _Pairer(source)
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = _JEPSEN.match(raw)
        if not m:
            raise HistoryFormatError(source, number, "expected 'INFO jepsen.util - PROCESS "
                                     f":type :f VALUE', got {raw[:60]!r}")
        process, kind, f, arg = m.groups()
        v = _JEPSEN_VALUE.match(arg)
        if f not in ("read", "write", "cas") or not v:
            raise HistoryFormatError(source, number, "expected :read/:write/:cas with nil, an "
                                     f"int, [a b] or a keyword, got :{f} {arg!r}")
        value: Any = (int(v.group(2)), int(v.group(3))) if v.group(2) else (
            None if arg.startswith(":") else _int_or_nil(arg))
        if f == "cas" and kind in ("invoke", "ok", "fail") and not isinstance(value, tuple):
            raise HistoryFormatError(source, number, f"expected :cas [expected new], got {arg!r}")
        if kind == "invoke":
            pairer.invoke(number, process, f, None, None if f == "read" else value)
        elif kind == "ok":
            pairer.complete(number, process, f, "ok",
                            value if f == "read" else (True if f == "cas" else None))
        elif kind == "fail" and f == "cas":
            pairer.complete(number, process, f, "ok", False)  # the compare failed
        else:  # fail (did not happen; kept, checkers drop it) or info (unknown)
            pairer.complete(number, process, f, kind)
    return pairer.finish()


_EDN_PAIR = re.compile(r'\s*:([\w-]+)\s+(nil|true|false|-?\d+|"(?:[^"\\]|\\.)*"|:[\w-]+)\s*(,|$)')


def _edn_map(line: str, source: str, number: int) -> dict[str, Any]:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise HistoryFormatError(source, number, f"expected an EDN map {{...}}, got {text[:60]!r}")
    body, pos, out = text[1:-1], 0, {}
    while pos < len(body):
        m = _EDN_PAIR.match(body, pos)
        if not m:
            raise HistoryFormatError(source, number, "expected ':key value' pairs (value nil, "
                                     "true, false, int, \"string\" or :keyword) at "
                                     f"{body[pos:pos + 30]!r}")
        name, raw = m.group(1), m.group(2)
        if raw == "nil":
            value: Any = None
        elif raw in ("true", "false"):
            value = raw == "true"
        elif raw.startswith('"'):
            value = json.loads(raw)
        elif raw.startswith(":"):
            value = raw[1:]
        else:
            value = int(raw)
        out[name] = value
        pos = m.end()
    return out


def parse_edn_kv(text: str, source: str = "<edn-kv>") -> History:
    """A Porcupine ``test_data/kv`` history (get/put/append on string keys)."""
    pairer = _Pairer(source)
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        row = _edn_map(raw, source, number)
        missing = {"process", "type", "f"} - row.keys()
        if missing:
            raise HistoryFormatError(source, number, f"expected keys :process :type :f, "
                                     f"missing {sorted(missing)}")
        process, kind, f = str(row["process"]), row["type"], row["f"]
        if kind not in ("invoke", "ok", "fail", "info") or f not in ("get", "put", "append"):
            raise HistoryFormatError(source, number, "expected :type invoke/ok/fail/info and "
                                     f":f get/put/append, got :{kind} :{f}")
        if kind == "invoke":
            pairer.invoke(number, process, f, row.get("key"),
                          None if f == "get" else row.get("value"))
        else:
            pairer.complete(number, process, f, kind,
                            row.get("value") if f == "get" and kind == "ok" else None)
    return pairer.finish()


def _op_row(row: dict[str, Any], source: str, number: int, history: History) -> None:
    for name in ("process", "f", "call"):
        if row.get(name) in (None, ""):
            raise HistoryFormatError(source, number, f"expected a {name!r} field, got {row!r}")
    try:
        ret = row.get("ret")
        ret = math.inf if ret in (None, "") else _time(row, "ret", source, number)
        call = _time(row, "call", source, number)
        status = row.get("status") or "ok"
        value, output = row.get("value"), row.get("output")
        if row.get("f") == "cas" and isinstance(value, list):
            value = tuple(value)
        history.add(str(row["process"]), str(row["f"]), value, call, ret, output=output,
                    key=row.get("key"), status=status)
    except (TypeError, ValueError) as err:
        raise HistoryFormatError(source, number, f"bad operation: {err}") from None


def _time(row: dict[str, Any], name: str, source: str, number: int) -> float:
    """Field ``name`` of ``row`` as a finite number (a missing ``ret`` is handled by the caller)."""
    raw = row[name]
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise HistoryFormatError(source, number, f"expected {name!r} to be a finite number "
                                 f"(a time), got {raw!r}")
    return value


def parse_jsonl(text: str, source: str = "<jsonl>") -> History:
    """Our JSON Lines: one object per operation."""
    history = History()
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as err:
            raise HistoryFormatError(source, number, f"expected a JSON object: {err.msg}") from None
        if not isinstance(row, dict):
            raise HistoryFormatError(source, number, f"expected a JSON object, got {raw[:60]!r}")
        _op_row(row, source, number, history)
    return history


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _ret(ret: float) -> float | None:
    return None if ret == math.inf else ret


def dump_jsonl(history: History) -> str:
    """The inverse of :func:`parse_jsonl`."""
    return "".join(json.dumps({c: (_ret(op.ret) if c == "ret" else _jsonable(getattr(op, c)))
                               for c in COLUMNS}) + "\n" for op in history)


def parse_csv(text: str, source: str = "<csv>") -> History:
    """Our CSV: header ``id,process,f,key,value,output,call,ret,status``; JSON in key/value/output.

    (One op per row.)
    """
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"process", "f", "call"} <= set(reader.fieldnames):
        raise HistoryFormatError(source, 1, f"expected a header with {', '.join(COLUMNS)}, "
                                 f"got {reader.fieldnames}")
    history = History()
    for row in reader:
        number = reader.line_num
        for cell in ("key", "value", "output"):
            try:
                row[cell] = json.loads(row[cell]) if row.get(cell) else None
            except json.JSONDecodeError:
                raise HistoryFormatError(source, number, f"expected JSON in column {cell!r}, "
                                         f"got {row[cell]!r}") from None
        _op_row(row, source, number, history)
    return history


def dump_csv(history: History) -> str:
    """The inverse of :func:`parse_csv`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for op in history:
        ret = _ret(op.ret)
        writer.writerow([op.id, op.process, op.f, json.dumps(_jsonable(op.key)),
                         json.dumps(_jsonable(op.value)), json.dumps(_jsonable(op.output)),
                         op.call, "" if ret is None else ret, op.status])
    return out.getvalue()


_PARSERS = {"jepsen": parse_jepsen, "edn-kv": parse_edn_kv, "jsonl": parse_jsonl,
            "csv": parse_csv}
_SUFFIXES = {".log": "jepsen", ".edn": "edn-kv", ".txt": "edn-kv", ".jsonl": "jsonl",
             ".csv": "csv"}


def guess_format(path: str | Path) -> str:
    """The format implied by a file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"cannot tell the format of {str(path)!r} from its suffix; "
                         f"pass one of {FORMATS}")
    return _SUFFIXES[suffix]


def load(path: str | Path, format: str | None = None) -> History:
    """Read a history file (format guessed from the suffix unless given)."""
    format = format or guess_format(path)
    if format not in _PARSERS:
        raise ValueError(f"unknown history format {format!r}; choose one of {FORMATS}")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise HistoryFormatError(str(path), 1, f"not a text file (byte {err.start} is not "
                                 f"UTF-8); expected a {format} history, one operation a "
                                 "line") from None
    return _PARSERS[format](text, str(path))


def default_model(format: str) -> str:
    """The model a format's histories are meant for."""
    return {"jepsen": "cas-register", "edn-kv": "kv"}.get(format, "cas-register")
