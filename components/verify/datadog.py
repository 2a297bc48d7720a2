"""verify's Datadog leg: every rendered check instance runs through the Agent's real check engine
against the simulators, and every monitor is checked against what was submitted.

A monitor is *fed* when, for every simulated server behind its service (both vLLM naming
generations; the vLLM and SGLang runtimes of an Arks service), each metric it queries is
submitted, each tag it filters or groups by is on those submissions (or added by the Agent for
that delivery at the default ``low`` tag cardinality), percentiles read distributions only, and
its time aggregation fits ``as_rate()`` (avg) / ``as_count()`` (sum).
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlparse

import yaml

from ..datadog import engine, grammar
from ..datadog.forms import form_problems  # noqa: F401 (verify reports it)
from . import simulators

AGENT_TAGS = {
    # docs.datadoghq.com/containers/cluster_agent/endpointschecks: endpoints checks run on the node
    # Agent beside the pod, with host, Kubernetes and kube_endpoint_ip tags; pod-annotation checks
    # get the pod's and container's low-cardinality tags (docs.datadoghq.com/containers/kubernetes/tag)
    # the node Agent, for a check scheduled from pod annotations
    "pod": {"host", "kube_namespace", "kube_container_name", "kube_daemon_set", "kube_deployment", "image_name", "short_image",
            "image_tag", "kube_cluster_name"},
    # an endpoints check: dispatched to the node Agent beside the endpoint's pod, which adds host
    "endpoints": {"host", "kube_service", "kube_namespace", "kube_endpoint_ip", "kube_cluster_name"},
    # a cluster check with a fixed URL: no host, no pod
    "static": {"kube_cluster_name"},
}
"""Tags the Agent adds to a check's metrics by how the check was scheduled (``low`` cardinality:
``pod_name`` is orchestrator cardinality and is not added)."""

PERCENTILES = {"p50", "p75", "p90", "p95", "p99", "p99.9"}
TERM = re.compile(r"(?P<space>[a-z0-9.]+):(?P<metric>[A-Za-z0-9_.:]+)\{(?P<filter>[^}]*)\}(?: by \{(?P<by>[^}]*)\})?"
                  r"(?P<fn>\.as_count\(\)|\.as_rate\(\))?")
TIME = re.compile(r"^(?:change\()?(?P<time>[a-z]+)\((?P<window>last_[0-9a-z]+)\)")


@dataclass
class Run:
    """One check instance against one simulated server."""

    service: str
    kind: str
    delivery: str
    label: str
    submitted: engine.Submitted


@dataclass
class Result:
    fed: list[str] = field(default_factory=list)
    unfed: dict[str, list[str]] = field(default_factory=dict)
    """Monitor name -> why it gets no data."""
    runs: list[Run] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.fed) + len(self.unfed)


def problems(query: str, sub: engine.Submitted, delivery: str) -> list[str]:
    """Why ``query`` gets no data from what one check run submitted (empty: it is fed)."""
    out = []
    agent = AGENT_TAGS[delivery]
    sc = grammar.SERVICE_CHECK.match(query)
    if sc:
        name = sc.group("name")
        if name not in sub.service_checks:
            return [f"service check {name} is never sent (sent: {', '.join(sorted(sub.service_checks)) or 'none'})"]
        tags = sub.service_check_tags.get(name, set()) | agent
        keys = [t.strip('"').split(":", 1)[0] for t in sc.group("over").split(",")] + [t.strip('"') for t in sc.group("by").split(",")]
        return sorted({f"service check {name} has no {k} tag" for k in keys if k not in tags})
    m = TIME.match(query)
    time_aggr = m.group("time") if m else ""
    for t in TERM.finditer(query):
        metric, space, fn = t.group("metric"), t.group("space"), t.group("fn") or ""
        if metric not in sub.types:
            near = difflib.get_close_matches(metric, sorted(sub.types), n=3)
            out.append(f"{metric} is never submitted" + (f" (submitted: {', '.join(near)})" if near else ""))
            continue
        tags = sub.tags.get(metric, set()) | agent
        if space in PERCENTILES and "distribution" not in sub.types[metric]:
            out.append(f"{space} on {metric}, which is not a distribution ({'/'.join(sorted(sub.types[metric]))})")
        for item in filter(None, (x.strip() for x in t.group("filter").split(","))):
            key = item.lstrip("!").split(":", 1)[0]
            if not item.startswith("!") and key not in tags:
                out.append(f"{metric} has no {key} tag to filter on")
        for key in filter(None, (x.strip() for x in (t.group("by") or "").split(","))):
            if key not in tags:
                out.append(f"{metric} has no {key} tag to group by")
        if fn == ".as_rate()" and time_aggr == "sum":
            out.append(f"sum() over {metric}.as_rate() adds per-second rates of every point: use avg()")
        if fn == ".as_count()" and time_aggr == "avg":
            out.append(f"avg() over {metric}.as_count() averages per-interval counts: use sum()")
    return sorted(set(out))


def _instances(files: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(check, delivery, instance) of every rendered check: conf.d files and DCGM pod annotations."""
    out = []
    for rel, text in sorted(files.items()):
        if rel.startswith("datadog/checks/"):
            check = rel.split("/")[2].removesuffix(".d")
            conf = yaml.safe_load(text)
            delivery = "endpoints" if conf.get("ad_identifiers") or conf.get("advanced_ad_identifiers") else "static"
            out += [(check, delivery, inst) for inst in conf["instances"]]
        elif rel.startswith("kubernetes/") and "daemonset-" in rel:
            obj = yaml.safe_load(text)
            annotations = obj["spec"]["template"]["metadata"].get("annotations", {})
            for key, value in sorted(annotations.items()):
                if key.startswith("ad.datadoghq.com/") and key.endswith(".checks"):
                    for check, conf in json.loads(value).items():
                        out += [(check, "pod", inst) for inst in conf["instances"]]
    return out


