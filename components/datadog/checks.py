"""Datadog Agent check configurations for the same servers Prometheus scrapes.

Packaged integrations where they exist (``nvidia_triton``, ``vllm``, ``dcgm``), the
generic ``openmetrics`` (v2) check elsewhere with an explicit, typed ``metrics``
allow-list of what the catalog's signals use: every extra series is a billed custom metric.

- in-cluster services: endpoints checks (``advanced_ad_identifiers: kube_endpoints``), one
  instance per pod behind the Service, dispatched by the Cluster Agent;
- static targets and Databricks endpoints: cluster checks with fixed URLs; Databricks'
  bearer token is read from a mounted file through ``auth_token`` (never in the config);
- DCGM exporters: Autodiscovery annotations on infermon's own DaemonSet pods.
"""

from __future__ import annotations

from typing import Any

from ..catalog import KINDS
from ..catalog.base import OWN_SERIES, REF
from ..config import LoadedConfig
from ..config import model as m
from ..gpu.dcgm_exporter import DEFAULTS as DCGM_DEFAULTS
from ..gpu.dcgm_exporter import GPU_OPERATOR_SERVICE
from .names import INTEGRATIONS, base_name, family

DCGM_ENDPOINT = f"http://%%host%%:{DCGM_DEFAULTS['port']}/metrics"
"""dcgm-exporter's port, the same for infermon's DaemonSets and the GPU Operator's."""
SECRET_DIR = "/etc/datadog-agent/secrets/infermon"
CREDENTIALS_SECRET = "infermon-datadog-credentials"


def used_metrics(kind: str) -> list[m.BaseModel]:
    """Catalog metrics the kind's signals reference, in catalog order."""
    k = KINDS[kind]
    names = {ref for s in k.signals for alt in s.alternatives for ref, _ in REF.findall(alt) if ref not in OWN_SERIES}
    used = {k.metric(n).name for n in names}
    return [metric for metric in k.metrics if metric.name in used]


def allow_list(kind: str) -> list[dict[str, Any]]:
    """The generic check's ``metrics``: each used family (after ``raw_metric_prefix``) with its type."""
    if kind == "arks-runtime":
        return _arks_allow_list()
    out = []
    for mt in used_metrics(kind):
        name = base_name(kind, family(mt))
        out.append({name: {"name": name, "type": mt.type}})
    return out


ARKS_DATADOG_RENAMES = {"token_usage": "kv_cache_usage_perc"}
"""SGLang's KV-pool usage under vLLM's name, so one monitor covers an Arks service whatever its runtime
(Prometheus keeps both names and its queries read either)."""


def _arks_allow_list() -> list[dict[str, Any]]:
    """The raw vLLM and SGLang names, each renamed to the name Arks' relabelings give it."""
    from ..catalog import sglang, vllm
    from ..workload_monitors import arks_runtime_name

    used = {mt.name: mt for mt in used_metrics("arks-runtime")}
    out = []
    for raw in vllm.METRICS + sglang.METRICS:
        target = used.get(arks_runtime_name(raw.name) or "")
        if target is not None:
            name = family(target)
            out.append({family(raw): {"name": ARKS_DATADOG_RENAMES.get(name, name), "type": raw.type}})
    return out


def _tags(name: str, kind: str, team: str, env: str, extra: dict[str, str] | None = None) -> list[str]:
    tags = [f"service:{name}", f"team:{team}", f"env:{env}", f"inference_kind:{kind}", "managed-by:infermon"]
    tags += [f"{k}:{v}" for k, v in (extra or {}).items()]
    return tags


def _instance(kind: str, endpoint: str, tags: list[str], prefix: str = "") -> dict[str, Any]:
    integ = INTEGRATIONS[kind]
    inst: dict[str, Any] = {"openmetrics_endpoint": endpoint}
    raw_prefix = prefix + integ.raw_prefix
    if raw_prefix:
        inst["raw_metric_prefix"] = raw_prefix
    if not integ.packaged:
        inst["namespace"] = integ.namespace
        inst["metrics"] = allow_list(kind)
    elif integ.extra:
        inst["extra_metrics"] = [{raw: name} for raw, name in sorted(integ.extra.items())]
    # one distribution per histogram (percentiles in monitors), with .sum and .count for means
    inst["histogram_buckets_as_distributions"] = True
    inst["collect_counters_with_distributions"] = True
    inst["tags"] = tags
    return inst


