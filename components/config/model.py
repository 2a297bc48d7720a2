"""The typed model of the whole ``infermon:`` config namespace.

Each top-level field is one Pulumi config key (``infermon:<key>``) in
``stacks/Pulumi.<env>.yaml``. Keys are camelCase in YAML, snake_case in Python.
The attribute docstrings are the field documentation: ``docs/config-reference.md``
is generated from them (``infermon docs``) and a test keeps the two in sync.

Secrets never live in this model. A field whose name ends in ``Secret`` holds the
*name* of another top-level config key that must be set with
``pulumi config set --secret <name> …``; the program reads it with
``Config.require_secret`` so the value only ever travels as ``Output.secret``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

# --- shared constrained types -------------------------------------------------

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""RFC 1123 label: what Kubernetes accepts for names of namespaces, services, ports."""

K8sName = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]
DURATION = re.compile(r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
"""Prometheus' duration grammar (common/model.ParseDuration): units largest first, each once."""
_UNIT_SECONDS = {"y": 31536000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def duration_seconds(text: str) -> float:
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"([0-9]+)(ms|y|w|d|h|m|s)", text))


def _duration(minimum: float = 0.0, maximum: Optional[float] = None, why_max: str = "", why_min: str = ""):
    """A positive Prometheus duration within bounds, with messages that say what to write."""

    def check(value: object) -> object:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f"{value} is a number, not a duration: write it with its unit, e.g. {value:g}s or {value:g}m")
        if not isinstance(value, str):
            return value  # the str type reports it
        if not value or not DURATION.match(value):
            raise ValueError(f"{value!r} is not a Prometheus duration such as 30s, 5m, 15d (units y, w, d, h, m, s, ms, largest first)")
        seconds = duration_seconds(value)
        if seconds <= 0:
            raise ValueError(f"{value!r} is zero: the duration must be positive")
        if seconds < minimum:
            raise ValueError(f"{value!r} is too short: at least {why_min}")
        if maximum is not None and seconds > maximum:
            raise ValueError(f"{value!r} is too long: at most {why_max}")
        return value

    return BeforeValidator(check)


