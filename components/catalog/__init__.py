"""The signal catalog: for each server kind, its metrics as scraped and its named signals.

Dashboards, alert rules and Datadog monitors derive every query from here; a newcomer
finds a metric's entry in ``components/catalog/<kind>.py``.
"""

from . import arks, containers, databricks, dcgm, mlserver, sglang, triton, vllm
from .base import Kind, Metric, Signal, join_or, render, render_signal

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (triton.KIND, vllm.KIND, sglang.KIND, arks.RUNTIME, arks.GATEWAY, mlserver.KIND, databricks.KIND, dcgm.KIND, containers.KIND)
}
"""Every kind by name. Inference kinds use the config's ``inference[].kind`` names."""

__all__ = ["KINDS", "Kind", "Metric", "Signal", "join_or", "render", "render_signal"]
