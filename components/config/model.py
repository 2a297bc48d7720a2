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

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

# --- shared constrained types -------------------------------------------------

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""RFC 1123 label: what Kubernetes accepts for names of namespaces, services, ports."""

K8sName = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]
Duration = Annotated[str, StringConstraints(pattern=r"^([0-9]+(ms|s|m|h|d|w|y))+$")]
ByteSize = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$")]
Quantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=100)]
"""Name of a top-level config key holding a secret (set with ``pulumi config set --secret``)."""
LabelValue = Annotated[str, StringConstraints(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", max_length=63)]
MetricPrefix = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
HostPort = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$")]
Hostname = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$", max_length=253)]
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

    kubernetes_version: Literal["1.30", "1.31", "1.32", "1.33", "1.34", "1.35"] = "1.33"
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
    """Extra HTTP headers, e.g. ``X-Scope-OrgID`` for a multi-tenant Mimir. Not for credentials."""


class Prometheus(Model):
    retention: Duration = "15d"
    """How long samples are kept on the local TSDB."""

    retention_size: Optional[ByteSize] = None
    """Upper bound on local TSDB size (e.g. ``45GiB``); oldest blocks are dropped past it."""

    storage: Optional[Storage] = None
    """Persistent storage. Without it the TSDB lives in an emptyDir and is lost on restart."""

    resources: Optional[Resources] = None
    """Requests and limits of the Prometheus container."""

    replicas: int = Field(default=1, ge=1, le=10)
    """Number of Prometheus replicas (identical, for high availability)."""

    shards: int = Field(default=1, ge=1, le=100)
    """Number of shards the scrape targets are split across."""

    scrape_interval: Duration = "30s"
    """Default scrape interval for every job that does not set its own."""

    evaluation_interval: Duration = "30s"
    """How often recording and alerting rules are evaluated."""

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

    matchers: dict[str, str] = Field(default_factory=dict)
    """Label equality matchers, e.g. ``{severity: critical, team: llm}``."""

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
    """Routing tree below the root, evaluated in order."""


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


# --- inference services -------------------------------------------------------


class LatencySlo(Model):
    threshold: float = Field(gt=0)
    """Latency target in seconds; must be a bucket boundary of the server's latency histogram
    (e.g. 0.5, 1, 2.5, 5, 10 for vLLM's e2e latency)."""

    objective: float = Field(gt=0.5, lt=1)
    """Share of requests that must be faster than ``threshold`` (e.g. 0.99)."""


class Slo(Model):
    availability: Optional[float] = Field(default=None, gt=0.5, lt=1)
    """Share of requests that must succeed over 30 days (e.g. 0.995)."""

    latency: Optional[LatencySlo] = None
    """Latency objective (kinds with a latency histogram: vllm, sglang, arks-runtime, arks-gateway, mlserver)."""


AlertOverrides = Annotated[dict[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]+$")], float], Field(default_factory=dict)]


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

    port: Optional[Union[Annotated[int, Field(ge=1, le=65535)], K8sName]] = None
    """Metrics port: a port name (``metrics``) or number. Default per kind: triton 8002,
    vllm 8000, sglang 30000, mlserver 8082, arks-runtime port ``http``, arks-gateway port
    ``metrics`` (as Arks' own ServiceMonitors); generic has no default."""

    path: UrlPath = "/metrics"
    """HTTP path of the metrics endpoint."""

    scheme: Literal["http", "https"] = "http"
    """Scheme used to scrape."""

    interval: Optional[Duration] = None
    """Scrape interval for this service; the Prometheus default when unset."""

    static_targets: list[HostPort] = Field(default_factory=list)
    """Fixed ``host:port`` targets outside service discovery, e.g.
    ``triton.serving.svc.cluster.local:8002``; scraped through the additional scrape configs."""

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

    endpoints: list[K8sName] = Field(default_factory=list)
    """Databricks serving endpoint names; one scrape job each (databricks only)."""

    path: UrlPath = "/metrics"
    """Metrics path (prometheus only; databricks uses its export API path)."""

    scheme: Literal["http", "https"] = "https"
    """Scheme; databricks is always https."""

    token_secret: Optional[SecretName] = None
    """Config key of the secret holding the bearer token (a Databricks PAT or service-principal
    token). Mounted into Prometheus as a file; required for databricks."""

    interval: Duration = "1m"
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
    """DCGM fields collected in addition to the defaults (exporter mode)."""

    image: Optional[Annotated[str, StringConstraints(pattern=r"^[^\s:@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[a-f0-9]{64})?$")]] = None
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
    """Threshold overrides for this environment, by alert name (e.g. ``{GPUTemperatureHigh: 83}``)."""

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