Duration = Annotated[str, _duration()]
ScrapeInterval = Annotated[str, _duration(maximum=300, why_max="5m (Prometheus marks a series stale after 5 minutes without a sample, so every panel and alert would see gaps)")]
Retention = Annotated[str, _duration(minimum=7200, why_min="2h (the TSDB's smallest block)")]
ByteSize = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$")]
Quantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=100)]
"""Name of a top-level config key holding a secret (set with ``pulumi config set --secret``)."""
LabelValue = Annotated[str, StringConstraints(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", max_length=63)]
MetricPrefix = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
HostPort = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$")]
Hostname = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$", max_length=253)]
IMAGE_REFERENCE = (r"^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                   r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$")
"""A container image reference (distribution/reference): [registry[:port]/]path[:tag][@digest]."""
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9/_.~%-]*$")]

LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class Model(BaseModel):
    """Base for every config object: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )


def _check_label_keys(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not LABEL_KEY.match(key) or len(key.split("/")[-1]) > 63:
            raise ValueError(f"'{key}' is not a valid Kubernetes label key")
    return value


def _quoted_version(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"{value} is a number: quote the version, e.g. \"1.30\" (unquoted, YAML reads 1.30 as the number 1.3)")
    return value


def _port(value: object) -> object:
    if isinstance(value, bool) or (isinstance(value, int) and not 1 <= value <= 65535) or isinstance(value, float):
        raise ValueError(f"{value} is not a port: a number from 1 to 65535, or the name of a container port such as metrics")
    return value


PortOrName = Annotated[Union[Annotated[int, Field(ge=1, le=65535)], K8sName], BeforeValidator(_port)]
PromLabelName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
LabelMap = Annotated[dict[str, LabelValue], Field(default_factory=dict)]


# --- cluster ------------------------------------------------------------------


class Cluster(Model):
    name: K8sName
    """Cluster name. Added to every series as the ``cluster`` external label."""

    platform: Literal["gke", "eks", "aks", "generic", "docker"] = "generic"
    """Where the workloads run. On managed control planes (gke, eks, aks) the stack does not
    scrape or alert on the control-plane components the provider hides (controller manager,
    scheduler, etcd, kube-proxy), which would otherwise be down forever. ``docker``: no
    Kubernetes at all; Prometheus, Grafana, Alertmanager, cAdvisor and the DCGM exporter run as
    containers on the hosts of the ``docker`` section (pulumi-docker)."""

    environment: Optional[LabelValue] = None
    """Environment name for the ``environment`` external label. Defaults to the stack name."""

    monitoring_namespace: K8sName = "monitoring"
    """Namespace infermon creates for Prometheus, Alertmanager, Grafana and the exporters (Kubernetes only)."""

    kubernetes_version: Annotated[Literal["1.30", "1.31", "1.32", "1.33", "1.34", "1.35"], BeforeValidator(_quoted_version)] = "1.33"
    """Kubernetes minor version of the cluster; rendered objects are validated against its schemas (Kubernetes only)."""


# --- prometheus ---------------------------------------------------------------


class ResourceList(Model):
    cpu: Optional[Quantity] = None
    """CPU quantity, e.g. ``500m`` or ``2``."""

    memory: Optional[Quantity] = None
    """Memory quantity, e.g. ``4Gi``."""


class Resources(Model):
    requests: Optional[ResourceList] = None
    """Guaranteed resources the scheduler reserves."""

    limits: Optional[ResourceList] = None
    """Upper bound; a container over its memory limit is OOM-killed."""


class Storage(Model):
    size: Quantity = "50Gi"
    """Size of the PersistentVolumeClaim per Prometheus replica."""

    storage_class: Optional[K8sName] = None
    """StorageClass of the claim; the cluster default when unset."""


class BasicAuth(Model):
    username_secret: SecretName
    """Config key of the secret holding the user name."""

    password_secret: SecretName
    """Config key of the secret holding the password."""


class RemoteWrite(Model):
    name: K8sName
    """Name of this remote-write queue (shown in Prometheus' remote-write metrics)."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
    """Push endpoint of the long-term store (Mimir, Thanos receive, Grafana Cloud, …).
    Plain ``http://`` is accepted for in-cluster receivers; prefer ``https://``."""

    basic_auth: Optional[BasicAuth] = None
    """HTTP basic authentication (Grafana Cloud, Mimir behind a gateway)."""

    bearer_token_secret: Optional[SecretName] = None
    """Config key of the secret holding a bearer token (``Authorization: Bearer``)."""

    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers naming a tenant: ``X-Scope-OrgID`` (Mimir, Cortex) or ``THANOS-TENANT``.
    They are written in plaintext into the Prometheus configuration, so no other header is accepted:
    credentials go in ``basicAuth`` or ``bearerTokenSecret``."""


class Prometheus(Model):
    retention: Retention = "15d"
    """How long samples are kept on the local TSDB (a duration of at least ``2h``)."""

    retention_size: Optional[ByteSize] = None
    """Upper bound on local TSDB size (e.g. ``45GiB``); oldest blocks are dropped past it."""

    storage: Optional[Storage] = None
    """Persistent storage. Without it the TSDB lives in an emptyDir and is lost on restart."""

    resources: Optional[Resources] = None
    """Requests and limits of the Prometheus container."""

    replicas: int = Field(default=1, ge=1, le=10)
    """Number of Prometheus replicas (identical, for high availability)."""

    shards: int = Field(default=1, ge=1, le=100)
    """Number of shards the scrape targets are split across (the operator's hashmod on each target's
    address). More than one needs ``globalView: thanos``: each shard alone sees part of the fleet."""

    global_view: Literal["none", "thanos"] = "none"
    """What answers dashboards and fleet-wide rules when there is more than one Prometheus.
    ``thanos``: a Thanos sidecar on every Prometheus, a Thanos Query (replica labels deduplicated)
    as Grafana's datasource and, with ``shards > 1``, a Thanos Ruler evaluating every rule that
    aggregates across targets. ``none``: Grafana reads the Prometheus Service directly (one server)."""

    query_replicas: int = Field(default=2, ge=1, le=10)
    """Thanos Query replicas (``globalView: thanos``)."""

    scrape_interval: ScrapeInterval = "30s"
    """Default scrape interval for every job that does not set its own (a positive duration up to
    ``5m``, the staleness window past which every series would show gaps)."""

    evaluation_interval: ScrapeInterval = "30s"
    """How often recording and alerting rules are evaluated (a positive duration up to ``5m``)."""

    external_labels: dict[str, LabelValue] = Field(default_factory=dict)
    """Extra external labels. ``cluster`` and ``environment`` are always set by infermon."""

    remote_write: list[RemoteWrite] = Field(default_factory=list)
    """Long-term stores to forward every sample to."""

    @field_validator("external_labels")
    @classmethod
    def _no_reserved_labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key in ("cluster", "environment"):
                raise ValueError(f"'{key}' is set by infermon from cluster.name / cluster.environment")
            if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", key):
                raise ValueError(f"'{key}' is not a valid Prometheus label name")
        return value


# --- alertmanager -------------------------------------------------------------


class Receiver(Model):
    name: K8sName
    """Receiver name, referenced by routes."""

    type: Literal["slack", "pagerduty", "webhook", "msteams"]
    """Kind of receiver."""

    secret: SecretName
    """Config key of the secret holding the receiver's credential: the webhook URL for
    slack, webhook and msteams; the Events API v2 routing key for pagerduty. It reaches
    Alertmanager as a mounted file, never inside its configuration."""

    channel: Optional[str] = None
    """Slack channel (``#name``); slack only."""

    send_resolved: bool = True
    """Also notify when the alert resolves."""


class Route(Model):
    receiver: K8sName
    """Receiver that gets the alerts this route matches."""

    matchers: dict[PromLabelName, str] = Field(default_factory=dict)
    """Label equality matchers, e.g. ``{severity: critical, team: llm}``; keys are Prometheus label
    names, values any string (quoted for Alertmanager as needed)."""

    continue_: bool = Field(default=False, alias="continue")
    """Keep evaluating the following routes after a match."""


class Alertmanager(Model):
    enabled: bool = True
    """Deploy Alertmanager with the stack."""

    receivers: list[Receiver] = Field(default_factory=list)
    """Where alerts go. Without any, alerts are only visible in the Alertmanager UI."""

    default_receiver: Optional[K8sName] = None
    """Receiver for alerts no route matches; the first receiver when unset."""

    routes: list[Route] = Field(default_factory=list)
    """Routing tree below the root, evaluated in order. The chart's always-firing ``Watchdog`` and
    ``InfoInhibitor`` alerts are routed before these, to the ``null`` receiver."""

    watchdog_receiver: Optional[K8sName] = None
    """Receiver of the always-firing ``Watchdog`` alert: a dead-man's switch (Healthchecks.io,
    PagerDuty heartbeat, Dead Man's Snitch) that pages when the pings stop, i.e. when the alerting
    pipeline itself is down. It is re-sent every minute. Unset: Watchdog goes to ``null``."""


# --- grafana ------------------------------------------------------------------


class Grafana(Model):
    enabled: bool = True
    """Deploy Grafana (the chart's, or a container on docker)."""

    admin_user: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "admin"
    """Grafana admin login."""

    admin_password_secret: Optional[SecretName] = None
    """Config key of the secret holding the admin password. When unset a 32-character
    password is generated (pulumi-random) and kept in the stack's encrypted state."""

    delivery: Literal["sidecar", "api"] = "sidecar"
    """How dashboards reach Grafana: ``sidecar`` (ConfigMaps picked up by the chart's
    Grafana, works on the first ``pulumi up``) or ``api`` (the Grafana HTTP API of an
    existing Grafana at ``url``). On ``platform: docker``, ``sidecar`` means file provisioning
    into the Grafana container infermon runs (same JSON, same folders)."""

    url: Optional[Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]] = None
    """Base URL of an existing Grafana; required for ``delivery: api``."""

    auth_secret: Optional[SecretName] = None
    """Config key of the secret holding a Grafana service-account token; required for ``delivery: api``."""

    multi_cluster: bool = False
    """Show a Cluster variable on every dashboard: for a Grafana whose data source sees several
    clusters (a long-term store where ``cluster`` is an external label). The stack's own Prometheus
    has no ``cluster`` label on its series, so the variable stays hidden by default."""


# --- inference services -------------------------------------------------------


class LatencySlo(Model):
    threshold: float = Field(gt=0, allow_inf_nan=False)
    """Latency target in seconds; must be a bucket boundary of the server's latency histogram
    (e.g. 0.5, 1, 2.5, 5, 10 for vLLM's e2e latency)."""

    objective: float = Field(gt=0.5, lt=1, allow_inf_nan=False)
    """Share of requests that must be faster than ``threshold`` (e.g. 0.99)."""


class Slo(Model):
    availability: Optional[float] = Field(default=None, gt=0.5, lt=1, allow_inf_nan=False)
    """Share of requests that must succeed over 30 days (e.g. 0.995)."""

    latency: Optional[LatencySlo] = None
    """Latency objective (kinds with a latency histogram: vllm, sglang, arks-runtime, arks-gateway, mlserver)."""


AlertOverrides = Annotated[dict[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]+$")], Annotated[float, Field(allow_inf_nan=False)]],
                          Field(default_factory=dict)]


class InferenceService(Model):
    name: K8sName
    """Service name; becomes the ``service`` label and the monitor's name."""

    kind: Literal["triton", "vllm", "sglang", "mlserver", "arks-runtime", "arks-gateway", "generic"]
    """Server kind; picks the default port and path, relabelings and (later) dashboards and alerts."""

    team: Optional[LabelValue] = None
    """Owning team, the ``team`` label used for alert routing."""

    namespace: Optional[K8sName] = None
    """Namespace the workload runs in (in-cluster discovery)."""

    selector: dict[str, LabelValue] = Field(default_factory=dict)
    """Label selector of the Kubernetes Service (or Pods with ``monitor: pod``) to scrape."""

    monitor: Literal["service", "pod"] = "service"
    """Discover through a ServiceMonitor (``service``) or a PodMonitor (``pod``)."""

    port: Optional[PortOrName] = None
    """Metrics port: a port name (``metrics``) or number. Default per kind: triton 8002,
    vllm 8000, sglang 30000, mlserver 8082, arks-runtime port ``http``, arks-gateway port
    ``metrics`` (as Arks' own ServiceMonitors); generic has no default."""

    path: UrlPath = "/metrics"
    """HTTP path of the metrics endpoint."""

    scheme: Literal["http", "https"] = "http"
    """Scheme used to scrape."""

    interval: Optional[ScrapeInterval] = None
    """Scrape interval for this service (up to ``5m``); the Prometheus default when unset."""

    static_targets: list[HostPort] = Field(default_factory=list)
    """Fixed ``host:port`` targets outside service discovery, e.g.
    ``triton.serving.svc.cluster.local:8002`` or ``[fd00::40]:8002``; scraped through the additional scrape configs."""

    service_name: Optional[K8sName] = None
    """Kubernetes Service of an in-cluster workload, for Datadog endpoints checks; defaults to ``name``."""

    alerts: AlertOverrides
    """Alert thresholds for this service, by alert name (e.g. ``{LLMHighTimeToFirstToken: 1.5}``);
    they override ``alerts.thresholds``."""

    slo: Optional[Slo] = None
    """Service-level objectives; each produces multi-window, multi-burn-rate alerts."""

    metrics_keep: Optional[Literal["all", "used"]] = None
    """Override of ``metrics.keep`` for this service."""

    metric_prefix: Optional[MetricPrefix] = None
    """Prefix a managed platform puts in front of the server's metric names, e.g.
    ``inference:model_run:mlserver:``. Every dashboard query for this service uses it;
    scraping is unaffected."""

    @field_validator("selector")
    @classmethod
    def _selector_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_label_keys(value)


# --- managed endpoints --------------------------------------------------------


class ManagedEndpoint(Model):
    name: K8sName
    """Name of this endpoint group; becomes the ``service`` label."""

    kind: Literal["databricks", "prometheus"]
    """``databricks``: Databricks Model Serving metrics export API; ``prometheus``: any
    Prometheus-format endpoint reachable from the cluster."""

    host: Hostname
    """Host name, e.g. the Databricks workspace ``adb-1234567890123456.7.azuredatabricks.net``."""

    port: Optional[Annotated[int, Field(ge=1, le=65535)]] = None
    """Port; 443 for https, 80 for http when unset."""

    endpoints: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=63)]] = Field(default_factory=list)
    """Databricks serving endpoint names as in the workspace (letters, digits, ``-``, ``_``); one
    scrape job each (databricks only)."""

    path: UrlPath = "/metrics"
    """Metrics path (prometheus only; databricks uses its export API path)."""

    scheme: Literal["http", "https"] = "https"
    """Scheme; databricks is always https."""

    token_secret: Optional[SecretName] = None
    """Config key of the secret holding the bearer token (a Databricks PAT or service-principal
    token). Mounted into Prometheus as a file; required for databricks."""

    interval: ScrapeInterval = "1m"
    """Scrape interval. Databricks serves per-minute figures, so scraping faster only repeats them."""

    alerts: AlertOverrides
    """Alert thresholds for this endpoint group, by alert name; they override ``alerts.thresholds``."""

    team: Optional[LabelValue] = None
    """Owning team, the ``team`` label used for alert routing."""