def _tag(inst: dict[str, Any], key: str) -> Optional[str]:
    return next((t.split(":", 1)[1] for t in inst.get("tags", []) if t.startswith(key + ":")), None)


def _sims(kind: str) -> list[tuple[str, dict[str, Any]]]:
    if kind == "vllm":
        return [("vllm new naming", {"kind": "vllm", "generation": "new"}), ("vllm old naming", {"kind": "vllm", "generation": "old"})]
    if kind == "arks-runtime":  # Arks pods expose the runtime's raw names
        return [("arks on vllm", {"kind": "vllm", "generation": "new"}), ("arks on sglang", {"kind": "sglang"})]
    return [(kind, {"kind": kind})]


def _serve(target: simulators.Target) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), simulators._handler(target))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def check_monitors(rendered: Any) -> Result:
    """Run every check instance of the render through the Agent's engine and judge every monitor."""
    cfg = rendered.loaded.config
    prefixes = {s.name: s.metric_prefix or "" for s in cfg.inference}
    result = Result()
    servers = []
    try:
        for check, delivery, inst in _instances(rendered.files):
            kind = _tag(inst, "inference_kind") or ("dcgm" if check == "dcgm" else "")
            service = _tag(inst, "service") or ""
            for label, spec in _sims(kind):
                token = "t0ken" if "auth_token" in inst else ""
                target = simulators.Target(name=f"{service}-{label}", port=0, prefix=prefixes.get(service, ""), token=token, **spec)
                server = _serve(target)
                servers.append(server)
                path = urlparse(inst["openmetrics_endpoint"].replace("%%host%%", "h").replace("%%", "")).path or "/metrics"
                local = {k: v for k, v in inst.items() if k != "auth_token"}
                local["openmetrics_endpoint"] = f"http://127.0.0.1:{server.server_address[1]}{path}"
                if token:  # the Agent reads the token from its mounted file; here it is handed over directly
                    local["headers"] = {"Authorization": f"Bearer {token}"}
                result.runs.append(Run(service, kind, delivery, label, engine.run(check, local)))
    finally:
        for s in servers:
            s.shutdown()
    monitors = json.loads(rendered.files.get("datadog/monitors.json", "[]"))
    for mon in monitors:
        service = next((t.split(":", 1)[1] for t in mon["tags"] if t.startswith("service:")), "")
        runs = [r for r in result.runs if (r.service == service if service else r.kind == "dcgm")]
        why = [f"no check instance collects {service or 'the GPU pools'}"] if not runs else sorted(
            {f"{r.label}: {p}" for r in runs for p in problems(mon["query"], r.submitted, r.delivery)})
        if why:
            result.unfed[mon["name"]] = why
        else:
            result.fed.append(mon["name"])
    return result
