"""How each catalog metric is named once the Datadog Agent has collected it.

Every check is the Agent's OpenMetrics (v2) engine (``engine.py`` runs it): the packaged
integrations (``vllm``, ``nvidia_triton``, ``dcgm``) rename through their metric maps, pinned in
``upstream/`` from DataDog/integrations-core; the generic ``openmetrics`` check keeps the name
after ``raw_metric_prefix``. Then, as the engine submits them: monotonic counters get ``.count``
(``_total`` is not part of the name), a histogram's buckets become one distribution under the
bare name (``histogram_buckets_as_distributions``) with ``.sum``/``.count`` beside it
(``collect_counters_with_distributions``), summaries ``.sum``/``.count``, gauges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..catalog import KINDS
from ..catalog.base import Metric
from . import engine

VLLM_EXTRA = {
    # vLLM renamed these in 0.9; the packaged check maps only the old names. One Datadog name for
    # both generations (the one newer integration releases use), so one monitor covers a mixed fleet.
    "vllm:kv_cache_usage_perc": "kv_cache_usage_perc",
    "vllm:gpu_cache_usage_perc": "kv_cache_usage_perc",
    "vllm:inter_token_latency_seconds": "inter_token_latency.seconds",
    "vllm:time_per_output_token_seconds": "inter_token_latency.seconds",
}
"""``extra_metrics`` of infermon's vLLM checks: raw family -> Datadog name, over the packaged map."""

TAG_RENAMES = {"instance": "endpoint", "node": "host"}
"""Prometheus label -> Datadog tag where they differ: a scrape target's ``instance`` is the check's
``endpoint`` tag (its URL; ``tag_by_endpoint``), the Agent tags a node's checks with ``host``."""


@dataclass(frozen=True)
class Integration:
    check: str
    """Agent check name (``openmetrics`` for the generic check)."""
    namespace: str
    raw_prefix: str = ""
    """Prefix the server puts on every name, stripped by ``raw_metric_prefix`` (generic check)."""
    extra: dict[str, str] = field(default_factory=dict)
    """``extra_metrics`` of a packaged check: raw family -> Datadog name."""

    @property
    def packaged(self) -> bool:
        return self.check in engine.PACKAGED


INTEGRATIONS: dict[str, Integration] = {
    "triton": Integration("nvidia_triton", "nvidia_triton"),
    "vllm": Integration("vllm", "vllm", extra=VLLM_EXTRA),
    "dcgm": Integration("dcgm", "dcgm"),
    "sglang": Integration("openmetrics", "sglang", raw_prefix="sglang:"),
    "mlserver": Integration("openmetrics", "mlserver"),
    "arks-gateway": Integration("openmetrics", "arks_gateway"),
    "databricks": Integration("openmetrics", "databricks_serving"),
    "arks-runtime": Integration("openmetrics", "arks_runtime"),
}
"""Kinds Datadog collects. Arks runtime pods expose raw vLLM/SGLang names; their check's
allow-list renames them the way Arks' Prometheus relabelings do (``checks.allow_list``)."""


def family(m: Metric) -> str:
    """The OpenMetrics family name: a counter's name without ``_total``."""
    return m.name[: -len("_total")] if m.type == "counter" and m.name.endswith("_total") else m.name


def base_name(kind: str, fam: str) -> Optional[str]:
    """Datadog name (without namespace and suffix) of a raw family, or None when not collected."""
    integ = INTEGRATIONS[kind]
    if integ.packaged:
        return integ.extra.get(fam) or engine.packaged_map(integ.check).get(fam)
    return fam[len(integ.raw_prefix):] if fam.startswith(integ.raw_prefix) else fam


def dd_metric(kind: str, series: str) -> Optional[str]:
    """Datadog name of a Prometheus series of ``kind``, or None when Datadog does not collect it.
    A histogram's ``_bucket`` series is its distribution."""
    if kind not in INTEGRATIONS:
        return None
    m = KINDS[kind].metric(series)
    base = base_name(kind, family(m))
    if base is None:
        return None
    suffix = series[len(m.name):]
    if m.type == "counter":
        tail = ".count"
    elif m.type in ("histogram", "summary"):
        tail = {"_bucket": "", "_sum": ".sum", "_count": ".count"}[suffix]
    else:
        tail = ""
    return f"{INTEGRATIONS[kind].namespace}.{base}{tail}"


def dd_tag(kind: str, label: str) -> str:
    integ = INTEGRATIONS[kind]
    renames = engine.upstream(integ.check).get("rename_labels", {}) if integ.packaged else {}
    if integ.check == "dcgm":
        renames = {**renames, "UUID": "gpu_uuid"}
    return renames.get(label) or TAG_RENAMES.get(label, label)