# --- GPU pools ----------------------------------------------------------------


class Toleration(Model):
    key: Optional[Annotated[str, StringConstraints(min_length=1, max_length=253)]] = None
    """Taint key to tolerate; with ``operator: Exists`` and no key, every taint."""

    operator: Literal["Exists", "Equal"] = "Equal"
    """``Equal`` matches ``value``; ``Exists`` matches any value."""

    value: Optional[LabelValue] = None
    """Taint value (``Equal`` only)."""

    effect: Optional[Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]] = None
    """Taint effect to tolerate; every effect when unset."""


class GpuPool(Model):
    name: K8sName
    """Pool name; the ``gpu_pool`` label on every DCGM series from it."""

    node_selector: dict[str, LabelValue] = Field(default_factory=dict)
    """Node labels that identify the pool's nodes, e.g. ``{cloud.google.com/gke-accelerator: nvidia-h100-80gb}``."""

    tolerations: list[Toleration] = Field(default_factory=list)
    """Taints of the pool's nodes the exporter must tolerate (exporter mode)."""

    gpu_model: Optional[Annotated[str, StringConstraints(min_length=1, max_length=63)]] = None
    """GPU model, for documentation and dashboards (e.g. ``H100-80GB``)."""

    mode: Literal["exporter", "gpu-operator"] = "exporter"
    """``exporter``: infermon runs a DCGM exporter DaemonSet on the pool. ``gpu-operator``:
    the NVIDIA GPU Operator already runs it; infermon only scrapes it."""

    profiling: bool = False
    """Collect the ``DCGM_FI_PROF_*`` profiling counters (tensor, DRAM activity); needs the
    ``SYS_ADMIN`` capability and a datacenter GPU (exporter mode)."""

    gpu_id_type: Optional[Literal["uid", "device-name"]] = None
    """How the exporter maps GPUs to pods through the kubelet pod-resources API. GKE's device
    plugin reports device names, so the default is ``device-name`` on gke and ``uid``
    elsewhere (exporter mode)."""

    extra_counters: list[Annotated[str, StringConstraints(pattern=r"^DCGM_FI_[A-Z0-9_]+$")]] = Field(default_factory=list)
    """DCGM fields collected in addition to the defaults (exporter mode); in gpu-operator mode,
    the fields the operator's exporter is configured to collect beyond its defaults. Alerts on
    throttling, ECC and NVLink counters are deployed only where a pool collects them."""

    image: Optional[Annotated[str, StringConstraints(pattern=IMAGE_REFERENCE)]] = None
    """DCGM exporter image override (exporter mode); a pinned default when unset."""

    gpu_operator_namespace: K8sName = "gpu-operator"
    """Namespace of the GPU Operator's exporter (gpu-operator mode)."""

    @field_validator("node_selector")
    @classmethod
    def _node_selector_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_label_keys(value)


