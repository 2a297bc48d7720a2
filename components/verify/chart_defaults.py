"""What the pinned kube-prometheus-stack chart's own ServiceMonitors do by default, for the jobs
``infermon verify`` stands in for them (the kubelet's cAdvisor endpoint).

Read from the chart's ``values.yaml`` at ``CHART``; infermon does not override these values, so a
real cluster stores what these relabelings leave. ``tests/test_verify.py`` fails when
``components/pins.yaml`` moves the chart, so they are read again from the new version.
"""

from __future__ import annotations

from typing import Any

CHART = "88.5.3"

CADVISOR_METRIC_RELABELINGS: tuple[dict[str, Any], ...] = (
    # kubelet.serviceMonitor.cAdvisorMetricRelabelings, in the operator's RelabelConfig form
    {"sourceLabels": ["__name__"], "action": "drop",
     "regex": "container_cpu_(cfs_throttled_seconds_total|load_average_10s|system_seconds_total|user_seconds_total)"},
    {"sourceLabels": ["__name__"], "action": "drop",
     "regex": "container_fs_(io_current|io_time_seconds_total|io_time_weighted_seconds_total|reads_merged_total|sector_reads_total"
              "|sector_writes_total|writes_merged_total)"},
    {"sourceLabels": ["__name__"], "action": "drop", "regex": "container_memory_(mapped_file|swap)"},
    {"sourceLabels": ["__name__"], "action": "drop", "regex": "container_(file_descriptors|tasks_state|threads_max)"},
    {"sourceLabels": ["__name__", "scope"], "action": "drop", "regex": "container_memory_failures_total;hierarchy"},
    {"sourceLabels": ["__name__", "interface"], "action": "drop", "regex": "container_network_.*;(cali|cilium|cni|lxc|nodelocaldns|tunl).*"},
    {"sourceLabels": ["__name__"], "action": "drop", "regex": "container_spec.*"},
    {"sourceLabels": ["id", "pod"], "action": "drop", "regex": ".+;"},
)
