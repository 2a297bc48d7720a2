"""Grafana dashboards, built with grafana-foundation-sdk from the signal catalog.

``build(loaded)`` returns the dashboards a stack needs: a kind's dashboard only when the
stack runs that kind. One module per dashboard; queries live in ``components/catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog import KINDS, KUBERNETES_LABELS, for_platform
from components.alerts.rules import dcgm_kind
from components.config import LoadedConfig

from . import containers, fleet_overview, gpu_fleet, llm_gateway, llm_runtime, managed_endpoints, mlserver, triton
from .common import Context, Flavor, to_json

PER_KIND = (llm_runtime, llm_gateway, triton, mlserver, managed_endpoints)
"""Dashboards for inference kinds, in the order the overview links to them."""

FOLDERS = {"LLM": "infermon-llm", "Triton": "infermon-triton", "Diffusion": "infermon-diffusion",
           "Managed endpoints": "infermon-managed-endpoints", "GPU": "infermon-gpu", "Platform": "infermon-platform"}
"""Folder title -> folder uid."""


@dataclass(frozen=True)
class BuiltDashboard:
    uid: str
    title: str
    folder: str
    json: str


def _flavors(loaded: LoadedConfig) -> list[Flavor]:
    cfg = loaded.config
    platform = cfg.cluster.platform
    seen: dict[tuple[str, str], Flavor] = {}
    for s in cfg.inference:
        if s.kind in KINDS:
            seen.setdefault((s.kind, s.metric_prefix or ""), Flavor(for_platform(KINDS[s.kind], platform), s.metric_prefix or ""))
    for e in cfg.endpoints:
        if e.kind in KINDS:
            seen.setdefault((e.kind, ""), Flavor(for_platform(KINDS[e.kind], platform)))
    return [seen[k] for k in sorted(seen)]


def _service_rows(loaded: LoadedConfig) -> list[tuple[str, str, str, str]]:
    uid_of = {k: m.UID for m in PER_KIND for k in m.KINDS}
    rows = [(s.name, s.kind, s.metric_prefix or "", uid_of[s.kind]) for s in loaded.config.inference if s.kind in uid_of]
    rows += [(e.name, e.kind, "", uid_of[e.kind]) for e in loaded.config.endpoints if e.kind in uid_of]
    return sorted(rows)


def alert_thresholds(loaded: LoadedConfig) -> dict[tuple[str, str], tuple[str, float]]:
    """(kind, signal) -> (comparison, stack-wide threshold) of every alert the stack deploys."""
    from components.alerts.specs import ALERTS

    cfg = loaded.config
    out = {(kind, spec.signal): (spec.op, cfg.alerts.thresholds.get(spec.name, spec.threshold))
           for spec in ALERTS if spec.name not in cfg.alerts.disabled for kind in spec.kinds}
    # the overview's columns read the same quantity as these alerts, under the overview's name
    for (kind, signal), overview in OVERVIEW_ALIASES.items():
        if (kind, signal) in out:
            out.setdefault((kind, overview), out[(kind, signal)])
    return out


OVERVIEW_ALIASES = {
    **{(k, "e2e_latency_p95"): "latency" for k in ("vllm", "sglang", "arks-runtime")},
    **{(k, "kv_cache_usage"): "saturation" for k in ("vllm", "sglang", "arks-runtime")},
    ("triton", "pending_requests"): "saturation",
    ("databricks", "error_ratio_endpoint"): "error_ratio",
    ("arks-gateway", "quota_usage_ratio"): "saturation",
}
"""(kind, alert signal) -> the overview signal that reads the same quantity per service."""


def build(loaded: LoadedConfig) -> list[BuiltDashboard]:
    """The stack's dashboards. On docker there are no Kubernetes labels: queries and variables
    drop namespace and pod, GPU panels per pod are left out, and the containers dashboard reads
    standalone cAdvisor by host and container name."""
    cfg = loaded.config
    platform = cfg.cluster.platform
    docker = platform == "docker"
    flavors = _flavors(loaded)
    out: list[BuiltDashboard] = []

    def add(module, d) -> None:
        out.append(BuiltDashboard(module.UID, module.TITLE, module.FOLDER, to_json(d)))

    def select(extra: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in extra.items() if not (docker and k in KUBERNETES_LABELS)}

    multi = cfg.grafana.multi_cluster
    base = {"cluster": '=~"$cluster"', "service": '=~"$service"'}
    limits = alert_thresholds(loaded)
    for module in PER_KIND:
        mine = [f for f in flavors if f.kind.name in module.KINDS]
        if mine:
            add(module, module.build(Context(mine, select({**base, **module.SELECT}), platform, limits, multi)))
    if cfg.gpu_pools:
        dcgm = Flavor(dcgm_kind(loaded))  # panels only on the fields some pool collects
        add(gpu_fleet, gpu_fleet.build(Context([dcgm], {"cluster": '=~"$cluster"', **gpu_fleet.SELECT}, platform, limits, multi)))
    if docker:
        kind = Flavor(for_platform(KINDS["containers"], platform))
        add(containers, containers.build_docker(Context([kind], {"cluster": '=~"$cluster"', **containers.SELECT_DOCKER}, platform, multi_cluster=multi)))
    else:
        namespaces = sorted({s.namespace for s in cfg.inference if s.selector and s.namespace})
        if namespaces:
            ctx = Context([Flavor(KINDS["containers"])], {"cluster": '=~"$cluster"', **containers.SELECT}, platform, multi_cluster=multi)
            add(containers, containers.build(ctx, namespaces))
    rows = _service_rows(loaded)
    if rows:
        add(fleet_overview, fleet_overview.build(rows, multi, limits))
    return out