# --- series budget -------------------------------------------------------------


class Metrics(Model):
    keep: Literal["all", "used"] = "all"
    """``used``: keep only the series infermon's dashboards, rules and monitors reference (plus
    ``extra``), dropping the rest at scrape time; ``all``: keep everything the servers expose."""

    extra: list[Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]] = Field(default_factory=list)
    """Series names kept in addition to the used ones (exact names as scraped, e.g. ``process_resident_memory_bytes``)."""


# --- alerting -----------------------------------------------------------------


class Alerts(Model):
    runbook_base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")] = "https://runbooks.example.com/infermon"
    """Base of every alert's ``runbook_url`` (``<base>/<alertname-lowercase>``). Point it at your runbooks."""

    team: LabelValue = "platform"
    """``team`` label of fleet-wide alerts (GPUs, scrape targets) and of services without a team."""

    thresholds: AlertOverrides
    """Threshold overrides for this environment, by alert name (e.g. ``{GPUTemperatureHigh: 83}``), in
    the unit of the alert's signal: ratios from 0 to 1 (``0.95``, not ``95``), latencies in seconds above
    0 (Databricks: milliseconds), DCGM percentages 0-100, counts and rates 0 or more."""

    disabled: list[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]+$")]] = Field(default_factory=list)
    """Alert names not to deploy in this environment."""


