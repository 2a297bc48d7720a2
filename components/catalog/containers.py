"""Containers: cAdvisor through the kubelet plus kube-state-metrics (``KIND``), and standalone
cAdvisor on Docker hosts (``DOCKER``).

Both are scraped by kube-prometheus-stack's own ServiceMonitors (``job="kubelet"`` with
``metrics_path=/metrics/cadvisor``, and ``job="kube-state-metrics"``). cAdvisor labels:
namespace, pod, container (``""`` for the pod cgroup, ``POD`` for the pause container),
image; network series are per pod (``interface``). Limits come from kube-state-metrics'
``kube_pod_container_resource_limits{resource, unit}``.
"""

from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal

C = ("namespace", "pod", "container", "image", "id", "name")

METRICS = (
    Metric("container_cpu_usage_seconds_total", "counter", "seconds", "CPU time consumed.", C + ("cpu",)),
    Metric("container_memory_working_set_bytes", "gauge", "bytes", "Working set memory (what the OOM killer looks at).", C),
    Metric("container_cpu_cfs_periods_total", "counter", "periods", "Elapsed CFS enforcement periods.", C),
    Metric("container_cpu_cfs_throttled_periods_total", "counter", "periods", "CFS periods in which the container was throttled.", C),
    Metric("container_network_receive_bytes_total", "counter", "bytes", "Bytes received.", C + ("interface",)),
    Metric("container_network_transmit_bytes_total", "counter", "bytes", "Bytes transmitted.", C + ("interface",)),
    Metric("container_oom_events_total", "counter", "events", "OOM events observed for the container.", C),
    Metric("kube_pod_container_resource_limits", "gauge", "value", "Container resource limits (kube-state-metrics).",
           ("namespace", "pod", "container", "node", "resource", "unit")),
    Metric("kube_pod_container_resource_requests", "gauge", "value", "Container resource requests (kube-state-metrics).",
           ("namespace", "pod", "container", "node", "resource", "unit")),
    Metric("kube_pod_container_status_last_terminated_reason", "gauge", "value", "Reason of the last container termination (kube-state-metrics).",
           ("namespace", "pod", "container", "reason")),
)

REAL = 'container!="", container!="POD"'
LEG = "{{namespace}}/{{pod}} {{container}}"

SIGNALS = (
    Signal("cpu", "CPU", (f"sum by (namespace, pod, container) (rate({{{{container_cpu_usage_seconds_total|{REAL}}}}}[{W}]))",),
           "short", "CPU cores used.", LEG),
    Signal("memory_vs_limit", "Working set / memory limit",
           (f'sum by (namespace, pod, container) ({{{{container_memory_working_set_bytes|{REAL}}}}}) / sum by (namespace, pod, container) ({{{{kube_pod_container_resource_limits|resource="memory"}}}})',),
           "percentunit", "Working-set memory against the container's limit; at 100 % the container is OOM-killed.", LEG, ((0.8, "orange"), (0.95, "red"))),
    Signal("memory", "Working set", (f"sum by (namespace, pod, container) ({{{{container_memory_working_set_bytes|{REAL}}}}})",),
           "bytes", "Working-set memory.", LEG),
    *(Signal(f"{res}_{what}", f"{title} {what}", (f'sum by (namespace, pod, container) ({{{{kube_pod_container_resource_{what}s|resource="{res}"}}}})',),
             unit, f"The container's {title} {what} (kube-state-metrics): usage above the request competes for the node, at the limit "
             + ("it is throttled." if res == "cpu" else "it is OOM-killed."), f"{LEG} {what}")
      for res, title, unit in (("cpu", "CPU", "short"), ("memory", "memory", "bytes")) for what in ("request", "limit")),
    Signal("throttling", "CPU throttling",
           (f"sum by (namespace, pod, container) (rate({{{{container_cpu_cfs_throttled_periods_total|{REAL}}}}}[{W}])) / sum by (namespace, pod, container) (rate({{{{container_cpu_cfs_periods_total|{REAL}}}}}[{W}]))",),
           "percentunit", "Share of CFS periods in which the container was throttled.", LEG, ((0.25, "orange"), (0.5, "red"))),
    Signal("network_receive", "Network receive", (f"sum by (namespace, pod) (rate({{{{container_network_receive_bytes_total}}}}[{W}]))",),
           "Bps", "Bytes received per second, per pod.", "{{namespace}}/{{pod}}"),
    Signal("network_transmit", "Network transmit", (f"sum by (namespace, pod) (rate({{{{container_network_transmit_bytes_total}}}}[{W}]))",),
           "Bps", "Bytes transmitted per second, per pod.", "{{namespace}}/{{pod}}"),
    Signal("oom_events", "OOM kills", (f"sum by (namespace, pod, container) (increase({{{{container_oom_events_total|{REAL}}}}}[{W}]))",),
           "short", "OOM kills in each interval.", LEG),
    Signal("last_oom_killed", "Last terminated: OOMKilled", ('max by (namespace, pod, container) ({{kube_pod_container_status_last_terminated_reason|reason="OOMKilled"}})',),
           "none", "1 when the container's last termination was an OOM kill.", LEG, ((1, "red"),)),
)

