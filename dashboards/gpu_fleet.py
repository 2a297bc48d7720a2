"""GPU fleet: DCGM exporter metrics by pool, node, GPU and pod (folder GPU)."""

from .common import P, Row, dashboard, datasource_variable, cluster_variable, query_variable

UID = "infermon-gpu-fleet"
TITLE = "GPU fleet"
FOLDER = "GPU"
KINDS = ("dcgm",)
SELECT = {"gpu_pool": '=~"$pool"', "node": '=~"$node"'}

ROWS = [
    Row("Health", (
        P("exporters_down", viz="stat", width=4),
        P("gpu_alerts_firing", viz="stat", width=4),
        P("xid_errors", width=8),
        P("utilization_by_pool", width=8),
    )),
    Row("Utilisation", (
        P("utilization"),
        P("utilization_by_pod"),
        P("tensor_active"),
        P("dram_active"),
    )),
    Row("Memory, power and thermals", (
        P("framebuffer_used"),
        P("framebuffer_free"),
        P("temperature"),
        P("power"),
        P("sm_clock", "memory_clock", title="Clocks"),
        P("energy", viz="stat"),
    )),
    Row("Errors and throttling", (
        P("thermal_throttle"),
        P("power_throttle"),
        P("pcie_replays"),
        P("nvlink_errors"),
        P("ecc_dbe"),
        P("uncorrectable_row_remaps"),
        P("row_remap_failure"),
    )),
]


def build(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(ctx),
        query_variable("pool", "GPU pool", "label_values(DCGM_FI_DEV_GPU_UTIL, gpu_pool)"),
        query_variable("node", "Node", 'label_values(DCGM_FI_DEV_GPU_UTIL{gpu_pool=~"$pool"}, node)'),
    ]
    return dashboard(UID, TITLE, "DCGM: utilisation, memory, power, clocks, profiling activity and GPU health.",
                     ["gpu"], ctx, variables, ROWS)