# --- datadog ------------------------------------------------------------------

NotifyHandle = Annotated[str, StringConstraints(pattern=r"^@[A-Za-z0-9_.@+-]+$")]


class Datadog(Model):
    enabled: bool = False
    """Collect the same servers with the Datadog Agent and create Datadog monitors."""

    agent: Literal["deploy", "existing"] = "existing"
    """``deploy``: infermon installs the Datadog Agent Helm chart with its checks. ``existing``: an
    Agent already runs; infermon emits the check configuration as a ConfigMap to mount."""

    namespace: K8sName = "datadog"
    """Namespace of the Agent (and of the secrets its checks read)."""

    site: Literal["datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ddog-gov.com"] = "datadoghq.com"
    """Datadog site."""

    api_key_secret: Optional[SecretName] = None
    """Config key of the secret holding the Datadog API key (Agent and monitors)."""

    app_key_secret: Optional[SecretName] = None
    """Config key of the secret holding a Datadog application key (monitors)."""

    monitors: bool = True
    """Create a Datadog monitor for every alert whose signal Datadog collects."""

    notify: list[NotifyHandle] = Field(default_factory=list)
    """Notification handles put in every monitor message of this environment (``@pagerduty-ml``)."""

    team_notify: dict[LabelValue, list[NotifyHandle]] = Field(default_factory=dict)
    """Extra handles for a team's monitors (``{llm: ["@slack-llm-alerts"]}``)."""

    renotify_minutes: int = Field(default=60, ge=0, le=1440)
    """Re-notify while a monitor stays in alert (0: never)."""


