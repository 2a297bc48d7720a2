"""Reading and validating the ``infermon:`` namespace.

Two sources feed the same ``parse``: the Pulumi runtime (``from_pulumi``, used by
``pulumi preview/up`` and by the offline render, which sets the runtime config under
mocks) and nothing else. Validation is complete before any resource is registered:
``parse`` either returns a config or raises ``ConfigError`` with every problem found,
each naming its dotted path, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from pydantic import BaseModel, ValidationError

from ..gpu import dcgm_fields
from . import layers
from . import model as m
from .sources import SourceError, parse_path
from .sources import fmt_path as _fmt_path

NAMESPACE = "infermon"


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str
    where: str = ""
    """The file and line the value came from (and the stacks inheriting it from a shared file)."""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} [{self.where}]" if self.where else text


class ConfigError(Exception):
    """Invalid configuration: every issue found, in path order."""

    def __init__(self, issues: Iterable[ConfigIssue], stack: str = ""):
        self.issues = sorted(set(issues), key=lambda i: (i.path, i.message, i.where))
        self.stack = stack
        where = f" in stack '{stack}'" if stack else ""
        lines = [f"invalid infermon configuration{where} ({len(self.issues)} problem{'s' if len(self.issues) != 1 else ''}):"]
        lines += [f"  - {i}" for i in self.issues]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class SecretRef:
    path: str
    """Dotted path of the field that references the secret."""
    key: str
    """Top-level config key holding the secret."""


@dataclass(frozen=True)
class LoadedConfig:
    config: m.InfermonConfig
    stack: str
    environment: str
    secret_refs: tuple[SecretRef, ...] = field(default_factory=tuple)
    shared: tuple[str, ...] = ()
    """Shared files merged beneath the stack, lowest first (``infermon:extends``)."""

    @property
    def secret_keys(self) -> list[str]:
        return sorted({r.key for r in self.secret_refs})


# --- path helpers ---------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated/Optional to the interesting type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                tp = models[0]
                continue
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _aliases(cls: type[BaseModel]) -> dict[str, str]:
    """alias -> python field name."""
    return {(f.alias or name): name for name, f in cls.model_fields.items()}


def _walk(loc: tuple, root: type[BaseModel] = m.InfermonConfig) -> tuple[list[Union[str, int]], Optional[type[BaseModel]]]:
    """Turn a pydantic error location into user path parts, dropping union/validator tags.

    Returns the path parts and the model class that owns the last key (for suggestions).
    """
    parts: list[Union[str, int]] = []
    tp: Any = root
    owner: Optional[type[BaseModel]] = None
    for item in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner = tp
            aliases = _aliases(tp)
            parts.append(item)
            if item in aliases:
                tp = tp.model_fields[aliases[item]].annotation
            else:
                tp = None
            continue
        if origin is list and isinstance(item, int):
            parts.append(item)
            tp = typing.get_args(tp)[0]
            continue
        if origin is dict and isinstance(item, str):
            parts.append(item)
            tp = typing.get_args(tp)[1]
            continue
        break  # a union member tag or validator name: not part of the user's path
    return parts, owner


PATTERN_TEXT = {
    m.DNS_LABEL: "a valid Kubernetes name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
    r"^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$": "a size such as 50GiB",
    r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$": "a Kubernetes quantity such as 500m, 2, 4Gi",
    r"^[A-Za-z][A-Za-z0-9_-]*$": "the name of a config key (letters, digits, '_' and '-', starting with a letter) set with `pulumi config set --secret`",
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$": "a valid Kubernetes label value (letters, digits, '-', '_', '.', at most 63 characters)",
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*$": "a metric name prefix (letters, digits, '_' and ':')",
    m.HostPort.__metadata__[0].pattern: "a host:port target such as triton.serving.svc.cluster.local:8002 or [fd00::40]:8002 (port 1-65535)",
    r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$": "a host name without scheme or path",
    r"^/[A-Za-z0-9/_.~%-]*$": "an absolute URL path such as /metrics",
    r"^https?://[^\s]+$": "an http:// or https:// URL",
    r"^DCGM_FI_[A-Z0-9_]+$": "a DCGM field name such as DCGM_FI_DEV_GPU_UTIL",
    m.IMAGE_REFERENCE: "a container image reference such as registry.example.com:5000/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless",
    r"^[a-zA-Z_][a-zA-Z0-9_]*$": "a Prometheus label name (letters, digits and '_', not starting with a digit)",
    r"^[A-Za-z0-9_-]+$": "a Databricks serving endpoint name (letters, digits, '-' and '_')",
    r"^[A-Z][A-Za-z0-9]+$": "an alert name such as GPUTemperatureHigh",
}

TYPE_TEXT = {
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping of keys to values",
    "list_type": "a list",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, sort_keys=True, default=str)


def _message(err: dict, owner: Optional[type[BaseModel]]) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {})
    value = err.get("input")
    if kind == "literal_error":
        allowed = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{_show(value)} is not one of {allowed}"
    if kind == "extra_forbidden":
        key = err["loc"][-1]
        allowed = sorted(_aliases(owner)) if owner else []
        return _unknown_key(str(key), allowed)
    if kind == "missing":
        return "required key is missing"
    if kind == "string_pattern_mismatch":
        want = PATTERN_TEXT.get(ctx.get("pattern", ""), f"matching {ctx.get('pattern')}")
        return f"{_show(value)} is not {want}"
    if kind == "string_too_long":
        return f"{_show(value)} is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_too_short":
        return f"{_show(value)} is too short (at least {ctx.get('min_length')} characters)"
    if kind == "greater_than_equal":
        return f"{_show(value)} is out of range: must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"{_show(value)} is out of range: must be above {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"{_show(value)} is out of range: must be at most {ctx.get('le')}"
    if kind == "less_than":
        return f"{_show(value)} is out of range: must be below {ctx.get('lt')}"
    if kind in TYPE_TEXT:
        return f"{_show(value)} is not {TYPE_TEXT[kind]}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    return f"{_show(value)}: {err['msg']}"


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint} (allowed: {', '.join(allowed)})"


def is_secret_reference(parts: list[Union[str, int]]) -> bool:
    """The field names a secret config key (``*Secret``, a receiver's ``secret``): its value is
    never repeated in a message, in case a secret was pasted in place of the key's name."""
    names = [p for p in parts if isinstance(p, str)]
    return bool(names) and (names[-1].endswith("Secret") or names[-1] == "secret")


SECRET_REFERENCE_TEXT = ("is not the name of a config key (letters, digits, '_' and '-', starting with a letter, at most 100 "
                         "characters; the value is not shown, in case a secret was pasted in place of the key's name): "
                         "set the secret with `pulumi config set --secret <name> …` and give its <name> here")


def _pydantic_issues(exc: ValidationError) -> list[ConfigIssue]:
    by_path: dict[str, list[str]] = {}
    for err in exc.errors():
        parts, owner = _walk(tuple(err["loc"]))
        msg = SECRET_REFERENCE_TEXT if is_secret_reference(parts) and err["type"] != "missing" else _message(err, owner)
        by_path.setdefault(_fmt_path(parts), []).append(msg)
    issues = []
    for path, msgs in by_path.items():
        unique = list(dict.fromkeys(msgs))
        if len(unique) > 1:
            # a union (e.g. port: number or name): one sentence naming every accepted form
            head = unique[0].split(" is not ")[0]
            if all(u.startswith(head + " is not ") for u in unique):
                unique = [head + " is not " + ", nor ".join(u[len(head) + 8:] for u in unique)]
        issues.append(ConfigIssue(path, " or ".join(unique)))
    return issues


# --- semantic (cross-field) checks ------------------------------------------------------


def _duplicates(items: list[Any], what: str, path: str) -> list[ConfigIssue]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.name in seen:
            out.append(ConfigIssue(f"{path}[{i}].name", f"duplicate {what} name '{item.name}' (also {path}[{seen[item.name]}])"))
        else:
            seen[item.name] = i
    return out


def secret_refs(cfg: m.InfermonConfig) -> list[SecretRef]:
    """Every field that names a secret config key, with its path."""
    refs: list[SecretRef] = []

    def visit(obj: Any, parts: list[Union[str, int]]) -> None:
        if isinstance(obj, BaseModel):
            for name, f in type(obj).model_fields.items():
                value = getattr(obj, name)
                alias = f.alias or name
                is_secret_field = alias.endswith("Secret") or (isinstance(obj, m.Receiver) and name == "secret")
                if is_secret_field and isinstance(value, str):
                    refs.append(SecretRef(_fmt_path(parts + [alias]), value))
                else:
                    visit(value, parts + [alias])
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                visit(v, parts + [i])

    visit(cfg, [])
    return refs


NON_SECRET_HEADERS = {h.lower(): h for h in ("X-Scope-OrgID", "THANOS-TENANT")}
"""Remote-write headers that name a tenant and carry no credential (Mimir/Cortex, Thanos receive)."""

EXPORTER_ONLY = ("profiling", "extra_counters", "gpu_id_type", "image", "tolerations")


def _semantic_issues(cfg: m.InfermonConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    add = lambda path, msg: issues.append(ConfigIssue(path, msg))  # noqa: E731

    issues += _duplicates(cfg.inference, "inference service", "inference")
    issues += _duplicates(cfg.endpoints, "endpoint", "endpoints")
    issues += _duplicates(cfg.gpu_pools, "GPU pool", "gpuPools")
    issues += _duplicates(cfg.prometheus.remote_write, "remote write", "prometheus.remoteWrite")
    issues += _duplicates(cfg.alertmanager.receivers, "receiver", "alertmanager.receivers")

    service_names = {s.name: f"inference[{i}]" for i, s in enumerate(cfg.inference)}
    for i, e in enumerate(cfg.endpoints):
        if e.name in service_names:
            add(f"endpoints[{i}].name", f"'{e.name}' is already an inference service name ({service_names[e.name]}); the two would share a service label")

    docker = cfg.cluster.platform == "docker"
    if docker:
        issues += _docker_issues(cfg)
    elif cfg.docker.model_fields_set:
        add("docker", f"only for cluster.platform: docker (this stack's platform is {cfg.cluster.platform})")

    pr = cfg.prometheus
    if pr.shards > 1 and pr.global_view == "none" and not docker:
        add("prometheus.shards", f"{pr.shards} needs a global view (prometheus.globalView is none): the operator splits the targets "
            f"across {pr.shards} Prometheus servers, so Grafana's datasource and every rule would each see one of them (about "
            f"1/{pr.shards} of the fleet) and show wrong totals, ratios and absent-target alerts without a word. Either set "
            "prometheus.globalView: thanos (Thanos Query answers dashboards, Thanos Ruler evaluates the fleet-wide rules), or keep "
            "shards: 1 and give the one Prometheus more resources or drop samples you do not use (metrics.keep: used)")
    if pr.global_view != "none" and docker:
        add("prometheus.globalView", f"{pr.global_view!r} is not allowed with platform: docker: one Prometheus runs on the monitoring host")
    if "query_replicas" in pr.model_fields_set and pr.global_view == "none":
        add("prometheus.queryReplicas", "only with prometheus.globalView: thanos (this stack deploys no Thanos Query)")
    for i, s in enumerate(cfg.inference):
        p = f"inference[{i}]"
        if docker:
            continue  # checked by _docker_issues
        if not s.selector and not s.static_targets:
            add(p, f"service '{s.name}' (kind {s.kind}) has no way to be found: set selector and namespace for in-cluster discovery, or staticTargets")
        if s.selector and s.static_targets:
            add(f"{p}.staticTargets", "set either selector (in-cluster discovery) or staticTargets, not both: the service would be scraped twice")
        if s.selector and not s.namespace:
            add(f"{p}.namespace", f"required with selector: the namespace service '{s.name}' runs in")
        if s.static_targets and not s.selector and "monitor" in s.model_fields_set:
            add(f"{p}.monitor", "only applies to in-cluster discovery (selector), not to staticTargets")
        if s.selector and s.port is None and s.kind not in m.DEFAULT_PORTS:
            add(f"{p}.port", f"required for kind {s.kind}: infermon knows no default metrics port for it")

    for i, e in enumerate(cfg.endpoints):
        p = f"endpoints[{i}]"
        if e.kind == "databricks":
            if not e.endpoints:
                add(f"{p}.endpoints", "required for kind databricks: list the serving endpoint names to scrape")
            if e.token_secret is None:
                add(f"{p}.tokenSecret", "required for kind databricks: the metrics export API needs a bearer token")
            if e.scheme != "https":
                add(f"{p}.scheme", f"'{e.scheme}' is not allowed for kind databricks: only https")
            if "path" in e.model_fields_set:
                add(f"{p}.path", "not used for kind databricks (the path is /api/2.0/serving-endpoints/<name>/metrics)")
        elif e.endpoints:
            add(f"{p}.endpoints", f"only for kind databricks, not {e.kind}")

    for i, pool in enumerate(cfg.gpu_pools):
        p = f"gpuPools[{i}]"
        if docker:
            pass  # mode, selector and tolerations: checked by _docker_issues
        elif pool.mode == "gpu-operator":
            for name in EXPORTER_ONLY:
                if name in pool.model_fields_set:
                    alias = m.GpuPool.model_fields[name].alias
                    add(f"{p}.{alias}", "is an exporter-mode setting; in gpu-operator mode configure it in the GPU Operator's ClusterPolicy (dcgmExporter) instead")
        else:
            if not pool.node_selector:
                add(f"{p}.nodeSelector", "required in exporter mode: without it the exporter DaemonSet lands on nodes without GPUs")
            if "gpu_operator_namespace" in pool.model_fields_set:
                add(f"{p}.gpuOperatorNamespace", "only applies in gpu-operator mode")
        for j, name in enumerate(pool.extra_counters):
            if name not in dcgm_fields.KNOWN:
                close = difflib.get_close_matches(name, list(dcgm_fields.KNOWN), n=1, cutoff=0.7)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                add(f"{p}.extraCounters[{j}]", f"'{name}' is not a DCGM field the exporter knows{hint}")
            elif name.startswith("DCGM_FI_PROF_") and not pool.profiling:
                add(f"{p}.extraCounters[{j}]", f"'{name}' is a profiling field: set profiling: true on this pool")
        for j, t in enumerate(pool.tolerations):
            tp = f"{p}.tolerations[{j}]"
            if t.operator == "Exists" and t.value is not None:
                add(f"{tp}.value", f"{t.value!r} is not allowed with operator Exists (it matches any value)")
            if t.operator == "Equal" and t.key is None:
                add(f"{tp}.key", "required with operator Equal")

    issues += _alert_issues(cfg)

    dd = cfg.datadog
    if dd.enabled:
        if dd.agent == "deploy" and not dd.api_key_secret:
            add("datadog.apiKeySecret", "required with agent: deploy")
        if dd.monitors and not (dd.api_key_secret and dd.app_key_secret):
            add("datadog.appKeySecret" if dd.api_key_secret else "datadog.apiKeySecret",
                "required with monitors: true (the Datadog provider needs an API and an application key)")
    elif any(k in dd.model_fields_set for k in ("agent", "api_key_secret", "app_key_secret", "notify", "team_notify")):
        add("datadog.enabled", "is false but Datadog settings are configured")

    rw = cfg.prometheus.remote_write
    for i, r in enumerate(rw):
        p = f"prometheus.remoteWrite[{i}]"
        if r.basic_auth and r.bearer_token_secret:
            add(p, "set basicAuth or bearerTokenSecret, not both")
        for h in r.headers:
            if h.lower() not in NON_SECRET_HEADERS:
                add(f"{p}.headers.{_fmt_path([h])}", "is not a header known to carry no credential, and header values are written in "
                    "plaintext into the Prometheus configuration (value not shown): use bearerTokenSecret or basicAuth for "
                    f"credentials; headers allowed here: {', '.join(sorted(NON_SECRET_HEADERS.values()))}")

    am = cfg.alertmanager
    names = [r.name for r in am.receivers]
    if am.default_receiver and am.default_receiver not in names:
        add("alertmanager.defaultReceiver", f"'{am.default_receiver}' is not one of the receivers ({', '.join(names) or 'none defined'})")
    for i, route in enumerate(am.routes):
        if route.receiver not in names:
            add(f"alertmanager.routes[{i}].receiver", f"'{route.receiver}' is not one of the receivers ({', '.join(names) or 'none defined'})")
    if am.watchdog_receiver and am.watchdog_receiver not in names:
        add("alertmanager.watchdogReceiver", f"'{am.watchdog_receiver}' is not one of the receivers ({', '.join(names) or 'none defined'})")
    for i, r in enumerate(am.receivers):
        if r.name == "null":
            add(f"alertmanager.receivers[{i}].name", "'null' is reserved: it is the receiver that discards Watchdog and InfoInhibitor")
        if r.channel is not None and r.type != "slack":
            add(f"alertmanager.receivers[{i}].channel", f"only for type slack, not {r.type}")
    if not am.enabled and (am.receivers or am.routes):
        add("alertmanager.enabled", "is false but receivers or routes are configured")

    g = cfg.grafana
    if g.delivery == "api":
        if not g.url:
            add("grafana.url", "required with delivery: api")
        if not g.auth_secret:
            add("grafana.authSecret", "required with delivery: api")
    if g.delivery == "sidecar" and not g.enabled:
        add("grafana.delivery", "'sidecar' needs the chart's Grafana (grafana.enabled: true); use 'api' for an existing Grafana")
    return issues


DOCKER_KINDS = ("triton", "vllm", "sglang", "mlserver", "generic")
"""Inference kinds that run without Kubernetes (Arks is a Kubernetes operator)."""
KUBERNETES_ONLY = {
    "inference": ("selector", "namespace", "monitor", "service_name"),
    "gpuPools": ("node_selector", "tolerations", "gpu_id_type", "gpu_operator_namespace"),
    "prometheus": ("storage", "remote_write"),
}
"""Settings with no meaning on Docker hosts, by section (python field names)."""


def _docker_issues(cfg: m.InfermonConfig) -> list[ConfigIssue]:
    """What ``cluster.platform: docker`` needs and what it cannot do."""
    issues: list[ConfigIssue] = []
    add = lambda path, msg: issues.append(ConfigIssue(path, msg))  # noqa: E731
    d = cfg.docker
    alias = lambda cls, name: cls.model_fields[name].alias or name  # noqa: E731

    for name in ("monitoring_namespace", "kubernetes_version"):
        if name in cfg.cluster.model_fields_set:
            add(f"cluster.{alias(m.Cluster, name)}", "is a Kubernetes setting; it has no meaning with platform: docker")
    if not d.hosts:
        add("docker.hosts", "required with cluster.platform: docker: list at least one Docker host")
    issues += _duplicates(d.hosts, "Docker host", "docker.hosts")
    names = [h.name for h in d.hosts]
    monitoring = d.monitoring_host or (names[0] if names else None)
    if d.monitoring_host and d.monitoring_host not in names:
        add("docker.monitoringHost", f"'{d.monitoring_host}' is not one of docker.hosts ({', '.join(names) or 'none defined'})")
    pools = {p.name for p in cfg.gpu_pools}
    for i, h in enumerate(d.hosts):
        if h.name != monitoring and h.address is None:
            add(f"docker.hosts[{i}].address", f"required for host '{h.name}': the monitoring host ({monitoring}) scrapes its exporters at this address")
        if h.gpu_pool and h.gpu_pool not in pools:
            close = difflib.get_close_matches(h.gpu_pool, sorted(pools), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            add(f"docker.hosts[{i}].gpuPool", f"'{h.gpu_pool}' is not one of gpuPools ({', '.join(sorted(pools)) or 'none defined'}){hint}")

    used = {h.gpu_pool for h in d.hosts}
    for i, pool in enumerate(cfg.gpu_pools):
        p = f"gpuPools[{i}]"
        if pool.mode != "exporter":
            add(f"{p}.mode", f"'{pool.mode}' is not allowed with platform: docker (the GPU Operator is Kubernetes-only); use exporter")
        for name in KUBERNETES_ONLY["gpuPools"]:
            if name in pool.model_fields_set:
                add(f"{p}.{alias(m.GpuPool, name)}", "is a Kubernetes setting; on docker a pool's hosts are the docker.hosts naming it in gpuPool")
        if pool.name not in used:
            add(f"{p}.name", f"pool '{pool.name}' is on no Docker host: set gpuPool: {pool.name} on the hosts that have these GPUs")
        # extraCounters are checked with every platform's pools in _semantic_issues

    for i, s in enumerate(cfg.inference):
        p = f"inference[{i}]"
        if s.kind not in DOCKER_KINDS:
            add(f"{p}.kind", f"'{s.kind}' is not allowed with platform: docker (it needs Kubernetes); allowed: {', '.join(DOCKER_KINDS)}")
        for name in KUBERNETES_ONLY["inference"]:
            if name in s.model_fields_set:
                add(f"{p}.{alias(m.InferenceService, name)}", "is a Kubernetes setting; on docker services are scraped at their staticTargets")
        if not s.static_targets:
            add(f"{p}.staticTargets", f"required with platform: docker: where service '{s.name}' serves metrics, e.g. "
                f"'host.docker.internal:{m.DEFAULT_PORTS.get(s.kind, 9090)}' (a port published on the host) or "
                f"'<container>:{m.DEFAULT_PORTS.get(s.kind, 9090)}' (a container on the {d.network} network)")

    pr = cfg.prometheus
    for name in KUBERNETES_ONLY["prometheus"]:
        if name in pr.model_fields_set:
            what = "persistent storage is a Docker volume" if name == "storage" else "remote write is not supported on docker yet"
            add(f"prometheus.{alias(m.Prometheus, name)}", f"is not available with platform: docker ({what})")
    if pr.replicas != 1:
        add("prometheus.replicas", f"{pr.replicas} is not allowed with platform: docker: one Prometheus runs on the monitoring host")
    if pr.shards != 1:
        add("prometheus.shards", f"{pr.shards} is not allowed with platform: docker: one Prometheus runs on the monitoring host")
    if pr.resources and pr.resources.requests:
        add("prometheus.resources.requests", "Docker has no scheduler to reserve requests for; set limits (cpu, memory)")
    if cfg.datadog.enabled:
        add("datadog.enabled", "Datadog on Docker hosts is not supported yet; disable it for platform: docker")
    if d.publish.alertmanager and not cfg.alertmanager.enabled:
        add("docker.publish.alertmanager", "alertmanager.enabled is false: there is no Alertmanager to publish")
    if d.publish.grafana and not cfg.grafana.enabled:
        add("docker.publish.grafana", "grafana.enabled is false: there is no Grafana to publish")
    ports = [(k, v) for k, v in d.publish.model_dump().items() if v]
    seen: dict[int, str] = {}
    for k, v in ports:
        if v in seen:
            add(f"docker.publish.{k}", f"port {v} is already used by docker.publish.{seen[v]}")
        seen[v] = k
    return issues


def _alert_issues(cfg: m.InfermonConfig) -> list[ConfigIssue]:
    from ..alerts.rules import LATENCY_HISTOGRAMS, slo_latency_boundaries
    from ..alerts.specs import ALL_NAMES, BY_NAME, threshold_problem

    issues: list[ConfigIssue] = []

    def check_name(path: str, name: str, kind: Optional[str] = None) -> None:
        if name not in ALL_NAMES:
            close = difflib.get_close_matches(name, ALL_NAMES, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            issues.append(ConfigIssue(path, f"'{name}' is not an infermon alert{hint}"))
        elif kind is not None and name in BY_NAME and kind not in BY_NAME[name].kinds:
            issues.append(ConfigIssue(path, f"alert '{name}' does not apply to kind {kind} (it applies to {', '.join(BY_NAME[name].kinds)})"))

    kinds = tuple(sorted({s.kind for s in cfg.inference} | {e.kind for e in cfg.endpoints}))

    def check_value(path: str, name: str, value: float, kind: Optional[str] = None) -> None:
        if name in BY_NAME:
            mine = (kind,) if kind else tuple(k for k in BY_NAME[name].kinds if k in kinds)
            if problem := threshold_problem(BY_NAME[name], value, mine):
                issues.append(ConfigIssue(path, problem))

    for name, value in cfg.alerts.thresholds.items():
        check_name(f"alerts.thresholds.{name}", name)
        check_value(f"alerts.thresholds.{name}", name, value)
    for i, name in enumerate(cfg.alerts.disabled):
        check_name(f"alerts.disabled[{i}]", name)
    for i, s in enumerate(cfg.inference):
        for name, value in s.alerts.items():
            check_name(f"inference[{i}].alerts.{name}", name, s.kind)
            check_value(f"inference[{i}].alerts.{name}", name, value, s.kind)
        if s.slo is not None:
            if s.slo.availability is None and s.slo.latency is None:
                issues.append(ConfigIssue(f"inference[{i}].slo", "set availability, latency or both"))
            if s.slo.latency is not None and s.kind not in LATENCY_HISTOGRAMS:
                issues.append(ConfigIssue(f"inference[{i}].slo.latency",
                                          f"kind {s.kind} exports no latency histogram (latency SLOs: {', '.join(LATENCY_HISTOGRAMS)})"))
            elif s.slo.latency is not None and (bounds := slo_latency_boundaries(s.kind)) and s.slo.latency.threshold not in bounds:
                issues.append(ConfigIssue(f"inference[{i}].slo.latency.threshold",
                                          f"{s.slo.latency.threshold:g} is not a bucket boundary of {LATENCY_HISTOGRAMS[s.kind][0]}, so no series "
                                          f"counts the requests faster than it; use one of {', '.join(f'{b:g}' for b in bounds)}"))
            if s.slo.availability is not None and s.kind == "generic":
                issues.append(ConfigIssue(f"inference[{i}].slo.availability", "kind generic has no error signal"))
    for i, e in enumerate(cfg.endpoints):
        for name, value in e.alerts.items():
            check_name(f"endpoints[{i}].alerts.{name}", name, e.kind)
            check_value(f"endpoints[{i}].alerts.{name}", name, value, e.kind)
    return issues


# --- entry points -------------------------------------------------------------------------


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse(raw: dict[str, Any], secret_keys: Iterable[str], stack: str) -> LoadedConfig:
    """Validate the ``infermon:`` namespace.

    ``raw`` maps the keys without the ``infermon:`` prefix to their values (JSON strings or
    already-decoded objects); ``secret_keys`` are the keys Pulumi marks secret.
    """
    secret_keys = set(secret_keys)
    raw = {k: _decode(v) for k, v in raw.items()}
    model_keys = set(_aliases(m.InfermonConfig))
    data = {k: v for k, v in raw.items() if k in model_keys}

    try:
        cfg = m.InfermonConfig.model_validate(data)
    except ValidationError as exc:
        issues = _pydantic_issues(exc)
        # unknown top-level keys are reported even when the model itself did not validate
        issues += [ConfigIssue(k, _unknown_key(k, sorted(model_keys))) for k in raw if k not in model_keys and k not in secret_keys]
        raise ConfigError(issues, stack) from None

    issues = _semantic_issues(cfg)
    refs = secret_refs(cfg)
    referenced = {r.key for r in refs}
    for k in sorted(raw):
        if k in model_keys:
            if k in secret_keys:
                issues.append(ConfigIssue(k, f"'{NAMESPACE}:{k}' holds a secret inside it; keep each secret in its own key (`pulumi config set --secret <name> …`) and reference it by name from a *Secret field"))
            continue
        if k not in referenced:
            hint = " — a secret key must be referenced by a *Secret field" if k in secret_keys else ""
            issues.append(ConfigIssue(k, _unknown_key(k, sorted(model_keys)) + hint))
    for ref in refs:
        if ref.key in model_keys:
            issues.append(ConfigIssue(ref.path, f"'{ref.key}' is a reserved key name; pick another name for the secret"))
        elif ref.key not in raw:
            unset = [k for k in raw if k not in model_keys and k not in referenced]
            close = difflib.get_close_matches(ref.key, unset, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            issues.append(ConfigIssue(ref.path, "names a secret key that is not set in this stack (the name is not shown, in case a "
                                      f"secret was pasted in its place){hint}: run `pulumi config set --secret <name> …` with the name given here"))
        elif ref.key not in secret_keys:
            issues.append(ConfigIssue(ref.path, f"'{NAMESPACE}:{ref.key}' is set in plaintext; secrets must be set with `pulumi config set --secret {ref.key} …`"))
        elif not isinstance(raw[ref.key], str) or not raw[ref.key]:
            issues.append(ConfigIssue(ref.path, f"secret '{ref.key}' must be a non-empty string"))
    if issues:
        raise ConfigError(issues, stack)
    environment = cfg.cluster.environment or stack
    return LoadedConfig(cfg, stack, environment, tuple(refs))


def load(raw: dict[str, Any], secret_keys: Iterable[str], stack: str, project: Path, config_stack: Optional[str] = None) -> LoadedConfig:
    """What the program validates: ``raw`` (the namespace as Pulumi hands it over) merged over
    the shared files it extends, every problem located in the file that set the value
    (``config_stack``: the stack file the values came from, when not ``stack``'s own)."""
    raw = {k: _decode(v) for k, v in raw.items()}
    try:
        layered = layers.effective(raw, config_stack or stack, project)
    except layers.LayerError as exc:
        raise ConfigError([ConfigIssue(path, msg, str(origin) if origin else "") for path, msg, origin in exc.problems], stack) from None
    except SourceError as exc:
        raise ConfigError([ConfigIssue(layers.EXTENDS, str(exc))], stack) from None
    try:
        return dataclasses.replace(parse(layered.values, secret_keys, stack), shared=tuple(layered.shared))
    except ConfigError as exc:
        located = [ConfigIssue(i.path, i.message, layered.where(layered.origin([v for _, v in parse_path(i.path)]))) for i in exc.issues]
        raise ConfigError(located, stack) from None


PROJECT_DIR: Optional[Path] = None
"""The project directory the program reads shared files from (the offline render sets it; under
the Pulumi CLI the program runs in the project directory)."""
CONFIG_STACK: Optional[str] = None
"""Offline only (``render --config-of``): the stack whose file the config came from."""


def from_pulumi() -> LoadedConfig:
    """Read the namespace from the Pulumi runtime (the real engine, or the mock engine in a render)."""
    import pulumi
    from pulumi.runtime import config as rc

    prefix = f"{NAMESPACE}:"
    all_cfg: dict[str, Any] = {}
    all_cfg.update(rc.get_config_env())
    all_cfg.update(rc.CONFIG.get())
    raw = {k[len(prefix):]: v for k, v in all_cfg.items() if k.startswith(prefix)}
    secrets = [k[len(prefix):] for k in raw_secret_keys() if k.startswith(prefix)]
    return load(raw, secrets, pulumi.get_stack(), PROJECT_DIR or Path.cwd(), CONFIG_STACK)


def raw_secret_keys() -> list[str]:
    from pulumi.runtime import config as rc

    keys = set(rc.get_config_secret_keys_env())
    keys |= set(rc._SECRET_KEYS.get())  # populated by set_all_config (language host and mocks)
    return sorted(keys)


def secret_output(key: str) -> "Any":
    """The value of a secret config key, as ``Output.secret``; the only way infermon reads secrets."""
    import pulumi

    return pulumi.Output.secret(pulumi.Config(NAMESPACE).require_secret(key))
