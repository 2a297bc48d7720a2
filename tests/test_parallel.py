"""`components.render.parallel`: stacks on the machine's cores, results in the stacks' order."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from functools import partial

import pytest

from components.render import parallel
from conftest import ROOT


def pid_of(stack: str) -> tuple[str, int]:
    return stack, os.getpid()


def fails_on(bad: str, stack: str) -> str:
    if stack == bad:
        raise ValueError(f"stack {stack} failed")
    return stack


def test_several_stacks_run_in_other_processes_and_come_back_in_order():
    results = parallel.each_stack(pid_of, ["b", "a", "c"], jobs=2, size={"a": 1, "b": 2, "c": 3}.get)
    assert [stack for stack, _ in results] == ["b", "a", "c"]
    assert os.getpid() not in {pid for _, pid in results}


@pytest.mark.parametrize("stacks, jobs", [(["a", "b"], 1), (["a"], 4)])
def test_one_job_or_one_stack_runs_in_this_process(stacks, jobs):
    assert parallel.each_stack(pid_of, stacks, jobs=jobs) == [(s, os.getpid()) for s in stacks]


def test_an_exception_in_a_process_is_raised_here():
    with pytest.raises(ValueError, match="stack b failed"):
        parallel.each_stack(partial(fails_on, "b"), ["a", "b", "c"], jobs=2)


@pytest.mark.skipif(sys.platform != "linux", reason="processes are forked on Linux only")
def test_the_processes_start_with_what_this_one_imported():
    """What makes --stack all pay: the stacks' processes do not import the render again. A probe
    defined in a `python -c` program can only be called in a forked process (a spawned one cannot
    import it), and finds the module the program imported before."""
    program = textwrap.dedent("""
        import os, sys
        import colorsys
        from components.render import parallel

        def probe(stack):
            return os.getpid() != PARENT, "colorsys" in sys.modules

        PARENT = os.getpid()
        print(parallel.each_stack(probe, ["a", "b", "c"], jobs=2))
    """)
    proc = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[(True, True), (True, True), (True, True)]"


@pytest.mark.skipif(sys.platform != "linux", reason="processes are forked on Linux only")
def test_a_process_running_threads_spawns_instead_of_forking():
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert parallel.start_method() == "spawn"
        results = parallel.each_stack(pid_of, ["a", "b"], jobs=2)  # spawned: imports this module again
        assert os.getpid() not in {pid for _, pid in results}
    finally:
        release.set()
        thread.join()
