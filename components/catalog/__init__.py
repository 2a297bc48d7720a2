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

def collecting(kind: Kind, metrics: set[str]) -> Kind:
    """The kind restricted to the metrics its servers are configured to expose (a DCGM exporter's
    collectors): signals keep the alternatives whose every metric is collected, and a signal with
    none is gone, so no panel or alert reads a series that cannot exist."""
    import dataclasses

    from .base import OWN_SERIES, REF

    signals = []
    for s in kind.signals:
        alts = tuple(a for a in s.alternatives if all(ref in OWN_SERIES or kind.metric(ref).name in metrics for ref, _ in REF.findall(a)))
        if alts:
            signals.append(dataclasses.replace(s, alternatives=alts))
    return dataclasses.replace(kind, signals=tuple(signals))


__all__ = ["collecting", "KINDS", "KUBERNETES_LABELS", "for_platform", "Kind", "Metric", "Signal", "join_or", "render", "render_signal"]
