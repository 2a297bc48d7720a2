"""Run a pure function of the render in a worker process, on the machine's other core.

``start("module:function", *args)`` launches ``python -m components.render.worker``, sends it the
pickled call and returns a function that waits for the pickled result (or raises what the call
raised). The worker is a fresh interpreter, not a fork of the render (whose gRPC threads do not
survive a fork). With one core, or ``INFERMON_RENDER_WORKER=0``, the call runs in the calling
process; the result is the same either way (``tests/test_engine.py``).
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

ENV = "INFERMON_RENDER_WORKER"
ROOT = Path(__file__).resolve().parents[2]


class WorkerError(RuntimeError):
    """The call failed in the worker; the message carries the worker's traceback."""


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0" and (os.cpu_count() or 1) > 1


def _function(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def start(target: str, *args: Any, here: bool = False) -> Callable[[], Any]:
    """Start ``module:function(*args)``; the returned function waits for its result. ``here``: run it
    in this process (a call too small to pay for starting an interpreter)."""
    if here or not enabled():
        result = _function(target)(*args)
        return lambda: result
    payload = pickle.dumps((target, args), protocol=pickle.HIGHEST_PROTOCOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "components.render.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    done: dict[str, bytes] = {}

    def talk() -> None:  # in a thread: the render goes on while the worker reads, computes and answers
        done["out"], done["err"] = proc.communicate(payload)

    talker = threading.Thread(target=talk, name="infermon-worker", daemon=True)
    talker.start()

    def wait() -> Any:
        talker.join()
        out, err = done.get("out", b""), done.get("err", b"")
        if proc.returncode != 0 or not out:
            raise WorkerError(f"the render's worker process ({target}) exited {proc.returncode}:\n{err.decode(errors='replace')}")
        ok, value = pickle.loads(out)
        if not ok:
            raise WorkerError(f"{target} failed in the render's worker process:\n{value}")
        return value

    return wait


def main() -> int:
    target, args = pickle.loads(sys.stdin.buffer.read())
    try:
        result = (True, _function(target)(*args))
    except Exception:  # noqa: BLE001 (sent back: the render raises it)
        result = (False, traceback.format_exc())
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
