"""NVIDIA DCGM exporter (one per GPU node, :9400/metrics).

The metric list is the exporter's collectors table (``components.gpu.dcgm_fields``), so
the catalog and the collectors ConfigMap cannot drift apart. Framebuffer figures are MiB;
``DCGM_FI_DEV_XID_ERRORS`` is the value of the last XID. The host label changed from
``Hostname`` to ``hostname`` across exporter releases, so nothing here uses it: infermon's
ServiceMonitor adds ``node`` and ``gpu_pool`` instead. With Kubernetes mapping on, series of
an allocated GPU carry the workload's ``pod``/``namespace``/``container``.
"""

from ..gpu import dcgm_fields
from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal

LABELS = ("gpu", "UUID", "pci_bus_id", "device", "modelName", "DCGM_FI_DRIVER_VERSION", "pod", "namespace", "container")
UNITS = {"counter": "count", "gauge": "value"}

METRICS = tuple(
    Metric(f.name, f.type, UNITS[f.type], f.help, LABELS)
    for f in dcgm_fields.DEFAULT + dcgm_fields.PROFILING + dcgm_fields.OPTIONAL
    if f.type != "label"
)

BY = "gpu_pool, node, gpu"
LEG = "{{gpu_pool}} {{node}} GPU {{gpu}}"

APPLICATION_XIDS = (13, 31, 43, 45)
"""XIDs NVIDIA's XID catalogue resolves by restarting the application (graphics engine exception,
GPU memory page fault, GPU stopped processing, preemptive cleanup); every other XID points at the
GPU, its memory, NVLink or the driver."""
XID_WINDOW = "15m"


def _new_xid(application: bool) -> str:
    """The GPU's XID where it changed in the last 15 minutes: dcgm-exporter keeps the last XID until
    the exporter restarts, so the value alone would page forever."""
    xid = "{{DCGM_FI_DEV_XID_ERRORS}}"
    app = " or ".join(f"{xid} == {code}" for code in APPLICATION_XIDS)
    which = f"({app})" if application else f"({xid} > 0 unless ({app}))"
    return f"max by ({BY}) ({which} and changes({xid}[{XID_WINDOW}]) > 0)"


