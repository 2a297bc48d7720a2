"""GPU fleet: DCGM exporter metrics by pool, node, GPU and pod (folder GPU)."""

from .common import P, Row, dashboard, datasource_variable, cluster_variable, query_variable

UID = "infermon-gpu-fleet"
TITLE = "GPU fleet"
FOLDER = "GPU"
KINDS = ("dcgm",)
SELECT = {"gpu_pool": '=~"$pool"', "node": '=~"$node"'}

ROWS = [
    Row("Utilisation", (
        P("utilization_by_pool"),
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
    Row("Health", (
        P("xid_errors"),
        P("pcie_replays"),
        P("row_remap_failure"),
    )),
]


def build(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(),
        query_variable("pool", "GPU pool", "label_values(DCGM_FI_DEV_GPU_UTIL, gpu_pool)"),
        query_variable("node", "Node", 'label_values(DCGM_FI_DEV_GPU_UTIL{gpu_pool=~"$pool"}, node)'),
    ]
    return dashboard(UID, TITLE, "DCGM: utilisation, memory, power, clocks, profiling activity and GPU health.",
                     ["gpu"], ctx, variables, ROWS)
