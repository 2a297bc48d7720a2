"""The signal catalog: for each server kind, its metrics as scraped and its named signals.

Dashboards, alert rules and Datadog monitors derive every query from here; a newcomer
finds a metric's entry in ``components/catalog/<kind>.py``.
"""

from . import arks, containers, databricks, dcgm, mlserver, sglang, triton, vllm
from .base import Kind, Metric, Signal, join_or, render, render_signal

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (triton.KIND, vllm.KIND, sglang.KIND, arks.RUNTIME, arks.GATEWAY, mlserver.KIND, databricks.KIND, dcgm.KIND, containers.KIND, containers.DOCKER)
}
"""Every kind by name. Inference kinds use the config's ``inference[].kind`` names."""

KUBERNETES_LABELS = ("namespace", "pod", "container")
"""Labels only Kubernetes puts on series (the operator's relabelings, DCGM's pod mapping)."""


def for_platform(kind: Kind, platform: str) -> Kind:
    """The kind as a platform sees it: on docker, signals that group or filter by a Kubernetes
    label are gone (no series would carry it), and containers come from standalone cAdvisor."""
    if platform != "docker":
        return kind
    if kind.name == "containers":
        return KINDS["docker-containers"]
    import dataclasses
    import re

    k8s = re.compile(r"\b(" + "|".join(KUBERNETES_LABELS) + r")\b")
    return dataclasses.replace(kind, signals=tuple(s for s in kind.signals if not any(k8s.search(a) for a in s.alternatives)))

__all__ = ["KINDS", "KUBERNETES_LABELS", "for_platform", "Kind", "Metric", "Signal", "join_or", "render", "render_signal"]
