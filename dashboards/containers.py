"""Containers of inference pods: cAdvisor and kube-state-metrics (folder Platform).

On Docker hosts the same dashboard reads standalone cAdvisor: host and container name take
the place of namespace and pod (``build_docker``)."""

from grafana_foundation_sdk.builders import dashboard as db

from .common import P, Row, dashboard, datasource_variable, cluster_variable, query_variable

UID = "infermon-containers"
TITLE = "Inference containers"
FOLDER = "Platform"
KINDS = ("containers",)
SELECT = {"namespace": '=~"$namespace"', "pod": '=~"$pod"'}
SELECT_DOCKER = {"host": '=~"$host"', "name": '=~"$container"'}

ROWS = [
    Row("CPU", (
        P("cpu", "cpu_request", "cpu_limit", title="CPU against request and limit"),
        P("throttling"),
    )),
    Row("Memory", (
        P("memory_vs_limit"),
        P("memory", "memory_request", "memory_limit", title="Working set against request and limit"),
        P("oom_events"),
        P("last_oom_killed"),
    )),
    Row("Network", (
        P("network_receive"),
        P("network_transmit"),
    )),
]


def build(ctx, namespaces: list[str]):
    variables = [
        datasource_variable(),
        cluster_variable(ctx),
        db.CustomVariable("namespace").label("Namespace").values(",".join(namespaces)).multi(True).include_all(True).all_value("|".join(namespaces)),
        query_variable("pod", "Pod", 'label_values(container_memory_working_set_bytes{namespace=~"$namespace"}, pod)'),
    ]
    return dashboard(UID, TITLE, "CPU, memory against limits, throttling, network and OOM kills of the inference pods.",
                     ["platform"], ctx, variables, ROWS)


def build_docker(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(ctx),
        query_variable("host", "Host", 'label_values(container_memory_working_set_bytes{name!=""}, host)'),
        query_variable("container", "Container", 'label_values(container_memory_working_set_bytes{name!="", host=~"$host"}, name)'),
    ]
    return dashboard(UID, TITLE, "CPU, memory against limits, throttling, network and OOM kills of the containers on each Docker host.",
                     ["platform"], ctx, variables, ROWS)
