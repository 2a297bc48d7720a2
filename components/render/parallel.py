"""One call per stack on the machine's cores (``render --stack all``, ``check --stack all``).

The Pulumi runtime keeps its state per process, so stacks render in separate processes. On Linux
they are forked from this one once the render's modules are imported and before any render has
started a thread, so no process imports them again (spawned processes each paid 0.6-0.9 s of
imports, more than the repository's stacks take to render). Elsewhere, or from a process that
already runs threads (forking one is unsafe), the processes are spawned.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Optional, TypeVar

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _import_render() -> None:
    """Import what every render imports, so that the forked processes start with it."""
    from .. import program  # noqa: F401
    from . import policy, render, summary  # noqa: F401


def start_method() -> str:
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def each_stack(fn: Callable[[str], T], stacks: list[str], jobs: Optional[int] = None,
               size: Optional[Callable[[str], int]] = None) -> list[T]:
    """``fn(stack)`` for every stack, in the stacks' order. With several stacks and ``jobs`` above 1
    (default: the cores), in up to ``jobs`` processes, the largest stacks (by ``size``) handed out
    first so that a large one does not start last. ``fn`` must be picklable (a module-level
    function or a ``functools.partial`` of one); an exception it raises is raised here."""
    jobs = cores() if jobs is None else jobs
    if jobs <= 1 or len(stacks) <= 1:
        return [fn(stack) for stack in stacks]
    _import_render()
    order = sorted(stacks, key=lambda s: -size(s)) if size else stacks
    context = multiprocessing.get_context(start_method())
    for stream in (sys.stdout, sys.stderr):  # a forked process must not write this one's buffered output again
        stream.flush()
    with ProcessPoolExecutor(max_workers=min(jobs, len(stacks)), mp_context=context) as pool:
        futures = {stack: pool.submit(fn, stack) for stack in order}
        return [futures[stack].result() for stack in stacks]
