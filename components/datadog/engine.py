"""The Datadog Agent's own check engine, run offline on the check instances infermon renders.

The generic ``openmetrics`` check and the packaged ``vllm``, ``nvidia_triton`` and ``dcgm``
integrations are all configurations of one class, ``OpenMetricsBaseCheckV2`` of
``datadog-checks-base`` (pinned in requirements.txt). A packaged integration is that class with
its namespace, metric map, label renames and type overrides, kept as data in ``upstream/`` (from
DataDog/integrations-core; each file names the commit it was read at). Outside the Agent the
class submits to the library's stub aggregator, which is what is read back here: names as
Datadog stores them, their types, and the tags each carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).parent / "upstream"
PACKAGED = ("vllm", "nvidia_triton", "dcgm")


@lru_cache(maxsize=None)
def upstream(check: str) -> dict[str, Any]:
    """The packaged integration's pinned facts (``upstream/<check>.json``)."""
    return json.loads((UPSTREAM / f"{check}.json").read_text())


def packaged_map(check: str) -> dict[str, str]:
    """Raw Prometheus family -> Datadog name (without the namespace) of a packaged integration."""
    return dict(upstream(check)["metric_map"])


def as_packaged(check: str, instance: dict[str, Any]) -> dict[str, Any]:
    """The instance as the packaged check's class configures its scraper: its namespace, metric map
    (with type overrides) and label renames under the instance's own options."""
    if check not in PACKAGED:
        return dict(instance)
    up = upstream(check)
    overrides = up.get("type_overrides", {})
    metrics = [{raw: ({"name": name, "type": overrides[raw]} if raw in overrides else name)} for raw, name in sorted(up["metric_map"].items())]
    renames = dict(up.get("rename_labels", {}))
    if check == "dcgm":  # its custom transformer tags each GPU by UUID as gpu_uuid
        renames.setdefault("UUID", "gpu_uuid")
    inst = {"namespace": up["namespace"], "metrics": metrics, **instance}
    inst["rename_labels"] = {**renames, **instance.get("rename_labels", {})}
    return inst


@dataclass
class Submitted:
    """What one check run submitted."""

    types: dict[str, set[str]] = field(default_factory=dict)
    """Datadog metric name -> submission types (gauge, monotonic_count, count, distribution …)."""
    tags: dict[str, set[str]] = field(default_factory=dict)
    """Datadog metric name -> tag keys seen on it."""
    service_checks: dict[str, int] = field(default_factory=dict)
    """Service check name -> last status (0 OK … 2 CRITICAL)."""
    service_check_tags: dict[str, set[str]] = field(default_factory=dict)
    """Service check name -> tag keys seen on it."""
    error: str = ""


def run(check: str, instance: dict[str, Any], runs: int = 2) -> Submitted:
    """Run the check class on one instance (``openmetrics_endpoint`` must be reachable) ``runs``
    times, as the Agent does every collection interval, and read back what it submitted."""
    import os

    # the stub aggregator rejects env/service/host tags: a lint for integrations that would turn a
    # server's labels into them; infermon sets them on purpose (unified service tagging)
    os.environ.setdefault("DDEV_SKIP_GENERIC_TAGS_CHECK", "true")
    from datadog_checks.base import OpenMetricsBaseCheckV2
    from datadog_checks.base.stubs import aggregator, datadog_agent

    names = {v: k for k, v in aggregator.METRIC_ENUM_MAP.items()}
    aggregator.reset()
    datadog_agent.reset()
    inst = as_packaged(check, instance)
    chk = OpenMetricsBaseCheckV2(check, {}, [inst])
    out = Submitted()
    for _ in range(runs):
        err = chk.run()
        if err:
            out.error = json.loads(err)[0]["message"]
            break
    for name in aggregator._metrics:
        for m in aggregator.metrics(name):
            out.types.setdefault(name, set()).add(names[m.type])
            out.tags.setdefault(name, set()).update(t.split(":", 1)[0] for t in m.tags)
    for name in aggregator._histogram_buckets:
        for b in aggregator.histogram_bucket(name):
            out.types.setdefault(name, set()).add("distribution")
            out.tags.setdefault(name, set()).update(t.split(":", 1)[0] for t in b.tags)
    for name in aggregator._service_checks:
        for sc in aggregator.service_checks(name):
            out.service_checks[name] = sc.status
            out.service_check_tags.setdefault(name, set()).update(t.split(":", 1)[0] for t in sc.tags)
    return out