KIND = Kind("containers", "Containers", METRICS, SIGNALS, model_label=None,
            key_metric="container_memory_working_set_bytes",
            source="cAdvisor (google/cadvisor metrics docs) via the kubelet; kube-state-metrics pod metrics docs")


# --- standalone cAdvisor on Docker hosts ---------------------------------------------------
# Run with --docker_only and --store_container_labels=false, cAdvisor labels a container's
# series with ``name`` (the Docker container name), ``image`` and ``id`` (the cgroup); there is
# no namespace, pod or kube-state-metrics. Series of non-container cgroups (the root, system
# slices) have ``name=""``. The memory limit is ``container_spec_memory_limit_bytes`` (0 when
# the container has none). infermon's scrape job adds ``host``.

D = ("name", "image", "id")
DOCKER_METRICS = (
    Metric("container_cpu_usage_seconds_total", "counter", "seconds", "CPU time consumed.", D + ("cpu",)),
    Metric("container_memory_working_set_bytes", "gauge", "bytes", "Working set memory (what the OOM killer looks at).", D),
    Metric("container_spec_memory_limit_bytes", "gauge", "bytes", "Memory limit of the container (0: none).", D),
    Metric("container_cpu_cfs_periods_total", "counter", "periods", "Elapsed CFS enforcement periods (containers with a CPU limit).", D),
    Metric("container_cpu_cfs_throttled_periods_total", "counter", "periods", "CFS periods in which the container was throttled.", D),
    Metric("container_network_receive_bytes_total", "counter", "bytes", "Bytes received.", D + ("interface",)),
    Metric("container_network_transmit_bytes_total", "counter", "bytes", "Bytes transmitted.", D + ("interface",)),
    Metric("container_oom_events_total", "counter", "events", "OOM events observed for the container.", D),
)

NAMED = 'name!=""'
DLEG = "{{host}} {{name}}"

DOCKER_SIGNALS = (
    Signal("cpu", "CPU", (f"sum by (host, name) (rate({{{{container_cpu_usage_seconds_total|{NAMED}}}}}[{W}]))",),
           "short", "CPU cores used.", DLEG),
    Signal("memory_vs_limit", "Working set / memory limit",
           (f"sum by (host, name) ({{{{container_memory_working_set_bytes|{NAMED}}}}}) / sum by (host, name) ({{{{container_spec_memory_limit_bytes|{NAMED}}}}} > 0)",),
           "percentunit", "Working-set memory against the container's memory limit (containers with one); at 100 % it is OOM-killed.",
           DLEG, ((0.8, "orange"), (0.95, "red"))),
    Signal("memory", "Working set", (f"sum by (host, name) ({{{{container_memory_working_set_bytes|{NAMED}}}}})",),
           "bytes", "Working-set memory.", DLEG),
    Signal("throttling", "CPU throttling",
           (f"sum by (host, name) (rate({{{{container_cpu_cfs_throttled_periods_total|{NAMED}}}}}[{W}])) / sum by (host, name) (rate({{{{container_cpu_cfs_periods_total|{NAMED}}}}}[{W}]))",),
           "percentunit", "Share of CFS periods in which the container was throttled (containers with a CPU limit).", DLEG,
           ((0.25, "orange"), (0.5, "red"))),
    Signal("network_receive", "Network receive", (f"sum by (host, name) (rate({{{{container_network_receive_bytes_total|{NAMED}}}}}[{W}]))",),
           "Bps", "Bytes received per second, per container.", DLEG),
    Signal("network_transmit", "Network transmit", (f"sum by (host, name) (rate({{{{container_network_transmit_bytes_total|{NAMED}}}}}[{W}]))",),
           "Bps", "Bytes transmitted per second, per container.", DLEG),
    Signal("oom_events", "OOM kills", (f"sum by (host, name) (increase({{{{container_oom_events_total|{NAMED}}}}}[{W}]))",),
           "short", "OOM kills in each interval.", DLEG),
)

DOCKER = Kind("docker-containers", "Containers (Docker)", DOCKER_METRICS, DOCKER_SIGNALS, model_label=None,
              key_metric="container_memory_working_set_bytes",
              source="cAdvisor docs/storage/prometheus.md and docs/running.md (standalone, Docker)")
