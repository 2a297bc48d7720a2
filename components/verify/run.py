"""``infermon verify``: the rendered stack, run for real on loopback.

1. Render the stack; build the Prometheus configuration the operator would build from it:
   the additional scrape configs as they are, and every ServiceMonitor/PodMonitor turned
   into a scrape job with its relabelings and metricRelabelings (Kubernetes discovery is
   stood in for by static targets carrying the ``__meta_kubernetes_*`` labels the operator's
   relabelings read). Targets are remapped to simulators on 127.0.0.1; nothing else is
   contacted. Rule files are loaded with every ``for:`` shortened.
2. Start the simulators and the real ``prometheus`` binary (free loopback port, temporary TSDB).
3. Check: every job up; every dashboard panel returns data; every recording rule produces
   series; no alert active at baseline; each injected fault brings its alerts to
   pending/firing (a target going down last).
Processes and temporary files are always cleaned up, also on Ctrl-C.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import yaml

from .. import tools
from ..render import render
from . import chart_defaults

INTERVAL = "2s"
SHORT_FOR = "2s"
FAULT_FOR = {
    "TritonHighFailureRatio": "error_burst", "TritonHighQueueTime": "latency_spike", "TritonPendingRequestsGrowing": "queue_growth", "TritonPendingRequestsHigh": "queue_growth",
    "LLMHighTimeToFirstToken": "latency_spike", "LLMHighE2ELatency": "latency_spike", "LLMRequestsWaiting": "queue_growth", "LLMHighErrorRatio": "error_burst", "LLMHighInterTokenLatency": "latency_spike",
    "TritonGPUUtilizationHigh": "saturated", "TritonCPUMemoryHigh": "saturated", "GPUThermalThrottling": "throttle", "GPUPowerThrottling": "throttle",
    "GPUDoubleBitECCErrors": "hw_errors", "GPUNVLinkErrors": "hw_errors", "GPUPCIeReplays": "hw_errors",
    "LLMKVCacheNearFull": "kv_full", "LLMPreemptions": "kv_full", "LLMGatewayHighErrorRatio": "error_burst",
    "LLMGatewayRateLimitSurge": "error_burst", "LLMGatewayQuotaNearLimit": "error_burst",
    "MLServerHighInferenceLatency": "latency_spike", "MLServerLowSuccessRatio": "error_burst", "MLServerQueueBacklog": "queue_growth",
    "MLServerNotReady": "not_ready", "DatabricksHighErrorRatio": "error_burst", "DatabricksHighP99Latency": "latency_spike",
    "GPUXidError": "xid", "GPUXidApplicationError": "xid_app", "GPUTemperatureHigh": "overheat", "GPUFramebufferNearFull": "fb_full", "GPURowRemapFailure": "row_remap", "GPUUncorrectableRowRemap": "row_remap",
    "GPUAllocatedButIdle": "idle", "SLOAvailabilityBurnRate": "error_burst", "SLOLatencyBurnRate": "latency_spike",
    "InfermonTargetDown": "down", "InfermonScrapesFailing": "down", "InfermonTargetMissing": "missing",
}
"""The simulator fault that must bring each alert to pending/firing."""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    failures: list[str] = field(default_factory=list)


@dataclass
class Report:
    stack: str
    checks: list[Check] = field(default_factory=list)
    head_series: int = 0
    """Series in Prometheus' head block at baseline (``prometheus_tsdb_head_series``)."""
    panels: tuple[int, int] = (0, 0)
    """(panels answering, panels)."""
    prometheus: str = ""
    """The Prometheus the stack was proved against, e.g. ``prometheus 3.14.0``."""
    series_by_job: dict[str, int] = field(default_factory=dict)
    """Series per scrape of each declared job (``verify --live``)."""
    series_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    """Simulated server kind -> family -> series stored from its targets at baseline (``up`` and
    ``scrape_*`` aside), offline ``verify`` only."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> str:
        return json.dumps({"stack": self.stack, "ok": self.ok, "prometheus": self.prometheus, "head_series": self.head_series, "panels": list(self.panels),
                           "series_by_job": self.series_by_job, "series_by_kind": self.series_by_kind, "checks": [c.__dict__ for c in self.checks]}, indent=2, sort_keys=True)


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port free now and not handed out before by this process: the ports are bound
    later (the simulators', then Prometheus'), and the kernel may offer a just-closed port again."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def snake(relabel: dict[str, Any]) -> dict[str, Any]:
    """An operator RelabelConfig (camelCase) as a Prometheus relabel_config."""
    names = {"sourceLabels": "source_labels", "targetLabel": "target_label"}
    return {names.get(k, k): v for k, v in relabel.items()}


# --- plan: simulators and scrape jobs -------------------------------------------------------------


@dataclass(frozen=True)
class Tamper:
    """Faults of the cluster rather than of a server, for proving ``verify --live`` finds them."""

    mislabel: frozenset[str] = frozenset()
    """Services whose workload objects do not carry the labels their monitor selects."""
    rename: dict[str, dict[str, str]] = field(default_factory=dict)
    """service -> families its servers expose under another name (an upstream rename)."""
    break_rule: str = ""
    """A recording rule whose expression is replaced by one that fails at every evaluation."""
    drop_group: str = ""
    """A rule group Prometheus does not load (its PrometheusRule not selected)."""


@dataclass
class Plan:
    targets: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    by_service: dict[str, list[str]] = field(default_factory=dict)
    """service label -> simulator base URLs (faults are sent there)."""
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    """service label -> the healthy state its simulators start from (see ``healthy_baseline``)."""
    tamper: "Tamper" = field(default_factory=lambda: Tamper())
    dropped_jobs: set[str] = field(default_factory=set)
    """Jobs whose every target the relabelings drop (``Tamper.mislabel``)."""
    kind_of: dict[str, str] = field(default_factory=dict)
    """Simulator address -> the kind its series are counted under (``arks-runtime (vllm)`` for an
    Arks pod's vLLM, whose keep-list is Arks')."""

    def sim(self, service: str, kind: str, group: str = "", **kw: Any) -> str:
        port = free_port()
        self.kind_of[f"127.0.0.1:{port}"] = group or kind
        if service in self.baselines:
            kw.setdefault("baseline", self.baselines[service])
        if service in self.tamper.rename:
            kw.setdefault("rename", self.tamper.rename[service])
        self.targets.append({"name": f"{service}-{len(self.targets)}", "kind": kind, "port": port, **kw})
        scheme = "https" if kw.get("tls") else "http"
        self.by_service.setdefault(service, []).append(f"{scheme}://127.0.0.1:{port}")
        return f"127.0.0.1:{port}"


def _sims_for(plan: Plan, service: str, kind: str, prefix: str = "", tls: bool = False) -> list[str]:
    if kind == "vllm":  # one simulator of each naming generation
        return [plan.sim(service, "vllm", prefix=prefix, generation="new", tls=tls),
                plan.sim(service, "vllm", prefix=prefix, generation="old", tls=tls)]
    if kind == "arks-runtime":  # Arks pods run vLLM or SGLang and expose their raw names
        return [plan.sim(service, "vllm", group="arks-runtime (vllm)", generation="new", tls=tls),
                plan.sim(service, "sglang", group="arks-runtime (sglang)", tls=tls)]
    return [plan.sim(service, kind, prefix=prefix, tls=tls)]


def sanitize(label: str) -> str:
    """A Kubernetes label key as a Prometheus meta-label suffix (``app.kubernetes.io/name`` -> ``app_kubernetes_io_name``)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def pool_name(obj: dict[str, Any], index: int = 0) -> str:
    """The scrape pool (job_name) the Prometheus Operator gives a monitor's endpoint."""
    kind = {"ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor"}[obj["kind"]]
    return f"{kind}/{obj['metadata']['namespace']}/{obj['metadata']['name']}/{index}"


