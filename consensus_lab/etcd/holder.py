"""Lock holder c1 as a process of its own, so that SIGSTOP can freeze it like a GC pause.

``python -m consensus_lab.etcd.holder --endpoints URL,... --key K --id c1 --ttl 2
[--rules FILE.py]`` connects to a real etcd cluster and answers one command
per line on stdin, one ``OK <answer>`` or ``ERR <message>`` line on stdout:

* ``acquire`` → a fresh lease, then the rules' ``acquire``: the token or
  ``none``; on success a keep-alive thread renews the lease every ttl/3 s;
* ``write`` → the token it would write with (the write leaves the client
  with whatever token it holds in memory, checked or not);
* ``keepalive`` / ``release`` → ``true`` or ``false``; ``exit``.

:class:`ProcessHolder` is the parent's side: it starts the process (which
dies with its parent, like the etcd members of :mod:`.local`), talks to it
with a timeout on every answer, and freezes / thaws it with SIGSTOP /
SIGCONT — every thread stops, the keep-alive thread included.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from .errors import EtcdError
from .local import die_with_parent


class ProcessHolder:
    """c1 in a child process (see the module docstring); use it as a context manager."""

    paused_by = "SIGSTOP of c1's process, every thread frozen"

    def __init__(self, endpoints: Sequence[str], *, key: str, name: str, ttl: int,
                 rules: str | None = None, answer_timeout: float = 10.0) -> None:
        self.name, self.key, self.answer_timeout = name, key, answer_timeout
        self.token: int | None = None
        command = [sys.executable, "-m", "consensus_lab.etcd.holder",
                   "--endpoints", ",".join(endpoints), "--key", key, "--id", name,
                   "--ttl", str(ttl)] + (["--rules", rules] if rules else [])
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": package_parent + os.pathsep
               + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(die_with_parent(command), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                        bufsize=1, env=env)
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name=f"holder-{name}").start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(line.rstrip("\n"))

    def _ask(self, command: str) -> str:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            answer = self._answers.get(timeout=self.answer_timeout)
        except (OSError, queue.Empty):
            raise EtcdError(f"holder process {self.name} gave no answer to {command!r} within "
                            f"{self.answer_timeout} s; its stderr: {self.stderr_tail()}") from None
        if not answer.startswith("OK "):
            raise EtcdError(f"holder process {self.name} failed on {command!r}: {answer}")
        return answer[3:]

    def stderr_tail(self, lines: int = 5) -> str:
        """The last lines the child wrote to stderr (for error messages)."""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        return " | ".join(text.splitlines()[-lines:]) or "(nothing)"

    def acquire(self) -> int | None:
        """Ask c1 to try the lock; its token or None."""
        answer = self._ask("acquire")
        self.token = None if answer == "none" else int(answer)
        return self.token

    def keep_alive(self) -> bool:
        """Ask c1 to renew its lease now."""
        return self._ask("keepalive") == "true"

    def release(self) -> bool:
        """Ask c1 to release the lock."""
        return self._ask("release") == "true"

    def written_token(self) -> int:
        """The token c1 writes with (from its own memory)."""
        return int(self._ask("write"))

    def pause(self) -> None:
        """SIGSTOP: the process and all its threads freeze."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: it runs on, unaware that time passed."""
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        """Kill the process (it may be stopped) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._stderr.close()

    def __enter__(self) -> ProcessHolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ the child


class _Child:
    """The holder's state in the child process."""

    def __init__(self, args: argparse.Namespace) -> None:
        from .real import RealClient
        from .ruleset import load_rules

        self.rules = load_rules(args.rules)
        self.client = RealClient(args.endpoints.split(","), timeout=2.0)
        self.key, self.name, self.ttl = args.key, args.id, args.ttl
        self.lease_id, self.token = 0, None
        self.stop = threading.Event()

    def acquire(self) -> str:
        self.lease_id = self.client.lease_grant(self.ttl).id
        self.token = self.rules.acquire(self.client, self.key, self.name, self.lease_id)
        if self.token is None:
            return "none"
        threading.Thread(target=self._keep_alive_loop, daemon=True).start()
        return str(self.token)

    def _keep_alive_loop(self) -> None:
        while not self.stop.wait(self.ttl / 3):
            try:
                if not self.rules.keep_alive(self.client, self.lease_id):
                    return
            except EtcdError:
                continue  # a timeout: try again next round

    def answer(self, command: str) -> str:
        if command == "acquire":
            return self.acquire()
        if command == "write":
            return str(self.token or 0)
        if command == "keepalive":
            return "true" if self.rules.keep_alive(self.client, self.lease_id) else "false"
        if command == "release":
            self.stop.set()
            done = self.rules.release(self.client, self.key, self.name, self.token or 0)
            return "true" if done else "false"
        raise ValueError(f"unknown command {command!r}; commands: acquire, write, keepalive, "
                         "release, exit")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the holder: one command per stdin line, one answer per stdout line."""
    parser = argparse.ArgumentParser(prog="python -m consensus_lab.etcd.holder")
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--ttl", type=int, required=True)
    parser.add_argument("--rules", default=None)
    child = _Child(parser.parse_args(argv))
    for line in sys.stdin:
        command = line.strip()
        if command == "exit":
            break
        try:
            reply = "OK " + child.answer(command)
        except Exception as error:  # reported to the parent, which raises
            reply = f"ERR {type(error).__name__}: {error}"
        print(reply, flush=True)
    child.stop.set()
    child.client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