SIGNALS = (
    Signal("exporters_down", "Exporters down", ('count({{up|gpu_pool!=""}} == 0) or vector(0)',), "short",
           "DCGM exporters Prometheus cannot scrape: their GPUs are unwatched and their alerts blind; 0 when all are up.", "", ((1, "red"),)),
    Signal("gpu_alerts_firing", "GPU alerts firing", ('count({{ALERTS|alertstate="firing", alertname=~"GPU.*"}}) or vector(0)',), "short",
           "GPU alerts firing right now (Alertmanager has the details).", "", ((1, "red"),)),
    Signal("utilization", "GPU utilisation", ("avg by (gpu_pool, node, gpu) ({{DCGM_FI_DEV_GPU_UTIL}})",), "percent",
           "GPU utilisation (share of time a kernel was running).", LEG),
    Signal("utilization_by_pool", "GPU utilisation by pool", ("avg by (gpu_pool) ({{DCGM_FI_DEV_GPU_UTIL}})",), "percent",
           "Mean GPU utilisation of each pool.", "{{gpu_pool}}"),
    Signal("utilization_by_pod", "GPU utilisation by pod", ('avg by (namespace, pod) ({{DCGM_FI_DEV_GPU_UTIL|pod!=""}})',), "percent",
           "GPU utilisation of the GPUs allocated to each pod.", "{{namespace}}/{{pod}}"),
    Signal("framebuffer_used", "Framebuffer used",
           (f"sum by ({BY}) ({{{{DCGM_FI_DEV_FB_USED}}}}) / (sum by ({BY}) ({{{{DCGM_FI_DEV_FB_USED}}}}) + sum by ({BY}) ({{{{DCGM_FI_DEV_FB_FREE}}}}))",),
           "percentunit", "Used share of GPU memory (FB_USED / (FB_USED + FB_FREE), both MiB).", LEG, ((0.9, "orange"), (0.97, "red"))),
    Signal("framebuffer_free", "Framebuffer free", (f"sum by ({BY}) ({{{{DCGM_FI_DEV_FB_FREE}}}})",), "mbytes",
           "Free GPU memory (MiB).", LEG),
    Signal("temperature", "GPU temperature", (f"max by ({BY}) ({{{{DCGM_FI_DEV_GPU_TEMP}}}})",), "celsius", "GPU temperature.", LEG,
           ((80, "orange"), (87, "red"))),
    Signal("power", "Power draw", (f"sum by ({BY}) ({{{{DCGM_FI_DEV_POWER_USAGE}}}})",), "watt", "Power draw.", LEG),
    Signal("sm_clock", "SM clock", (f"max by ({BY}) ({{{{DCGM_FI_DEV_SM_CLOCK}}}})",), "rotmhz", "SM clock frequency.", LEG),
    Signal("memory_clock", "Memory clock", (f"max by ({BY}) ({{{{DCGM_FI_DEV_MEM_CLOCK}}}})",), "rotmhz", "Memory clock frequency.", LEG),
    Signal("tensor_active", "Tensor pipe active", (f"avg by ({BY}) ({{{{DCGM_FI_PROF_PIPE_TENSOR_ACTIVE}}}})",), "percentunit",
           "Share of cycles the tensor pipe is busy (pools with profiling only).", LEG),
    Signal("dram_active", "DRAM active", (f"avg by ({BY}) ({{{{DCGM_FI_PROF_DRAM_ACTIVE}}}})",), "percentunit",
           "Share of cycles the memory interface is busy (pools with profiling only).", LEG),
    Signal("xid_errors", "Last XID error", (f"max by ({BY}) ({{{{DCGM_FI_DEV_XID_ERRORS}}}})",), "none",
           "Value of the last XID error (0: none). 13/31/43 are usually application faults, 48/63/64/74/79 hardware.", LEG, ((1, "red"),)),
    Signal("xid_new_hardware", "New hardware-class XID", (_new_xid(application=False),), "none",
           "An XID other than the application-class ones appeared in the last 15 minutes (its code is the value).", LEG),
    Signal("xid_new_application", "New application-class XID", (_new_xid(application=True),), "none",
           f"XID {', '.join(map(str, APPLICATION_XIDS))} (application faults) appeared in the last 15 minutes.", LEG),
    Signal("pcie_replays", "PCIe replays", (f"sum by ({BY}) (rate({{{{DCGM_FI_DEV_PCIE_REPLAY_COUNTER}}}}[{W}]))",), "ops",
           "PCIe retries per second.", LEG),
    Signal("thermal_throttle", "Thermal throttling", (f"sum by ({BY}) (rate({{{{DCGM_FI_DEV_THERMAL_VIOLATION}}}}[{W}])) / 1e9",), "percentunit",
           "Share of time the GPU's clocks were held down by temperature (DCGM_FI_DEV_THERMAL_VIOLATION, ns; pools that collect it).",
           LEG, ((0.05, "orange"), (0.1, "red"))),
    Signal("power_throttle", "Power throttling", (f"sum by ({BY}) (rate({{{{DCGM_FI_DEV_POWER_VIOLATION}}}}[{W}])) / 1e9",), "percentunit",
           "Share of time the GPU's clocks were held down by its power limit (DCGM_FI_DEV_POWER_VIOLATION, ns; pools that collect it).",
           LEG, ((0.25, "orange"), (0.5, "red"))),
    Signal("ecc_dbe", "Double-bit ECC errors", (f"sum by ({BY}) (increase({{{{DCGM_FI_DEV_ECC_DBE_VOL_TOTAL}}}}[1h]))",), "none",
           "Uncorrectable (double-bit) ECC errors since the last hour (DCGM_FI_DEV_ECC_DBE_VOL_TOTAL; pools that collect it).", LEG, ((1, "red"),)),
    Signal("nvlink_errors", "NVLink errors",
           (f"sum by ({BY}) (increase({{{{DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL}}}}[15m]))"
            f" + sum by ({BY}) (increase({{{{DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL}}}}[15m]))"
            f" + sum by ({BY}) (increase({{{{DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL}}}}[15m]))"
            f" + sum by ({BY}) (increase({{{{DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL}}}}[15m]))",), "none",
           "NVLink CRC (flit and data), replay and recovery errors in the last 15 minutes (pools that collect the four counters).", LEG, ((1, "orange"),)),
    Signal("uncorrectable_row_remaps", "Rows remapped (uncorrectable)",
           (f"sum by ({BY}) (increase({{{{DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS}}}}[1h]))",), "none",
           "Memory rows remapped for uncorrectable ECC errors in the last hour; effective after a GPU reset.", LEG, ((1, "orange"),)),
    Signal("row_remap_failure", "Row-remap failure", (f"max by ({BY}) ({{{{DCGM_FI_DEV_ROW_REMAP_FAILURE}}}})",), "none",
           "1 when the GPU failed to remap a memory row: the GPU needs service.", LEG, ((1, "red"),)),
    Signal("energy", "Energy", ("sum by (gpu_pool) (increase({{DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION}}[$__range])) / 3.6e9",), "kwatth",
           "Energy used over the dashboard's time range (mJ converted to kWh).", "{{gpu_pool}}"),
    Signal("allocated_utilization", "Utilisation of allocated GPUs",
           ('avg by (gpu_pool, node, gpu, namespace, pod) ({{DCGM_FI_DEV_GPU_UTIL|pod!=""}})',), "percent",
           "Utilisation of each GPU allocated to a pod: a GPU held but idle is wasted money.", "{{namespace}}/{{pod}} GPU {{gpu}}"),
    Signal("saturation", "GPU utilisation", ("max by (gpu_pool) ({{DCGM_FI_DEV_GPU_UTIL}}) / 100",), "percentunit",
           "Busiest GPU of the pool.", "{{gpu_pool}}"),
)

KIND = Kind("dcgm", "NVIDIA DCGM", METRICS, SIGNALS, model_label=None,
            key_metric="DCGM_FI_DEV_GPU_UTIL",
            source="dcgm-exporter 4.8.2 etc/default-counters.csv and dcp-metrics-included.csv")