# --- docker hosts ---------------------------------------------------------------

IPv4 = Annotated[str, StringConstraints(pattern=r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$")]
Port = Annotated[int, Field(ge=1, le=65535)]


class DockerHost(Model):
    name: K8sName
    """Host name: the ``host`` label of every container series from it, and the ``node`` label of its GPUs."""

    daemon: Annotated[str, StringConstraints(pattern=r"^(unix:///[^\s]+|ssh://[^\s@]+@[^\s]+)$")] = "unix:///var/run/docker.sock"
    """Docker daemon pulumi-docker talks to: ``unix:///var/run/docker.sock`` when ``pulumi up`` runs on
    the host itself, ``ssh://user@host`` for a remote host (key-based SSH; the user must be in the
    ``docker`` group)."""

    address: Optional[IPv4] = None
    """Private IPv4 address of this host. Required for every host except the monitoring host: its
    exporters publish their ports on this address only, and the monitoring host's Prometheus
    scrapes them there."""

    gpu_pool: Optional[K8sName] = None
    """GPU pool (``gpuPools[].name``) this host's GPUs belong to. A DCGM exporter with access to
    every GPU of the host runs here when set."""


class DockerPublish(Model):
    grafana: Optional[Port] = None
    """Host port Grafana's UI is published on (at ``docker.bindAddress``); not published when unset."""

    prometheus: Optional[Port] = None
    """Host port Prometheus' UI and API are published on; not published when unset."""

    alertmanager: Optional[Port] = None
    """Host port Alertmanager's UI is published on; not published when unset."""


class Docker(Model):
    hosts: list[DockerHost] = Field(default_factory=list)
    """Docker hosts to monitor (``cluster.platform: docker`` only). Every host runs cAdvisor, and a
    DCGM exporter when it has a ``gpuPool``; the monitoring host also runs Prometheus, Grafana and
    Alertmanager."""

    monitoring_host: Optional[K8sName] = None
    """Host that runs Prometheus, Grafana and Alertmanager; the first host when unset."""

    network: K8sName = "infermon"
    """Name of the Docker bridge network infermon creates on each host. Attach your inference
    containers to it (``docker network connect infermon triton``) to scrape them by container name."""

    publish: DockerPublish = Field(default_factory=DockerPublish)
    """Which UIs are published on the monitoring host. Nothing is published by default."""

    cadvisor_port: Port = 8080
    """Port cAdvisor is published on at the ``address`` of every host but the monitoring host
    (change it when an inference server already uses 8080, as MLServer does)."""

    dcgm_exporter_port: Port = 9400
    """Port the DCGM exporter is published on at the ``address`` of every GPU host but the monitoring host."""

    bind_address: IPv4 = "127.0.0.1"
    """Host address published UIs listen on. The default keeps them on loopback (reach them with
    ``ssh -L``); set the host's private address to open them to your network."""


# --- the whole namespace ------------------------------------------------------


class InfermonConfig(Model):
    """Everything under ``infermon:`` in a stack file."""

    cluster: Cluster
    """The cluster this stack monitors."""

    prometheus: Prometheus = Field(default_factory=Prometheus)
    """Prometheus server settings."""

    alertmanager: Alertmanager = Field(default_factory=Alertmanager)
    """Alertmanager and its notification receivers."""

    grafana: Grafana = Field(default_factory=Grafana)
    """Grafana admin credentials and dashboard delivery."""

    inference: list[InferenceService] = Field(default_factory=list)
    """Inference services to monitor."""

    endpoints: list[ManagedEndpoint] = Field(default_factory=list)
    """Managed endpoints outside the cluster (Databricks Model Serving, other Prometheus endpoints)."""

    gpu_pools: list[GpuPool] = Field(default_factory=list)
    """GPU node pools; each gets DCGM metrics."""

    alerts: Alerts = Field(default_factory=Alerts)
    """Alert rule settings: runbook links, thresholds per environment, disabled alerts."""

    metrics: Metrics = Field(default_factory=Metrics)
    """Series budget: keep every series or only the used ones."""

    datadog: Datadog = Field(default_factory=Datadog)
    """Datadog Agent checks and monitors from the same catalog and thresholds."""

    docker: Docker = Field(default_factory=Docker)
    """Docker hosts, for ``cluster.platform: docker`` (single GPU servers without Kubernetes)."""


DEFAULT_PORTS: dict[str, int | str] = {
    "triton": 8002,
    "vllm": 8000,
    "sglang": 30000,
    "mlserver": 8082,
    "arks-runtime": "http",
    "arks-gateway": "metrics",
}
"""Metrics port of each server kind as its upstream ships it (a number, or a port name)."""
