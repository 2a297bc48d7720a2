"""infermon registers its built-in Kubernetes resources by type token (components/k8s_resources.py):
the stacks rendered through pulumi-kubernetes' own classes send the engine the same requests."""

from __future__ import annotations

import inspect

import pytest
from google.protobuf import json_format

from components import k8s_resources as kres
from components.render import engine, render

CLASSES = ["Namespace", "Secret", "ConfigMap", "Service", "ServiceAccount", "DaemonSet", "Deployment", "Release"]


def _sdk_class(name: str):
    import pulumi_kubernetes as k8s

    return {"DaemonSet": k8s.apps.v1.DaemonSet, "Deployment": k8s.apps.v1.Deployment, "Release": k8s.helm.v3.Release}.get(name) \
        or getattr(k8s.core.v1, name)


def _requests(monkeypatch, stack: str, use_sdk: bool) -> list[dict]:
    seen: list[dict] = []
    original = engine._Monitor.RegisterResource

    def spy(self, request):
        if request.type.startswith("kubernetes:"):
            r = json_format.MessageToDict(request, preserving_proto_field_name=True)
            if "transforms" in r:  # callbacks: a per-run address and token
                r["transforms"] = len(r["transforms"])
            # sets to the engine, which the SDK sends in its sets' iteration order (by object id)
            r["dependencies"] = sorted(r.get("dependencies", []))
            for deps in r.get("propertyDependencies", {}).values():
                deps["urns"] = sorted(deps.get("urns", []))
            seen.append(r)
        return original(self, request)

    with monkeypatch.context() as m:
        m.setattr(engine._Monitor, "RegisterResource", spy)
        m.setattr(engine, "FAST", False)  # the SDK's own path: stack traces and source positions included
        if use_sdk:
            for name in CLASSES:
                m.setattr(kres, name, _sdk_class(name))
        render.build(stack)
    return sorted(seen, key=lambda r: (r["type"], r["name"]))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubernetes_resources_register_exactly_as_the_sdk_registers_them(monkeypatch, stack):
    ours, sdks = _requests(monkeypatch, stack, False), _requests(monkeypatch, stack, True)
    assert ours == sdks
    if stack == "prod":  # every class, its secret outputs, aliases and plugin version were compared
        types = {r["type"] for r in ours}
        assert {f"kubernetes:{t}" for t in ("core/v1:Namespace", "core/v1:Secret", "core/v1:ConfigMap", "core/v1:Service",
                                            "core/v1:ServiceAccount", "apps/v1:DaemonSet", "apps/v1:Deployment",
                                            "helm.sh/v3:Release")} <= types
        secret = next(r for r in ours if r["type"] == "kubernetes:core/v1:Secret")
        assert sorted(secret["additionalSecretOutputs"]) == ["data", "stringData"] and secret["version"]
        daemon_set = next(r for r in ours if r["type"] == "kubernetes:apps/v1:DaemonSet")
        assert [a["spec"]["type"] for a in daemon_set["aliases"]] == ["kubernetes:apps/v1beta2:DaemonSet", "kubernetes:extensions/v1beta1:DaemonSet"]
        # the position Pulumi shows for a resource is the program's line that declares it, not this module's
        mine = [r for r in ours if r["type"] in types - {"kubernetes:yaml/v2:ConfigGroup"} and "monitoring.coreos.com" not in r["type"]]
        assert mine and all(r["sourcePosition"]["uri"].startswith("file://") and "/components/" in r["sourcePosition"]["uri"]
                            and not r["sourcePosition"]["uri"].endswith("k8s_resources.py") for r in mine)


def test_each_class_takes_the_sdk_classes_keyword_arguments():
    for name in CLASSES:
        ours = [p for p in inspect.signature(getattr(kres, name)).parameters if p not in ("resource_name", "opts")]
        sdk = _sdk_class(name)
        args = inspect.signature(sdk._internal_init).parameters
        assert set(ours) <= set(args), (name, set(ours) - set(args))


def test_a_render_does_not_import_the_sdks_typed_modules():
    import subprocess
    import sys

    code = "import sys; from components.render import render; render.build('prod'); print(any(m.startswith(('pulumi_kubernetes.core.v1', 'pulumi_kubernetes.apps.v1', 'pulumi_kubernetes.helm.v3')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
