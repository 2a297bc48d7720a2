"""Datadog Agent check configurations for the same servers Prometheus scrapes.

Packaged integrations where they exist (``nvidia_triton``, ``vllm``, ``dcgm``), the
generic ``openmetrics`` (v2) check elsewhere with an explicit, typed ``metrics``
allow-list of what the catalog's signals use: every extra series is a billed custom metric.

- in-cluster services: endpoints checks (``kube_endpoints://<namespace>/<service>``), one
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
from .names import INTEGRATIONS, family

SECRET_DIR = "/etc/datadog-agent/secrets/infermon"
CREDENTIALS_SECRET = "infermon-datadog-credentials"


def used_metrics(kind: str) -> list[m.BaseModel]:
    """Catalog metrics the kind's signals reference, in catalog order."""
    k = KINDS[kind]
    names = {ref for s in k.signals for alt in s.alternatives for ref, _ in REF.findall(alt) if ref not in OWN_SERIES}
    used = {k.metric(n).name for n in names}
    return [metric for metric in k.metrics if metric.name in used]


def allow_list(kind: str) -> list[dict[str, Any]]:
    if kind == "arks-runtime":
        return _arks_allow_list()
    return [{family(mt): {"name": family(mt), "type": mt.type}} for mt in used_metrics(kind)]


def _arks_allow_list() -> list[dict[str, Any]]:
    """The raw vLLM and SGLang names, each renamed to the name Arks' relabelings give it."""
    from ..catalog import sglang, vllm
    from ..workload_monitors import arks_runtime_name

    used = {mt.name: mt for mt in used_metrics("arks-runtime")}
    out = []
    for raw in vllm.METRICS + sglang.METRICS:
        target = used.get(arks_runtime_name(raw.name) or "")
        if target is not None:
            out.append({family(raw): {"name": family(target), "type": raw.type}})
    return out


def _tags(name: str, kind: str, team: str, env: str, extra: dict[str, str] | None = None) -> list[str]:
    tags = [f"service:{name}", f"team:{team}", f"env:{env}", f"inference_kind:{kind}", "managed-by:infermon"]
    tags += [f"{k}:{v}" for k, v in (extra or {}).items()]
    return tags


def _instance(kind: str, endpoint: str, tags: list[str]) -> dict[str, Any]:
    integ = INTEGRATIONS[kind]
    inst: dict[str, Any] = {"openmetrics_endpoint": endpoint}
    if not integ.packaged:
        inst["namespace"] = integ.namespace
        inst["metrics"] = allow_list(kind)
    inst["histogram_buckets_as_distributions"] = True
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
            conf = {
                "ad_identifiers": [f"kube_endpoints://{s.namespace}/{s.service_name or s.name}"],
                "cluster_check": True,
                "init_config": {},
                "instances": [_instance(s.kind, f"{s.scheme}://%%host%%:{_port(port)}{s.path}", tags)],
            }
        else:
            conf = {
                "cluster_check": True,
                "init_config": {},
                "instances": [_instance(s.kind, f"{s.scheme}://{t}{s.path}", tags) for t in s.static_targets],
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
            instances.append(inst)
        files[f"openmetrics.d/infermon-{e.name}.yaml"] = {"cluster_check": True, "init_config": {}, "instances": instances}
    return dict(sorted(files.items()))


def dcgm_annotation(pool: m.GpuPool, loaded: LoadedConfig, container: str = "exporter") -> dict[str, str]:
    """Autodiscovery annotation for one pool's exporter pods (Agent annotations v2)."""
    import json

    inst = _instance("dcgm", "http://%%host%%:9400/metrics",
                     [f"gpu_pool:{pool.name}", f"env:{loaded.environment}", f"team:{loaded.config.alerts.team}", "managed-by:infermon"])
    return {f"ad.datadoghq.com/{container}.checks": json.dumps({"dcgm": {"init_config": {}, "instances": [inst]}}, sort_keys=True)}


def credential_keys(loaded: LoadedConfig) -> dict[str, str]:
    """Keys of the credentials Secret the checks read -> config key of the secret value."""
    return {f"{e.name}-token": e.token_secret for e in loaded.config.endpoints if e.kind == "databricks" and e.token_secret}