def selection(obj: dict[str, Any], ep: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The ``keep`` relabelings the operator puts first in a monitor's job (its label selector and
    endpoint port), and the discovery labels of an object they keep."""
    role = "service" if obj["kind"] == "ServiceMonitor" else "pod"
    keep, meta = [], {}
    for k, v in sorted(obj["spec"]["selector"].get("matchLabels", {}).items()):
        keep.append({"action": "keep", "source_labels": [f"__meta_kubernetes_{role}_label_{sanitize(k)}", f"__meta_kubernetes_{role}_labelpresent_{sanitize(k)}"],
                     "regex": f"({v});true"})
        meta |= {f"__meta_kubernetes_{role}_label_{sanitize(k)}": v, f"__meta_kubernetes_{role}_labelpresent_{sanitize(k)}": "true"}
    for key, source in (("port", "__meta_kubernetes_endpoint_port_name" if role == "service" else "__meta_kubernetes_pod_container_port_name"),
                        ("targetPort", "__meta_kubernetes_pod_container_port_number"), ("portNumber", "__meta_kubernetes_pod_container_port_number")):
        if key in ep:
            keep.append({"action": "keep", "source_labels": [source], "regex": str(ep[key])})
            meta[source] = str(ep[key])
            break
    return keep, meta


def monitor_jobs(obj: dict[str, Any], targets: list[str], namespace: str, mislabel: bool = False) -> list[dict[str, Any]]:
    """The scrape jobs the Prometheus Operator makes of a ServiceMonitor/PodMonitor, its targets
    given as static targets with the ``__meta_kubernetes_*`` labels discovery would attach and
    the relabelings read: the operator's own ``keep`` on the selector and port, then its target
    labels, then the monitor's relabelings. ``mislabel``: the workload's objects do not carry the
    selected labels (the monitor selects nothing; its targets are dropped, as in a cluster)."""
    md, spec = obj["metadata"], obj["spec"]
    name = md["name"]
    meta = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_service_name": name,
        "__meta_kubernetes_pod_name": f"{name}-0",
        "__meta_kubernetes_pod_container_name": "exporter",
        "__meta_kubernetes_pod_node_name": "gpu-node-1",
    }
    operator = [  # what the Prometheus Operator adds after its keeps, before the monitor's own relabelings
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        {"target_label": "job", "replacement": name},
    ]
    jobs = []
    for i, ep in enumerate(spec.get("endpoints") or spec.get("podMetricsEndpoints")):
        keep, discovered = selection(obj, ep)
        port = next((str(ep[k]) for k in ("port", "targetPort", "portNumber") if k in ep), "")
        endpoint = [{"target_label": "endpoint", "replacement": port}] if port else []
        if mislabel:
            discovered = {k: (f"{v}-renamed" if "_label_" in k else v) for k, v in discovered.items()}
        jobs.append({
            "job_name": pool_name(obj, i),
            "honor_labels": bool(ep.get("honorLabels", False)),
            "metrics_path": ep.get("path", "/metrics"),
            "scheme": ep.get("scheme", "http"),
            "scrape_interval": INTERVAL,
            "scrape_timeout": INTERVAL,
            "static_configs": [{"targets": targets, "labels": meta | discovered}],
            "relabel_configs": keep + operator + endpoint + [snake(r) for r in ep.get("relabelings", [])],
            "metric_relabel_configs": [snake(r) for r in ep.get("metricRelabelings", [])],
        })
    return jobs


def _static_job(plan: Plan, job: dict[str, Any], tmp: Path, token: str, prefixes: dict[str, str]) -> dict[str, Any]:
    """An inference or endpoint job with its targets replaced by simulators."""
    job = json.loads(json.dumps(job))
    labels = job["static_configs"][0]["labels"]
    service = labels["service"]
    if labels.get("endpoint_kind") == "databricks":
        job["static_configs"] = [{"targets": [plan.sim(service, "databricks", tls=True, token=token)], "labels": labels}]
        token_file = tmp / "secrets" / Path(job["authorization"]["credentials_file"]).name
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token)
        job["authorization"]["credentials_file"] = str(token_file)
        job["tls_config"] = {"insecure_skip_verify": True}
    else:
        kind = labels.get("inference_kind", "triton")
        tls = job.get("scheme") == "https"
        job["static_configs"] = [{"targets": _sims_for(plan, service, kind, prefixes.get(service, ""), tls), "labels": labels}]
        if tls:
            job["tls_config"] = {"insecure_skip_verify": True}
    job["scrape_interval"] = INTERVAL
    job["scrape_timeout"] = INTERVAL
    return job


DOCKER_CONTAINERS = ("triton", "vllm", "prometheus")
"""Container names the cAdvisor simulator of a Docker host reports."""


def docker_plan(rendered: render.Rendered, tmp: Path, token: str, prom_port: int) -> Plan:
    """The rendered prometheus.yml, its targets replaced by simulators.

    cAdvisor simulators expose Docker's labels (container ``name``, ``image``, ``id``; no
    namespace or pod) and DCGM simulators no pod mapping, as on a Docker host. The self-scrape
    and Alertmanager jobs point at the Prometheus under test; ``alerting`` is dropped (verify
    checks alerts in Prometheus itself).
    """
    cfg = rendered.loaded.config
    plan = Plan(baselines=healthy_baseline(rendered.loaded))
    prefixes = {s.name: s.metric_prefix or "" for s in cfg.inference}
    for job in yaml.safe_load(rendered.files["prometheus/prometheus.yml"])["scrape_configs"]:
        name = job["job_name"]
        if name in ("prometheus", "alertmanager"):  # no rule or panel reads Alertmanager's own series: Prometheus' /metrics stands in
            job = dict(job, static_configs=[dict(job["static_configs"][0], targets=[f"127.0.0.1:{prom_port}"])])
        elif name == "cadvisor" or name.startswith("dcgm/"):
            job = json.loads(json.dumps(job))
            for sc in job["static_configs"]:
                host = sc["labels"]["host"]
                if name == "cadvisor":
                    sc["targets"] = [plan.sim(f"cadvisor-{host}-{c}", "docker-containers", labels={"name": c, "id": f"/docker/{c}"})
                                     for c in DOCKER_CONTAINERS]
                else:
                    sc["targets"] = [plan.sim(name, "dcgm", without=["pod", "namespace", "container"])]
        else:
            plan.jobs.append(_static_job(plan, job, tmp, token, prefixes))
            continue
        job["scrape_interval"] = INTERVAL
        job["scrape_timeout"] = INTERVAL
        plan.jobs.append(job)
    return plan


def healthy_baseline(loaded: Any) -> dict[str, dict[str, float]]:
    """Per service, a healthy state that keeps every one of its thresholds and SLOs with a wide
    margin: the simulators' default latency and error share, lowered where the stack is stricter
    (a healthy fleet must verify quiet whatever thresholds a team sets)."""
    import math

    from ..alerts.rules import targets, threshold
    from ..alerts.specs import BY_NAME

    out = {}
    for t in targets(loaded):
        thr = lambda name: threshold(name, BY_NAME[name].threshold, loaded, t)  # noqa: E731
        # simulated means: TTFT latency/5, e2e 10x latency, Triton queue 0.3x, Databricks in ms;
        # observations are exponential, so p95 ~ 3x and p99 ~ 4.6x the mean; keep within half a threshold
        latency = [0.2, thr("LLMHighTimeToFirstToken") * 5 / 6, thr("LLMHighInterTokenLatency") * 40 / 6, thr("LLMHighE2ELatency") / 60, thr("MLServerHighInferenceLatency") / 2,
                   thr("TritonHighQueueTime") / 0.6, thr("DatabricksHighP99Latency") / 9200]
        errors = [0.0002, thr("TritonHighFailureRatio") / 10, thr("LLMGatewayHighErrorRatio") / 10, thr("DatabricksHighErrorRatio") / 10,
                  (1 - thr("MLServerLowSuccessRatio")) / 10]
        if t.slo is not None and t.slo.latency is not None:  # P(e2e > T) = exp(-T / (10 latency)) <= a tenth of the budget
            latency.append(t.slo.latency.threshold / (10 * math.log(10 / (1 - t.slo.latency.objective))))
        if t.slo is not None and t.slo.availability is not None:
            errors.append((1 - t.slo.availability) / 10)
        out[t.name] = {"latency": min(latency), "error_share": min(errors)}
    return out


def build_plan(rendered: render.Rendered, tmp: Path, token: str, prom_port: int = 0, tamper: Optional[Tamper] = None) -> Plan:
    cfg = rendered.loaded.config
    if cfg.cluster.platform == "docker":
        return docker_plan(rendered, tmp, token, prom_port)
    plan = Plan(baselines=healthy_baseline(rendered.loaded), tamper=tamper or Tamper())
    prefixes = {s.name: s.metric_prefix or "" for s in cfg.inference}
    kinds = {s.name: s.kind for s in cfg.inference}
    from ..gpu import dcgm_fields

    collectors = {f"dcgm-exporter-{p.name}": [f.name for f in dcgm_fields.counters(p.profiling, p.extra_counters)]
                  for p in cfg.gpu_pools if p.mode == "exporter"}
    for job in render.scrape_jobs(rendered.run):
        plan.jobs.append(_static_job(plan, job, tmp, token, prefixes))

    for rel, text in sorted(rendered.files.items()):
        if not rel.startswith("kubernetes/"):
            continue
        obj = yaml.safe_load(text)
        if obj["kind"] not in ("ServiceMonitor", "PodMonitor"):
            continue
        md, spec = obj["metadata"], obj["spec"]
        name = md["name"]
        if name.startswith("inference-"):
            service = name[len("inference-"):]
            targets = _sims_for(plan, service, kinds[service], prefixes.get(service, ""))
            namespace = spec["namespaceSelector"]["matchNames"][0]
        else:  # DCGM exporters: the series of an allocated GPU carry the workload's pod
            service = name
            targets = [plan.sim(service, "dcgm", labels={"namespace": "llm", "pod": "chat-0", "container": "vllm"},
                                fields=collectors.get(service, []))]
            namespace = spec["namespaceSelector"]["matchNames"][0]
        jobs = monitor_jobs(obj, targets, namespace, mislabel=service in plan.tamper.mislabel)
        if service in plan.tamper.mislabel:
            plan.dropped_jobs.update(j["job_name"] for j in jobs)
        plan.jobs += jobs

    # the chart's own kubelet (cAdvisor) and kube-state-metrics jobs, for the containers dashboard
    in_cluster = [(s.namespace, s.name) for s in cfg.inference if s.selector]
    if in_cluster:
        cadvisor = [plan.sim("kubelet", "containers", labels={"namespace": ns, "pod": f"{svc}-0", "container": svc, "reason": "OOMKilled"})
                    for ns, svc in in_cluster]
        # with the chart's default cAdvisor relabelings, which the real kubelet ServiceMonitor applies
        plan.jobs.append({"job_name": "kubelet", "scrape_interval": INTERVAL, "scrape_timeout": INTERVAL,
                          "static_configs": [{"targets": cadvisor, "labels": {"job": "kubelet"}}],
                          "metric_relabel_configs": [snake(r) for r in chart_defaults.CADVISOR_METRIC_RELABELINGS]})
    return plan


def prometheus_config(plan: Plan, rule_files: list[str]) -> dict[str, Any]:
    return {"global": {"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL, "external_labels": {}},
            "rule_files": rule_files, "scrape_configs": plan.jobs}


BROKEN_EXPR = 'vector(1) + on() (vector(1) or label_replace(vector(1), "x", "y", "", ""))'
"""Fails at every evaluation, whatever the data: two series on the right of a one-to-one match."""


def shortened_rules(rendered: render.Rendered, tmp: Path, tamper: Optional[Tamper] = None) -> list[str]:
    tamper = tamper or Tamper()
    paths = []
    for rel, text in sorted(rendered.files.items()):
        if rel.startswith("prometheus/rules/"):
            doc = yaml.safe_load(text)
            doc["groups"] = [g for g in doc["groups"] if g["name"] != tamper.drop_group]
            if not doc["groups"]:
                continue
            for g in doc["groups"]:
                g["interval"] = INTERVAL
                for r in g["rules"]:
                    if "for" in r:
                        r["for"] = SHORT_FOR
                    if r.get("record") == tamper.break_rule:
                        r["expr"] = BROKEN_EXPR
            path = tmp / "rules" / Path(rel).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            paths.append(str(path))
    return paths


# --- talking to Prometheus ---------------------------------------------------------------------------


class Prom:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: str) -> Any:
        url = f"{self.base}{path}?{urllib.parse.urlencode(params)}" if params else f"{self.base}{path}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read())

    def query(self, expr: str) -> list:
        return self.get("/api/v1/query", query=expr)["data"]["result"]


GRAFANA_VARS = [("$__rate_interval", "1m"), ("$__range", "5m"), ("$__interval", "10s")]


def panel_expr(expr: str) -> str:
    for var, value in GRAFANA_VARS:
        expr = expr.replace(var, value)
    return re.sub(r'=~"\$[a-z_]+"', '=~".*"', expr)


def _wait(cond: Callable[[], bool], timeout: float, step: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if cond():
                return True
        except OSError:
            pass
        time.sleep(step)
    return False


def _fault(urls: list[str], fault: str) -> None:
    import ssl

    insecure = ssl._create_unverified_context()  # our own self-signed simulator certificate
    for url in urls:
        req = urllib.request.Request(f"{url}/-/fault?name={fault}", method="POST")
        urllib.request.urlopen(req, timeout=5, context=insecure if url.startswith("https") else None).read()


def _active(prom: Prom) -> set[tuple[str, str, str]]:
    return {(a["labels"]["alertname"], a["labels"].get("service", ""), a["state"]) for a in prom.get("/api/v1/alerts")["data"]["alerts"] or []}


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class Loopback:
    """A simulated fleet scraped by the real Prometheus on 127.0.0.1."""

    prom: Prom
    plan: Plan
    url: str
    prometheus: str
    """e.g. ``prometheus 3.14.0``."""
    sd_files: list[Path]
    """The file-discovery file of every job, in the order of ``plan.jobs``."""
    reference: Optional["Prom"] = None
    """With a global view: one unsharded Prometheus on the same simulators and every rule."""
    topology: Optional[Any] = None
    """With a global view: what runs behind ``prom`` (``global_view.Topology``)."""
    started: float = 0.0
    """``time.monotonic()`` when the Prometheus servers started."""

    def drop_targets(self, service: str) -> None:
        """Discovery stops finding the targets of ``service`` (as when its monitor selects nothing
        any more): Prometheus drops them and marks their series stale."""
        mine = {u.split("://", 1)[1] for u in self.plan.by_service[service]}
        for path in self.sd_files:
            groups = json.loads(path.read_text())
            kept = [dict(g, targets=[t for t in g["targets"] if t not in mine]) for g in groups]
            if kept != groups:
                path.write_text(json.dumps(kept))


@contextmanager
def loopback(rendered: render.Rendered, progress: Callable[[str], None] = print, budget: float = 240,
             tamper: Optional[Tamper] = None, global_view: bool = False) -> Iterator[Loopback]:
    """Start the simulators and the pinned Prometheus on the stack's scrape jobs and (shortened)
    rules; yield once every target that should be up has been scraped a few times. With
    ``global_view``, also the stack's shards × replicas behind Thanos (``global_view.start``):
    ``prom`` is then Thanos Query and ``reference`` the one unsharded Prometheus. Processes and
    temporary files are removed on exit, also on Ctrl-C or SIGTERM."""
    stack = rendered.stack
    tmp = Path(tempfile.mkdtemp(prefix="infermon-verify-"))
    procs: list[subprocess.Popen] = []
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        token = "sim-" + tmp.name[-8:]
        port = free_port()
        plan = build_plan(rendered, tmp, token, port, tamper)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
        (tmp / "plan.json").write_text(json.dumps({"targets": plan.targets, "duration": budget + 60,
                                                   "cert": str(tmp / "cert.pem"), "key": str(tmp / "key.pem")}))
        progress(f"verify {stack}: {len(plan.targets)} simulators, {len(plan.jobs)} scrape jobs")
        sims = subprocess.Popen([sys.executable, "-m", "components.verify.simulators", str(tmp / "plan.json")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        procs.append(sims)
        if sims.stdout.readline().strip() != "ready":
            raise RuntimeError(f"simulators did not start: {sims.stderr.read()}")

        rule_paths = shortened_rules(rendered, tmp, tamper)
        config = prometheus_config(plan, rule_paths)
        sd_files = []
        for i, job in enumerate(config["scrape_configs"]):  # static targets as file discovery, so they can vanish
            path = tmp / "sd" / f"{i}.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(job.pop("static_configs", [])))
            job["file_sd_configs"] = [{"files": [str(path)]}]
            sd_files.append(path)
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        server = tools.find("prometheus")
        if server.path is None:
            raise RuntimeError("the prometheus binary was not found (run `make setup-tools`)")
        procs.append(subprocess.Popen([server.path, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                                       f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                      stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("w")))
        prom = Prom(port)
        started = time.monotonic()
        if not _wait(lambda: prom.get("/api/v1/status/buildinfo")["status"] == "success", 30):
            raise RuntimeError(f"prometheus did not start: {(tmp / 'prometheus.log').read_text()[-2000:]}")
        progress(f"verify {stack}: {server.describe()} on 127.0.0.1:{port}, waiting for scrapes")

        jobs = {j["job_name"] for j in plan.jobs} - plan.dropped_jobs

        def all_up() -> bool:
            active = prom.get("/api/v1/targets")["data"]["activeTargets"]
            return {t["scrapePool"] for t in active if t["health"] == "up"} >= jobs and all(t["health"] == "up" for t in active)

        reference, topo = None, None
        if global_view:
            from . import global_view as gv

            values = yaml.safe_load(next(t for rel, t in rendered.files.items() if rel == "helm/kube-prometheus-stack.values.yaml"))
            on_global = {Path(rel).name: g for rel, g in gv.placed(rendered.files).items()}
            cfg = rendered.loaded.config.prometheus
            topo = gv.Topology(cfg.shards, cfg.replicas, gv.external_labels(values), gv.ruler_labels(values))

            def spawn(argv: list[str], name: str) -> subprocess.Popen:
                proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=(tmp / f"{name}.log").open("w"))
                procs.append(proc)
                return proc

            def ready(port: int) -> None:
                if not _wait(lambda: Prom(port).get("/api/v1/status/buildinfo")["status"] == "success", 30, 0.2):
                    raise RuntimeError(f"a prometheus shard did not start: {''.join(f.read_text()[-500:] for f in tmp.glob('prometheus-*.log'))}")

            qport, stores = gv.start(config, [p for p in rule_paths if not on_global.get(Path(p).name)],
                                     [p for p in rule_paths if on_global.get(Path(p).name)], topo, tmp, spawn, free_port, ready,
                                     lambda m: progress(f"verify {stack}: {m}"))
            reference, prom = prom, Prom(qport)

            def connected() -> bool:
                data = prom.get("/api/v1/stores")["data"]
                return sum(1 for group in data.values() for st in group if not st.get("lastError")) >= stores

            if not _wait(connected, 60):
                logs = "".join(f"{f.name}: {f.read_text()[-600:]}" for f in sorted(tmp.glob("*.log")))
                raise RuntimeError(f"thanos query did not reach its {stores} store endpoints: {logs[-3000:]}")
            progress(f"verify {stack}: {'; '.join(topo.processes.values())}; waiting for scrapes")
        _wait(all_up, 40)
        time.sleep(12)  # a few scrapes and rule evaluations
        yield Loopback(prom, plan, prom.base, server.describe(), sd_files, reference, topo, started)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(tmp, ignore_errors=True)


def verify(stack: str, root: Optional[Path] = None, progress: Callable[[str], None] = print, budget: float = 240) -> Report:
    report = Report(stack)
    progress(f"verify {stack}: rendering")
    rendered = render.build(stack, root)
    if any(rel.startswith("datadog/") for rel in rendered.files):
        from . import datadog as dd

        forms = dd.form_problems(rendered.files)
        report.checks.append(Check("Datadog check forms", not forms, "every check has a form the Agent schedules" if not forms
                                   else f"{len(forms)} checks the Agent never schedules", forms))
        fed = dd.check_monitors(rendered)
        runs = sorted({f"{r.service or 'dcgm'} ({r.label})" for r in fed.runs if r.submitted.error})
        report.checks.append(Check("Datadog monitors fed", not fed.unfed and not runs,
                                   f"{len(fed.fed)}/{fed.total} Datadog monitors fed, by the Agent's check engine on "
                                   f"{len(fed.runs)} check runs", [f"{n}: {'; '.join(w)}" for n, w in sorted(fed.unfed.items())]
                                   + [f"check run failed: {r}" for r in runs]))
        progress(f"verify {stack}: {report.checks[-1].detail}")
    pc = rendered.loaded.config.prometheus
    sharded = pc.global_view == "thanos" and (pc.shards > 1 or pc.replicas > 1)
    with loopback(rendered, progress, budget, global_view=sharded) as fleet:
        prom, plan = fleet.prom, fleet.plan
        report.prometheus = fleet.prometheus + (f" ×{pc.shards * pc.replicas} behind thanos query" if sharded else "")
        jobs = {j["job_name"] for j in plan.jobs}
        # through a global view every replica lists its shard's targets: one entry per target
        active = list({(t["scrapePool"], t["scrapeUrl"]): t for t in prom.get("/api/v1/targets")["data"]["activeTargets"]}.values())
        down = sorted(f"{t['scrapePool']} {t['scrapeUrl']}: {t.get('lastError', '')}" for t in active if t["health"] != "up")
        report.checks.append(Check("jobs up", not down, f"{len(active) - len(down)}/{len(active)} targets of {len(jobs)} jobs up", down))
        progress(f"verify {stack}: {report.checks[-1].detail}")
        if fleet.topology is not None:
            from . import global_view as gv

            problems, sizes = gv.split_problems(fleet.topology, lambda port: {t["scrapeUrl"] for t in Prom(port).get("/api/v1/targets")["data"]["activeTargets"]})
            report.checks.append(Check("targets split across shards", not problems, f"{' + '.join(map(str, sizes))} targets on {len(sizes)} shards "
                                       f"(the operator's hashmod on the address), each shard's {pc.replicas} replicas alike", problems))
            progress(f"verify {stack}: {report.checks[-1].detail}")

        empty, panels = [], 0
        for rel, text in sorted(rendered.files.items()):
            if rel.startswith("grafana/") and rel.endswith(".json"):
                d = json.loads(text)
                for p in d["panels"]:
                    if p.get("type") == "row":
                        continue
                    panels += 1
                    if not any(prom.query(panel_expr(t["expr"])) for t in p.get("targets", [])):
                        empty.append(f"{d['uid']} / {p['title']}")
        report.checks.append(Check("dashboard panels answer", not empty, f"{panels - len(empty)}/{panels} panels return data", empty))
        report.panels = (panels - len(empty), panels)
        report.head_series = int((fleet.reference or prom).get("/api/v1/status/tsdb")["data"]["headStats"]["numSeries"])
        report.series_by_kind = series_by_kind(fleet.reference or prom, plan)
        progress(f"verify {stack}: {report.checks[-1].detail}")
        if fleet.reference is not None:
            # rate() divides by its whole window: compare once the shortest panel window ($__rate_interval) holds data
            time.sleep(max(0.0, fleet.started + 65 - time.monotonic()))
            report.checks += compare_global_view(rendered, prom, fleet.reference, fleet.topology)
            for c in report.checks[-2:]:
                progress(f"verify {stack}: {c.detail}")

        records = sorted({r["record"] for rel, t in rendered.files.items() if rel.startswith("prometheus/rules/")
                          for g in yaml.safe_load(t)["groups"] for r in g["rules"] if "record" in r})
        missing = [r for r in records if not prom.query(r)]
        report.checks.append(Check("recording rules", not missing, f"{len(records) - len(missing)}/{len(records)} recording rules produce series", missing))
        progress(f"verify {stack}: {report.checks[-1].detail}")

        baseline = sorted(f"{a} ({s}) {st}" for a, s, st in _active(prom))
        report.checks.append(Check("quiet at baseline", not baseline, f"{len(baseline)} alerts active before any fault", baseline))
        progress(f"verify {stack}: {report.checks[-1].detail}")

        rules = sorted({(r["alert"], r.get("labels", {}).get("service", "")) for rel, t in rendered.files.items()
                        if rel.startswith("prometheus/rules/") for g in yaml.safe_load(t)["groups"] for r in g["rules"] if "alert" in r})
        # an application XID replaces the hardware one on the same GPU, so it comes after the other faults
        later = {"xid_app", "down", "missing"}
        # every fault with one scrape in ten lost: alerts must still fire through gaps in the data
        faulty = sorted(set(FAULT_FOR.values()) - later) + ["scrape_loss"]
        for phase, faults in (("faults", faulty), ("application XID", ["xid_app"]), ("outage", ["down"]), ("lost target", ["missing"])):
            expected = [(a, s) for a, s in rules if FAULT_FOR.get(a) in faults]
            if phase == "lost target":  # a monitored service's targets disappear (its monitor selects nothing)
                if not expected:
                    continue
                victim = next(s for a, s in expected if s)
                expected = [(a, s) for a, s in expected if s == victim]
                fleet.drop_targets(victim)
            elif phase == "outage":  # one target goes down: the first static or monitored inference service
                victim = next(s for a, s in expected if s)
                expected = [(a, s) for a, s in expected if s == victim]
                _fault(plan.by_service[victim], "down")
            else:
                for ports in plan.by_service.values():
                    for f in faults:
                        _fault(ports, f)
            progress(f"verify {stack}: injected {', '.join(faults)}; waiting for {len(expected)} alerts")

            def fired() -> bool:
                got = {(a, s) for a, s, _ in _active(prom)}
                return all((a, s) in got or (a, "") in got for a, s in expected)

            _wait(fired, 60, 2)
            got = {(a, s) for a, s, _ in _active(prom)}
            silent = sorted(f"{a} ({s or 'fleet'})" for a, s in expected if (a, s) not in got and (a, "") not in got)
            report.checks.append(Check(f"alerts fire on {phase}", not silent,
                                       f"{len(expected) - len(silent)}/{len(expected)} alerts pending or firing"
                                       + (", one scrape in ten lost" if "scrape_loss" in faults else ""), silent))
            progress(f"verify {stack}: {report.checks[-1].detail}")
    return report


def compare_global_view(rendered: render.Rendered, query: Prom, reference: Prom, topo: Any) -> list[Check]:
    """Every panel query and recording rule, through Thanos Query and on the unsharded server at
    the same instant; and every family's series count (a replica not deduplicated doubles it)."""
    from . import global_view as gv

    at = f"{time.time() - 3:.3f}"
    exprs: list[tuple[str, str]] = []
    for rel, text in sorted(rendered.files.items()):
        if rel.startswith("grafana/") and rel.endswith(".json"):
            d = json.loads(text)
            exprs += [(f"{d['uid']} / {p['title']}", panel_expr(t["expr"])) for p in d["panels"] if p.get("type") != "row" for t in p.get("targets", [])]
        elif rel.startswith("prometheus/rules/"):
            exprs += [(f"record {r['record']}", r["record"]) for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "record" in r]
    ignored = gv.ignored_labels(topo)

    def compare(pairs: list[tuple[str, str]], at: str) -> dict[tuple[str, str], list[str]]:
        out = {}
        for label, expr in pairs:
            diff = gv.differences(label, query.get("/api/v1/query", query=expr, time=at)["data"]["result"],
                                  reference.get("/api/v1/query", query=expr, time=at)["data"]["result"], ignored)
            if diff:
                out[(label, expr)] = diff
        return out

    differing = compare(exprs, at)
    if differing:  # a late scrape skews one instant; what sharding gets wrong is there at every instant
        time.sleep(10)
        differing = compare(list(differing), f"{time.time() - 3:.3f}")
    found = [f for diff in differing.values() for f in diff]
    families = 'count by (__name__) ({__name__=~".+"})'
    doubled = gv.differences("series per family", query.get("/api/v1/query", query=families, time=at)["data"]["result"],
                             reference.get("/api/v1/query", query=families, time=at)["data"]["result"], ignored)
    n = sum(1 for r in reference.get("/api/v1/query", query=families, time=at)["data"]["result"])
    return [Check("global view equals one Prometheus", not found,
                  f"{len(exprs) - len(differing)}/{len(exprs)} panel queries and recorded series answer "
                  f"through thanos query as on one unsharded Prometheus (same series but the external labels, values within {gv.TOLERANCE:.0%})", found),
            Check("no series doubled", not doubled, f"{n} families hold as many series through thanos query as on one Prometheus", doubled)]


