"""GPU exporter DaemonSets select GPU nodes and tolerate only named taints."""

from ._common import Resource, Rule, pod_spec


def validate(r: Resource, config) -> list[str]:
    labels = (r.props.get("metadata") or {}).get("labels") or {}
    if r.type != "kubernetes:apps/v1:DaemonSet" or labels.get("app.kubernetes.io/name") != "dcgm-exporter":
        return []
    spec = pod_spec(r) or {}
    out = []
    if not spec.get("nodeSelector"):
        out.append("the DCGM exporter has no nodeSelector: it would run (and crash-loop) on nodes without GPUs")
    for t in spec.get("tolerations") or []:
        if t.get("operator") == "Exists" and not t.get("key"):
            out.append("a toleration without key tolerates every taint; tolerate the GPU pool's taints by key")
    return out


RULE = Rule("gpu-exporter-scheduling", "DCGM exporter DaemonSets select GPU nodes and tolerate their pool's taints by key.", validate)
