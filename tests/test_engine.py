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


def test_stock_path_is_restored_after_a_render(monkeypatch):
    """The fast path changes the SDK only while a render runs."""
    import asyncio

    from pulumi.runtime import resource as rt_resource

    walk = rt_resource._get_stack_trace
    render.build("dev")
    assert rt_resource._get_stack_trace is walk
    assert not isinstance(getattr(asyncio.get_event_loop(), "_default_executor", None), engine._InlineExecutor)


def test_checks_in_the_worker_process_equal_the_checks_in_process(monkeypatch, tmp_path):
    """A large stack checks its policies and dashboard queries in a worker process: the same results."""
    from components.render import worker
    from conftest import render_config

    config = {"cluster": {"name": "w"}, "inference": [{"name": "chat", "kind": "vllm", "namespace": "serving", "selector": {"app": "chat"}}],
              "datadog": {"enabled": True, "agent": "deploy", "apiKeySecret": "ddApi", "appKeySecret": "ddApp"}}
    secrets = {"ddApi": "k" * 32, "ddApp": "a" * 40}
    monkeypatch.setattr(render, "WORKER_MIN_RESOURCES", 0)
    calls = []
    real_start = worker.start
    monkeypatch.setattr(worker, "start", lambda target, *args, here: calls.append((target, here)) or real_start(target, *args, here=here))
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    in_worker = render_config(tmp_path / "a", config, secrets=secrets, stack="w")
    monkeypatch.setenv(worker.ENV, "0")
    in_process = render_config(tmp_path / "b", config, secrets=secrets, stack="w")
    assert calls == [("components.render.render:side_checks", False)] * 2
    assert in_worker.checks == in_process.checks
    assert in_worker.policies == in_process.policies
    assert {p.violation.policy for p in in_worker.policies} == {"datadog-monitor-hygiene"}  # monitors that notify nobody


def test_a_failure_in_the_worker_is_raised_with_its_traceback(monkeypatch):
    from components.render import worker

    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(worker.ENV, "1")
    wait = worker.start("json:loads", "{not json")
    with pytest.raises(worker.WorkerError, match="JSONDecodeError"):
        wait()
    assert worker.start("json:loads", "[1, 2]")() == [1, 2]