def series_by_kind(prom: Prom, plan: Plan) -> dict[str, dict[str, int]]:
    """Series stored per simulated kind and family (``up`` and ``scrape_*``, which Prometheus
    writes for every target, aside)."""
    out: dict[str, dict[str, int]] = {}
    for r in prom.query('count by (__name__, instance) ({instance=~"127[.]0[.]0[.]1:[0-9]+", __name__!~"up|scrape_.+"})'):
        kind = plan.kind_of.get(r["metric"].get("instance", ""))
        if kind:
            fams = out.setdefault(kind, {})
            name = r["metric"]["__name__"]
            fams[name] = fams.get(name, 0) + int(float(r["value"][1]))
    return out


def format_report(r: Report) -> str:
    lines = [f"Verification of stack {r.stack} on {r.prometheus or 'prometheus'} ({r.head_series} series in the TSDB head):"]
    for c in r.checks:
        lines.append(f"    {'✓' if c.ok else '✗'} {c.name}: {c.detail}")
        lines += [f"        {f}" for f in c.failures[:30]]
        if len(c.failures) > 30:
            lines.append(f"        … and {len(c.failures) - 30} more")
    lines.append("PASSED" if r.ok else "FAILED")
    return "\n".join(lines) + "\n"


def markdown_report(r: Report) -> str:
    """The report as Markdown, for a pull request or a ticket."""
    lines = [f"### infermon verify: stack `{r.stack}` {'passed' if r.ok else 'FAILED'}", "",
             f"On {r.prometheus or 'prometheus'}; {r.head_series} series in the TSDB head.", "",
             "| | check | result |", "|---|---|---|"]
    lines += [f"| {'✅' if c.ok else '❌'} | {c.name} | {c.detail} |" for c in r.checks]
    for c in r.checks:
        if c.failures:
            lines += ["", f"<details{'' if c.ok else ' open'}><summary>{c.name}: {len(c.failures)}</summary>", ""]
            lines += [f"- {f}" for f in c.failures]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