def _port(port: Any) -> str:
    return f"%%port_{port}%%" if isinstance(port, str) else str(port)


def check_files(loaded: LoadedConfig) -> dict[str, dict[str, Any]]:
    """``<check>.d/<file>.yaml`` -> check configuration, for the Cluster Agent's conf.d."""
    cfg = loaded.config
    env = loaded.environment
    team = cfg.alerts.team
    files: dict[str, dict[str, Any]] = {}
    for s in cfg.inference:
        if s.kind not in INTEGRATIONS:
            continue
        integ = INTEGRATIONS[s.kind]
        tags = _tags(s.name, s.kind, s.team or team, env)
        if s.selector:
            port = s.port if s.port is not None else m.DEFAULT_PORTS[s.kind]
            # a file-based endpoints check: the Cluster Agent dispatches one instance per endpoint of
            # the Service (plain ad_identifiers never match: the Agent identifies endpoints by uid)
            conf = {
                "advanced_ad_identifiers": [{"kube_endpoints": {"name": s.service_name or s.name, "namespace": s.namespace}}],
                "cluster_check": True,
                "init_config": {},
                "instances": [_instance(s.kind, f"{s.scheme}://%%host%%:{_port(port)}{s.path}", tags, s.metric_prefix or "")],
            }
        else:
            conf = {
                "cluster_check": True,
                "init_config": {},
                "instances": [_instance(s.kind, f"{s.scheme}://{t}{s.path}", tags, s.metric_prefix or "") for t in s.static_targets],
            }
        files[f"{integ.check}.d/infermon-{s.name}.yaml"] = conf
    for e in cfg.endpoints:
        if e.kind != "databricks":
            continue
        instances = []
        for ep in e.endpoints:
            inst = _instance("databricks", f"https://{e.host}:{e.port or 443}/api/2.0/serving-endpoints/{ep}/metrics",
                             _tags(e.name, e.kind, e.team or team, env, {"endpoint": ep}))
            inst["auth_token"] = {
                "reader": {"type": "file", "path": f"{SECRET_DIR}/{e.name}-token"},
                "writer": {"type": "header", "name": "Authorization", "value": "Bearer <TOKEN>"},
            }
            inst["min_collection_interval"] = 60
            inst["tag_by_endpoint"] = False  # the instance's endpoint: tag names the serving endpoint
            instances.append(inst)
        files[f"openmetrics.d/infermon-{e.name}.yaml"] = {"cluster_check": True, "init_config": {}, "instances": instances}
    operators: dict[str, list[str]] = {}
    for pool in cfg.gpu_pools:
        if pool.mode == "gpu-operator":
            operators.setdefault(pool.gpu_operator_namespace, []).append(pool.name)
    for ns, pools in sorted(operators.items()):
        # the Operator's exporter Service: an endpoints check, run by the node Agent beside each exporter
        files[f"dcgm.d/infermon-gpu-operator-{ns}.yaml"] = {
            "advanced_ad_identifiers": [{"kube_endpoints": {"name": GPU_OPERATOR_SERVICE, "namespace": ns}}],
            "cluster_check": True,
            "init_config": {},
            "instances": [_instance("dcgm", DCGM_ENDPOINT, _dcgm_tags("+".join(sorted(pools)), loaded))],
        }
    return dict(sorted(files.items()))


def _dcgm_tags(pool: str, loaded: LoadedConfig) -> list[str]:
    return [f"gpu_pool:{pool}", f"env:{loaded.environment}", f"team:{loaded.config.alerts.team}", "managed-by:infermon"]


def dcgm_annotation(pool: m.GpuPool, loaded: LoadedConfig, container: str = "exporter") -> dict[str, str]:
    """Autodiscovery annotation for one pool's exporter pods (Agent annotations v2)."""
    import json

    inst = _instance("dcgm", DCGM_ENDPOINT, _dcgm_tags(pool.name, loaded))
    return {f"ad.datadoghq.com/{container}.checks": json.dumps({"dcgm": {"init_config": {}, "instances": [inst]}}, sort_keys=True)}


def credential_keys(loaded: LoadedConfig) -> dict[str, str]:
    """Keys of the credentials Secret the checks read -> config key of the secret value."""
    return {f"{e.name}-token": e.token_secret for e in loaded.config.endpoints if e.kind == "databricks" and e.token_secret}
