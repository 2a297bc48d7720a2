"""Run the real program under ``pulumi.runtime.set_mocks`` and record what it registers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi
from pulumi.runtime import mocks as pm
from pulumi.runtime import resource as rt_resource
from pulumi.runtime import rpc
from pulumi.runtime.proto import source_pb2
from pulumi.runtime import settings as ps
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await
from pulumi.runtime.proto import resource_pb2
from google.protobuf import struct_pb2

from ..config import from_pulumi
from ..config import load as config_load
from ..config.load import NAMESPACE

SECRET = "[secret]"
PROJECT = "infermon"
FAST = True
"""Answer registrations on the event loop's thread, without re-encoding their inputs, and skip the SDK's
stack-trace walk; ``tests/test_engine.py`` proves the engine receives the same requests either way."""


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: Optional[str]
    depends_on: list[str]
    inputs: dict[str, Any]
    """Inputs with secret values still wrapped (``rpc`` secret signature)."""


@dataclass
class RenderRun:
    stack: str
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


def _walk(value: Any, on_secret) -> Any:
    if rpc.is_rpc_secret(value):
        return on_secret(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _walk(v, on_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_secret) for v in value]
    return _plain(value)


def _blank(value: Any) -> Any:
    """Every leaf of a secret value becomes ``"[secret]"``; mapping keys stay readable."""
    if rpc.is_rpc_secret(value):
        return _blank(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return SECRET


def redact(value: Any) -> Any:
    """Replace every secret value by ``"[secret]"``, keeping the keys of secret mappings."""
    return _walk(value, _blank)


def unwrap(value: Any) -> Any:
    """The value with secret wrappers removed (only for values known to hold no credential)."""
    return _walk(value, unwrap)


def _plain(value: Any) -> Any:
    # the engine's wire format carries every number as a double
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def image_id(reference: str) -> str:
    """The stand-in image id the mock engine gives a pulled ``reference``."""
    import hashlib

    return "sha256:" + hashlib.sha256(reference.encode()).hexdigest()


class _Mocks(pm.Mocks):
    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.local()
        """The inputs of the registration this thread is handling, as the mock monitor decoded them."""

    def new_resource(self, args: pm.MockResourceArgs):
        self.seen.inputs = args.inputs
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "offline-generated-password"
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            # what the daemon would report after the pull; the render maps it back to the reference
            state["imageId"] = image_id(args.inputs["name"])
        return [f"{args.name}-id", state]

    def call(self, args: pm.MockCallArgs):
        return {}


class _Monitor(pm.MockMonitor):
    def __init__(self, mocks: _Mocks, run: RenderRun, on_record: Optional[Callable[[Registration], None]] = None):
        super().__init__(mocks)
        self.run = run
        self.on_record = on_record

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type == "pulumi:pulumi:Stack" or not FAST:
            seen = self.mocks.seen
            seen.inputs = None
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                # the inputs the base monitor decoded for new_resource, rather than decoding the request again
                self._record(request, response.urn, seen.inputs if seen.inputs is not None else rpc.deserialize_properties(request.object))
            return response
        # What the base monitor does, without its round trip: it decodes the inputs, hands them to
        # new_resource and encodes the returned state (the inputs, plus a few computed fields) back
        # into the response, running the encoder on a nested event loop. The response here is the
        # request's own encoded inputs with those fields added.
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(request.object)
        id_, state = self.mocks.new_resource(pm.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider, resource_id=request.importId,
            custom=request.custom or False, transforms=pm._resolve_callbacks(request.transforms) if request.transforms else []))
        obj = struct_pb2.Struct()
        obj.CopyFrom(request.object)
        extra = {k: v for k, v in state.items() if inputs.get(k, _ABSENT) is not v}
        if extra:
            obj.update(extra)
        self.resources[urn] = pm.MockMonitor.ResourceRegistration(urn, id_, state)
        self._record(request, urn, inputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

    def _record(self, request, urn: str, inputs: dict[str, Any]) -> None:
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            depends_on=sorted(request.dependencies),
            inputs=inputs,
        )
        self.run.registrations.append(registration)
        if self.on_record is not None:
            self.on_record(registration)


_ABSENT = object()


class _InlineExecutor(ThreadPoolExecutor):
    """The SDK hands every engine call to the event loop's default executor (a thread pool), because
    a real engine call blocks on gRPC. The mock monitor answers from memory, so handing each of
    thousands of registrations to a thread and back costs more than answering them: here they are
    answered on the calling thread. (``set_default_executor`` takes only a ThreadPoolExecutor.)"""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the SDK's awaiting task receives it, as from a worker thread
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def _inline_engine_calls():
    if not FAST:
        yield
        return
    loop = _ensure_event_loop()
    saved = getattr(loop, "_default_executor", None)
    executor = _InlineExecutor(max_workers=1)
    loop.set_default_executor(executor)
    try:
        yield
    finally:
        loop._default_executor = saved  # type: ignore[attr-defined]


def run(stack: str, raw_config: dict[str, Any], secret_keys: list[str], program=None, project: Optional[Path] = None,
        config_stack: Optional[str] = None, on_record: Optional[Callable[[Registration], None]] = None) -> RenderRun:
    """Run ``program`` (default: the infermon program's ``build``) with the stack's config.

    ``raw_config`` is the ``infermon:`` namespace as the engine would pass it (values of
    structured keys are JSON-encoded, as the Pulumi language host does). ``on_record`` is called
    with each registration as it is recorded (its inputs final).
    """
    from ..program import build

    program = program or build
    result = RenderRun(stack)
    monitor = _Monitor(_Mocks(), result, on_record)
    # a fresh root Stack per run, so several renders in one process do not share a parent
    ps.ROOT.set(None)
    pm.set_mocks(_Mocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    config = {f"{NAMESPACE}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in raw_config.items()}
    set_all_config(config, [f"{NAMESPACE}:{k}" for k in secret_keys])

    outputs: dict[str, Any] = {}
    # the shared files the stack extends are read from the project, as `pulumi up` reads them from its directory
    config_load.PROJECT_DIR = project
    config_load.CONFIG_STACK = config_stack if config_stack != stack else None

    def body() -> None:
        # the program reads its config through the Pulumi runtime, exactly as under `pulumi up`
        with _registered_as_declared():
            outputs.update(program(from_pulumi()))

    with _no_stack_traces(), _inline_engine_calls():
        _sync_await(run_pulumi_func(body))
        resolved = {}
        for key, value in outputs.items():
            resolved[key] = _sync_await(pulumi.Output.from_input(value).future()) if isinstance(value, pulumi.Output) else value
    result.outputs = resolved
    return result


PUMP_EVERY = 100
"""Under the mocks, the event loop runs the registrations queued so far every this many resources
the program declares (``_registered_as_declared``)."""
PUMP_ROUNDS = 20
"""At most this many passes over the event loop's ready callbacks per pump."""


@contextlib.contextmanager
def _registered_as_declared():
    """The program declares every resource before the SDK's event loop runs any of their
    registrations, so the tasks, futures and Outputs of all of them are alive at once (about
    a hundred MiB at 3000 resources). Under the mocks, every ``PUMP_EVERY`` declarations the
    loop's ready callbacks run for a few passes, so registrations are answered and freed as the
    program goes (every request the engine receives is unchanged: ``tests/test_engine.py``).
    This is the kernel of the SDK's own ``_sync_await``, which pumps the loop the same way from
    inside the program for invokes, but for one step: ``_sync_await`` pads the ready queue with
    cancelled handles back to its length on entry, because the loop's pass that is running the
    program still pops that many. Here that pass started before the program queued anything, so
    the queue is padded back to its length when the program started (one handle per callback run
    made that padding most of a 400-service render's time)."""
    import pulumi.resource as pulumi_resource

    saved = pulumi_resource.register_resource
    if not FAST or saved is not rt_resource.register_resource:  # another SDK version: leave it alone
        yield
        return
    loop = _ensure_event_loop()
    owed = len(loop._ready)  # type: ignore[attr-defined]
    declared = 0
    pumping = False

    def pump() -> None:
        task = asyncio.current_task(loop)
        if task is not None:
            asyncio.tasks._leave_task(loop, task)  # type: ignore[attr-defined]
        try:
            for _ in range(PUMP_ROUNDS):
                if not loop._ready:  # type: ignore[attr-defined]
                    break  # (a pass with nothing ready would block on the selector)
                loop._run_once()  # type: ignore[attr-defined]
        finally:
            while len(loop._ready) < owed:  # type: ignore[attr-defined]
                handle = asyncio.Handle(lambda: None, [], loop)
                handle._cancelled = True
                loop._ready.append(handle)  # type: ignore[attr-defined]
            if task is not None:
                asyncio.tasks._enter_task(loop, task)  # type: ignore[attr-defined]

    def register_resource(*args: Any, **kwargs: Any) -> Any:
        nonlocal declared, pumping
        result = saved(*args, **kwargs)
        declared += 1
        if declared % PUMP_EVERY == 0 and not pumping:  # not from a callback a pump runs
            pumping = True
            try:
                pump()
            finally:
                pumping = False
        return result

    pulumi_resource.register_resource = register_resource
    try:
        yield
    finally:
        pulumi_resource.register_resource = saved


@contextlib.contextmanager
def _no_stack_traces():
    """The SDK walks the Python stack and reads source lines for every resource it registers, to
    send the engine a stack trace and source position; the mock monitor discards both (a render
    records type, name, parent, dependencies and inputs). At thousands of resources that walk was
    a tenth of a render, so it is skipped while the program runs under the mocks, and only then."""
    saved = getattr(rt_resource, "_get_stack_trace", None)
    if saved is None or not FAST:  # another SDK version: leave it alone
        yield
        return
    rt_resource._get_stack_trace = lambda: source_pb2.StackTrace()
    try:
        yield
    finally:
        rt_resource._get_stack_trace = saved
