"""The render engine's fast path (registrations answered on the loop's thread, inputs not re-encoded,
no stack-trace walk) sends the engine what the SDK's stock mock path sends, and renders the same bytes."""

from __future__ import annotations

import pytest
from google.protobuf import json_format

from components.render import engine, render

# fields the fast path leaves out on purpose: where in the program each resource was declared
NOT_COMPARED = ("sourcePosition", "stackTrace")


def _render(stack: str, fast: bool, monkeypatch) -> tuple[list[dict], dict[str, str]]:
    requests = []
    original = engine._Monitor.RegisterResource

    def spy(self, request):
        sent = type(request)()
        sent.CopyFrom(request)
        for name in NOT_COMPARED:
            sent.ClearField(name)
        sent_dict = json_format.MessageToDict(sent)
        # the SDK builds both from sets, so their order is not part of a request's meaning
        sent_dict["dependencies"] = sorted(sent_dict.get("dependencies", []))
        for deps in sent_dict.get("propertyDependencies", {}).values():
            deps["urns"] = sorted(deps.get("urns", []))
        # a transform is sent as the address and token of this run's callback server
        sent_dict["transforms"] = len(sent_dict.get("transforms", []))
        requests.append(sent_dict)
        return original(self, request)

    with monkeypatch.context() as m:
        m.setattr(engine, "FAST", fast)
        m.setattr(engine._Monitor, "RegisterResource", spy)
        r = render.build(stack)
    assert r.ok, [c for c in r.checks if not c.ok]
    return sorted(requests, key=lambda q: (q["type"], q["name"])), r.files


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_fast_path_sends_the_same_registrations_and_renders_the_same_bytes(stack, monkeypatch):
    fast_requests, fast_files = _render(stack, True, monkeypatch)
    stock_requests, stock_files = _render(stack, False, monkeypatch)
    assert len(fast_requests) == len(stock_requests) > 10
    for fast, stock in zip(fast_requests, stock_requests):
        assert fast == stock, (fast["type"], fast["name"])
    assert fast_files.keys() == stock_files.keys()
    assert [k for k in fast_files if fast_files[k] != stock_files[k]] == []


@pytest.mark.parametrize("every", [1, 7])
def test_registrations_answered_while_the_program_declares_are_the_stock_ones(every, monkeypatch):
    """The loop runs queued registrations every ``PUMP_EVERY`` declarations: whatever the rhythm, the
    engine receives what the stock path sends and the files are the same bytes."""
    monkeypatch.setattr(engine, "PUMP_EVERY", every)
    pumped_requests, pumped_files = _render("prod", True, monkeypatch)
    stock_requests, stock_files = _render("prod", False, monkeypatch)
    assert pumped_requests == stock_requests
    assert pumped_files == stock_files


@pytest.mark.parametrize("every, answered", [(1, True), (10**6, False)])
def test_registrations_are_answered_while_the_program_runs(every, answered, monkeypatch):
    """What keeps a large render's memory down: without the pump, the engine answers no
    registration (but the stack's) before the program has declared everything."""
    from components import program

    monkeypatch.setattr(engine, "PUMP_EVERY", every)
    seen = []
    original, build = engine._Monitor.RegisterResource, program.build
    monkeypatch.setattr(engine._Monitor, "RegisterResource", lambda self, request: seen.append(request.type) or original(self, request))
    at_end = []
    monkeypatch.setattr(program, "build", lambda cfg: (build(cfg), at_end.append(len(seen)))[0])
    r = render.build("prod")
    assert len(r.run.registrations) > 100
    assert (at_end[0] > len(r.run.registrations) // 2) if answered else at_end[0] <= 1


def test_stock_path_is_restored_after_a_render(monkeypatch):
    """The fast path changes the SDK only while a render runs."""
    import asyncio

    import pulumi.resource
    from pulumi.runtime import resource as rt_resource

    walk = rt_resource._get_stack_trace
    render.build("prod")
    assert rt_resource._get_stack_trace is walk
    assert pulumi.resource.register_resource is rt_resource.register_resource
    assert not isinstance(getattr(asyncio.get_event_loop(), "_default_executor", None), engine._InlineExecutor)


@pytest.mark.parametrize("launch_at,min_resources", [(1, 1), (1, 0), (1, 10**6)],
                         ids=["launched-during-the-program", "launched-at-its-end", "launched-but-the-stack-stays-small"])
def test_a_render_with_a_worker_process_equals_the_render_in_process(launch_at, min_resources, monkeypatch, tmp_path):
    """A large stack has its objects written and its policies and dashboards checked in a worker process
    fed the resources as they are registered: the same files, in the same order, checks and policies.
    A worker launched for a stack that stays small is ended, and the work done in process."""
    from components.render import worker
    from conftest import render_config

    config = {"cluster": {"name": "w"}, "inference": [{"name": "chat", "kind": "vllm", "namespace": "serving", "selector": {"app": "chat"}}],
              "datadog": {"enabled": True, "agent": "deploy", "apiKeySecret": "ddApi", "appKeySecret": "ddApp"}}
    secrets = {"ddApi": "k" * 32, "ddApp": "a" * 40}
    # launched at the first registration, or (0 is never reached) when the program has ended
    monkeypatch.setattr(render, "WORKER_LAUNCH_AT", launch_at)
    monkeypatch.setattr(render, "WORKER_MIN_RESOURCES", min_resources)
    launched = []
    popen = worker.subprocess.Popen
    monkeypatch.setattr(worker.subprocess, "Popen", lambda argv, **k: (launched.append(argv[-1]) if "components.render.worker" in argv else None)
                        or popen(argv, **k))
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    in_worker = render_config(tmp_path / "a", config, secrets=secrets, stack="w")
    monkeypatch.setenv(worker.ENV, "0")
    in_process = render_config(tmp_path / "b", config, secrets=secrets, stack="w")
    assert launched == ["components.render.side:side_work"]
    assert list(in_worker.files.items()) == list(in_process.files.items())
    assert any(k.startswith("kubernetes/") for k in in_worker.files) and any(k.startswith("prometheus/rules/") for k in in_worker.files)
    assert in_worker.checks == in_process.checks
    assert in_worker.policies == in_process.policies
    assert {p.violation.policy for p in in_worker.policies} == {"datadog-monitor-hygiene"}  # monitors that notify nobody


def test_a_failure_in_the_worker_is_raised_with_its_traceback(monkeypatch):
    from components.render import worker

    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    w = worker.Worker("json:loads")  # called as loads(inbox, send): a TypeError in the worker
    w.send("x")
    w.finish()
    with pytest.raises(worker.WorkerError, match="TypeError"):
        w.receive()
    w.close()
    # in process, the same call raises as it is
    with pytest.raises(TypeError):
        worker.Worker("json:loads").finish(here=True)


def test_a_worker_that_ends_without_answering_is_an_error(monkeypatch):
    from components.render import worker

    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    w = worker.Worker("components.render.side:side_work")  # its inbox ends before the render's end
    w.finish()
    with pytest.raises(worker.WorkerError, match="exited 0 without answering"):
        w.receive()


def test_a_render_that_fails_ends_its_worker(monkeypatch):
    """A worker launched for a render that then fails exits (its inbox closed) and leaves nothing running."""
    from components.render import worker

    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    with pytest.raises(RuntimeError, match="program failed"):
        with worker.Worker("components.render.side:side_work") as w:
            w.spawn()
            proc = w.proc
            raise RuntimeError("program failed")
    assert proc is not None and proc.returncode == 0
