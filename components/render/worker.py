"""Run part of the render in a worker process, on the machine's other core.

A render's program runs on one core. ``Worker("module:function")`` lets a function of the render
work beside it: the function is called as ``function(inbox, send)``, where ``inbox`` yields what
the render ``send``\\ s it (the resources as they are registered, then the end) and ``send``
answers, one message at a time, which the render takes with ``receive()``.

``spawn()`` launches ``python -m components.render.worker module:function`` (a fresh
interpreter, not a fork of the render, whose gRPC threads do not survive a fork); it imports the
function's module at once, and a feeder thread pickles the messages to it as they come. Messages
sent before ``spawn()`` wait for it. ``finish(here=...)`` ends the inbox: with ``here``, one core,
or ``INFERMON_RENDER_WORKER=0``, the function runs in the calling process instead, over the same
messages, and its failure is raised as it is; a worker's failure is a ``WorkerError`` carrying the
worker's traceback. ``tests/test_engine.py`` proves the render is the same either way.
"""

from __future__ import annotations

import collections
import importlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

ENV = "INFERMON_RENDER_WORKER"
ROOT = Path(__file__).resolve().parents[2]
_END = object()
PEAK_MIB = 0.0
"""The largest peak memory a worker of this process reported (``make bench`` prints it)."""


class WorkerError(RuntimeError):
    """The function failed in the worker, or the worker died; the message carries its traceback."""


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0" and (os.cpu_count() or 1) > 1


def _function(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _pickled(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


class Worker:
    """A conversation with ``target(inbox, send)``; a context manager that ends the worker however
    the render ends."""

    def __init__(self, target: str):
        self.target = target
        self.proc: Optional[subprocess.Popen] = None
        self._messages: list[Any] = []
        self._outbox: queue.Queue = queue.Queue()
        self._answers: collections.deque = collections.deque()
        self._feed: Optional[queue.Queue] = None
        self._threads: list[threading.Thread] = []
        self._stderr = b""
        self._finished = False

    # --- the render's side -------------------------------------------------------------------

    def spawn(self) -> None:
        """Launch the worker now (it imports ``target``'s module while the render goes on)."""
        if self.proc is not None or not enabled():
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-m", "components.render.worker", self.target], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        self._feed = queue.Queue()
        for message in self._messages:
            self._feed.put(_pickled(message))
        self._threads = [threading.Thread(target=f, name=f"infermon-worker-{f.__name__}", daemon=True)
                         for f in (self._write, self._read, self._read_stderr)]
        for t in self._threads:
            t.start()

    def send(self, message: Any) -> None:
        """Queue ``message`` for the function. It is pickled here and now, so the caller may change it
        afterwards; the worker reads it as the feeder thread writes it."""
        self._messages.append(message)  # for a call that ends up in this process after all
        if self._feed is not None:
            self._feed.put(_pickled(message))

    def finish(self, here: bool = False) -> None:
        """The inbox ends here; with ``here`` (or no worker possible) the function runs now, in this process."""
        self._finished = True
        if here or not enabled():
            self.close()
            messages, self._messages = self._messages, []
            _function(self.target)(iter(messages), self._answers.append)
            return
        self.spawn()
        assert self._feed is not None
        self._feed.put(_END)

    def receive(self) -> Any:
        """The function's next answer (waits for it)."""
        if self.proc is None:
            return self._answers.popleft()
        kind, value = self._outbox.get()
        if kind == "ok":
            return value
        if kind == "error":
            raise WorkerError(f"{self.target} failed in the render's worker process:\n{value}")
        for t in self._threads:
            t.join()
        raise WorkerError(f"the render's worker process ({self.target}) exited {self.proc.wait()} without answering:\n"
                          f"{self._stderr.decode(errors='replace')}")

    def close(self) -> None:
        """End the worker: its inbox is closed, and a worker still running is stopped."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if self._feed is not None:
            self._feed.put(_END)
        try:
            proc.wait(timeout=0 if self._finished else 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self._finished and exc[0] is None:
            self.proc.wait()  # answered: the worker exits once its last answer is written
            for t in self._threads:
                t.join()
            self.proc = None
            return
        self.close()

    # --- threads ------------------------------------------------------------------------------

    def _write(self) -> None:
        proc, feed = self.proc, self._feed
        assert proc is not None and proc.stdin is not None and feed is not None
        try:
            while True:
                message = feed.get()
                if message is _END:
                    break
                proc.stdin.write(message)
                if feed.empty():
                    proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the worker died: its reader reports it
        finally:
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def _read(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        while True:
            try:
                message = pickle.load(proc.stdout)
            except EOFError:
                self._outbox.put(("exit", None))
                return
            if message[0] == "peak":
                global PEAK_MIB
                PEAK_MIB = max(PEAK_MIB, message[1])
                continue
            self._outbox.put(message)

    def _read_stderr(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stderr is not None
        self._stderr = proc.stderr.read()


# --- the worker's side -----------------------------------------------------------------------


def _inbox() -> Iterator[Any]:
    stdin = sys.stdin.buffer
    while True:
        try:
            yield pickle.load(stdin)
        except EOFError:
            return


def main(target: str) -> int:
    out = sys.stdout.buffer

    def send(kind: str, value: Any) -> None:
        pickle.dump((kind, value), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        _function(target)(_inbox(), lambda value: send("ok", value))
    except Exception:  # noqa: BLE001 (sent back: the render raises it)
        send("error", traceback.format_exc())
    send("peak", _peak_mib())
    return 0


def _peak_mib() -> float:
    """This process' peak resident memory (``VmHWM``: since its exec, unlike ``ru_maxrss``, which a
    child started by fork inherits from its parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
