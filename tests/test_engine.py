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
