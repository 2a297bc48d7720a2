"""The monitoring.coreos.com CRDs follow the pinned chart: Pulumi applies them before the release."""

from __future__ import annotations

import pulumi
import yaml
from conftest import rendered_stack

from components import pins
from components.kube_prometheus_stack import CRD_TYPE, adopt_crd


def _manifest(stack: str) -> dict:
    import json

    return {(e["type"], e["name"]): e for e in json.loads(rendered_stack(stack).files["manifest.json"])}


def test_pulumi_applies_the_crds_of_the_pinned_operator_before_the_release():
    m = _manifest("prod")
    crds = m[("kubernetes:yaml/v2:ConfigGroup", "prod-kube-prometheus-stack-crds")]
    operator = pins.kps()["operator"]
    assert crds["inputs"]["files"] == pins.crd_urls()
    assert len(crds["inputs"]["files"]) == 10 and all(f"/{operator}/" in u for u in crds["inputs"]["files"])
    release = m[("kubernetes:helm.sh/v3:Release", "prod-kube-prometheus-stack-release")]
    assert "kubernetes:yaml/v2:ConfigGroup::prod-kube-prometheus-stack-crds" in release["dependsOn"]
    assert release["inputs"]["skipCrds"] is True and release["inputs"]["values"]["crds"]["enabled"] is False


def test_every_crd_is_adopted_and_never_deleted():
    props = {"metadata": {"name": "servicemonitors.monitoring.coreos.com", "annotations": {"a": "b"}}, "spec": {}}
    out = adopt_crd(pulumi.ResourceTransformArgs(True, CRD_TYPE, "x", props, pulumi.ResourceOptions()))
    assert out.props["metadata"]["annotations"] == {"a": "b", "pulumi.com/patchForce": "true"}
    assert out.opts.retain_on_delete is True
    assert props["metadata"]["annotations"] == {"a": "b"}  # the input is not mutated
    assert adopt_crd(pulumi.ResourceTransformArgs(True, "kubernetes:core/v1:Secret", "x", {}, pulumi.ResourceOptions())) is None


def test_every_operator_kind_the_stacks_create_has_its_crd_applied():
    """A monitoring.coreos.com object whose CRD Pulumi does not apply would be refused."""
    plurals = set(pins.load()["crds"]["plurals"])
    for stack in ("dev", "prod"):
        docs = [yaml.safe_load(t) for rel, t in rendered_stack(stack).files.items() if rel.startswith("kubernetes/")]
        kinds = {o["kind"] for o in docs if o["apiVersion"].startswith("monitoring.coreos.com/")}
        assert kinds and {k.lower() + "s" for k in kinds} <= plurals, kinds


def test_a_moved_operator_is_caught_by_the_crd_urls():
    moved = {**pins.load(), "kube-prometheus-stack": {**pins.kps(), "operator": "v0.99.0"}}
    assert all("/v0.99.0/" in u for u in pins.crd_urls(moved))
    assert [m.what for m in pins.moves(pins.load(), moved)] == ["kube-prometheus-stack.operator"]
