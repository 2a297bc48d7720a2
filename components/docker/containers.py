"""The containers of a Docker-host stack, as plain data (one function per container).

Reads like the DCGM component: one defaults object (``DEFAULTS``), one function per
container returning the settings ``DockerObservability`` registers, common labels in one
place. Files a container needs (configuration, rule files, dashboards, credentials) are
*uploads*: pulumi-docker copies them into the container before it starts, so nothing is
written on the host and a remote host (``ssh://``) needs nothing but Docker. Credentials are
uploads too, with mode 0400 and owned by the container's user; they reach a process as a file
path (``*_file`` settings, Grafana's ``__FILE`` variables), never as an environment value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .. import naming, pins
from ..config import LoadedConfig
from ..config import model as m
from ..gpu import dcgm_fields
from ..gpu.dcgm_exporter import DEFAULTS as DCGM_DEFAULTS

DEFAULTS: dict[str, Any] = {
    "images": {
        # the versions the pinned chart and its Grafana chart deploy, and the exporters the
        # Kubernetes path runs (pins.yaml): moving to Kubernetes changes the target only
        **{name: pins.image(name) for name in ("prometheus", "alertmanager", "grafana", "cadvisor", "dcgm-exporter")},
    },
    "ports": {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000, "cadvisor": 8080, "dcgm-exporter": DCGM_DEFAULTS["port"]},
    # uid each image runs as (nobody; grafana): the owner of its 0400 secret files
    "users": {"prometheus": "65534", "alertmanager": "65534", "grafana": "472"},
    "restart": "unless-stopped",
    "log_opts": {"max-size": "50m", "max-file": "3"},
    "security_opts": ["no-new-privileges:true"],
    "dashboards_dir": "/etc/infermon/dashboards",
    "grafana_password_file": "/run/secrets/grafana-admin-password",
    "collectors_path": DCGM_DEFAULTS["collectors_path"],
    "dcgm_scrape_interval": DCGM_DEFAULTS["scrape_interval"],
}

HOST_GATEWAY = {"host": "host.docker.internal", "ip": "host-gateway"}
"""Lets Prometheus reach inference servers that publish their port on the host (``host.docker.internal:8002``)."""


@dataclass(frozen=True)
class SecretRef:
    key: str
    """Top-level config key holding the secret (read with ``secret_output``)."""


GENERATED_PASSWORD = SecretRef("")
"""Marker: the Grafana admin password pulumi-random generates."""


@dataclass(frozen=True)
class Upload:
    file: str
    content: Union[str, SecretRef]
    permissions: str = "0444"
    owner: Optional[str] = None

    @property
    def secret(self) -> bool:
        return isinstance(self.content, SecretRef)


@dataclass
class ContainerSpec:
    """What one container is: the arguments of ``docker.Container`` as plain values."""

    role: str
    """prometheus | alertmanager | grafana | cadvisor | dcgm-exporter"""
    host: str
    name: str
    image: str
    command: list[str] = field(default_factory=list)
    envs: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    """Named volumes (``type: volume``) and read-only host paths (``type: bind``)."""
    ports: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    hosts: list[dict[str, str]] = field(default_factory=list)
    devices: list[dict[str, str]] = field(default_factory=list)
    device_requests: list[dict[str, Any]] = field(default_factory=list)
    capabilities: dict[str, list[str]] = field(default_factory=dict)
    memory_mb: Optional[int] = None
    cpus: Optional[str] = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostPlan:
    host: m.DockerHost
    monitoring: bool
    containers: list[ContainerSpec]
    volumes: list[str]


def files_digest(spec: ContainerSpec) -> str:
    """sha256 over the paths and contents of a container's non-secret uploads (secret ones: path only)."""
    import hashlib

    h = hashlib.sha256()
    for u in sorted(spec.uploads, key=lambda u: u.file):
        h.update(u.file.encode() + b"\0" + (b"" if u.secret else u.content.encode()) + b"\0")
    return h.hexdigest()


def container_name(role: str) -> str:
    return f"{naming.FULLNAME}-{role}"


def volume_name(role: str) -> str:
    return f"{naming.FULLNAME}-{role}-data"


def labels(role: str, loaded: LoadedConfig, host: str) -> dict[str, str]:
    """Labels every container, network and volume infermon creates carries."""
    return {**naming.common_labels(role, host), "io.infermon.stack": loaded.stack}


def monitoring_host(cfg: m.InfermonConfig) -> m.DockerHost:
    d = cfg.docker
    return next(h for h in d.hosts if h.name == (d.monitoring_host or d.hosts[0].name))


def exporter_target(cfg: m.InfermonConfig, host: m.DockerHost, role: str) -> str:
    """Where the monitoring host's Prometheus reaches an exporter of ``host``."""
    port = DEFAULTS["ports"][role]
    if host.name == monitoring_host(cfg).name:
        return f"{role}:{port}"  # same network: the container's alias
    return f"{host.address}:{published_port(cfg, role)}"


def published_port(cfg: m.InfermonConfig, role: str) -> int:
    return cfg.docker.cadvisor_port if role == "cadvisor" else cfg.docker.dcgm_exporter_port


def _publish(cfg: m.InfermonConfig, role: str, internal: int) -> list[dict[str, Any]]:
    external = getattr(cfg.docker.publish, role)
    return [{"internal": internal, "external": external, "ip": cfg.docker.bind_address, "protocol": "tcp"}] if external else []


_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def memory_mb(quantity: str) -> int:
    """A Kubernetes memory quantity (``4Gi``) in the MB Docker's memory limit takes (MiB)."""
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", quantity).groups()
    return max(4, int(float(number) * _UNITS[unit] / 2**20))


def cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


# --- one function per container ------------------------------------------------------------


def prometheus(loaded: LoadedConfig, host: str, config_yaml: str, rule_files: dict[str, str], credentials: dict[str, str]) -> ContainerSpec:
    cfg = loaded.config
    p = cfg.prometheus
    role = "prometheus"
    port = DEFAULTS["ports"][role]
    command = [f"--config.file={PROMETHEUS_CONFIG}", "--storage.tsdb.path=/prometheus", f"--storage.tsdb.retention.time={p.retention}",
               f"--web.listen-address=:{port}"]
    if p.retention_size:
        command.append(f"--storage.tsdb.retention.size={p.retention_size}")
    uploads = [Upload(PROMETHEUS_CONFIG, config_yaml)]
    uploads += [Upload(f"{PROMETHEUS_RULES_DIR}/{n}.yaml", text) for n, text in sorted(rule_files.items())]
    uploads += [Upload(path, SecretRef(key), "0400", DEFAULTS["users"][role]) for path, key in sorted(credentials.items())]
    limits = p.resources.limits if p.resources and p.resources.limits else None
    return ContainerSpec(
        role, host, container_name(role), DEFAULTS["images"][role], command=command, uploads=uploads,
        mounts=[{"type": "volume", "source": volume_name(role), "target": "/prometheus"}],
        ports=_publish(cfg, role, port), aliases=[role], hosts=[HOST_GATEWAY], capabilities={"drops": ["ALL"]},
        memory_mb=memory_mb(limits.memory) if limits and limits.memory else None,
        cpus=cpus(limits.cpu) if limits and limits.cpu else None,
        labels=labels(role, loaded, host),
    )


def alertmanager(loaded: LoadedConfig, host: str, config_yaml: str) -> ContainerSpec:
    cfg = loaded.config
    role = "alertmanager"
    port = DEFAULTS["ports"][role]
    uploads = [Upload(ALERTMANAGER_CONFIG, config_yaml)]
    uploads += [Upload(naming.alertmanager_secret_file(naming.ALERTMANAGER_RECEIVERS_SECRET, r.name), SecretRef(r.secret), "0400",
                       DEFAULTS["users"][role]) for r in cfg.alertmanager.receivers]
    return ContainerSpec(
        role, host, container_name(role), DEFAULTS["images"][role],
        # one instance: no HA gossip port
        command=[f"--config.file={ALERTMANAGER_CONFIG}", "--storage.path=/alertmanager", f"--web.listen-address=:{port}",
                 "--cluster.listen-address="],
        uploads=uploads, mounts=[{"type": "volume", "source": volume_name(role), "target": "/alertmanager"}],
        ports=_publish(cfg, role, port), aliases=[role], capabilities={"drops": ["ALL"]}, labels=labels(role, loaded, host),
    )


def grafana(loaded: LoadedConfig, host: str, provisioning: dict[str, str], dashboards: dict[str, str]) -> ContainerSpec:
    cfg = loaded.config
    role = "grafana"
    password = SecretRef(cfg.grafana.admin_password_secret) if cfg.grafana.admin_password_secret else GENERATED_PASSWORD
    envs = [
        f"GF_SECURITY_ADMIN_USER={cfg.grafana.admin_user}",
        f"GF_SECURITY_ADMIN_PASSWORD__FILE={DEFAULTS['grafana_password_file']}",
        "GF_AUTH_ANONYMOUS_ENABLED=false",
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
        "GF_PATHS_PROVISIONING=/etc/grafana/provisioning",
    ]
    uploads = [Upload(path, text) for path, text in sorted(provisioning.items())]
    uploads += [Upload(f"{DEFAULTS['dashboards_dir']}/{rel}", text) for rel, text in sorted(dashboards.items())]
    uploads.append(Upload(DEFAULTS["grafana_password_file"], password, "0400", DEFAULTS["users"][role]))
    return ContainerSpec(
        role, host, container_name(role), DEFAULTS["images"][role], envs=envs, uploads=uploads,
        mounts=[{"type": "volume", "source": volume_name(role), "target": "/var/lib/grafana"}],
        ports=_publish(cfg, role, DEFAULTS["ports"][role]), aliases=[role], capabilities={"drops": ["ALL"]},
        labels=labels(role, loaded, host),
    )


def cadvisor(loaded: LoadedConfig, h: m.DockerHost, monitoring: bool) -> ContainerSpec:
    cfg = loaded.config
    role = "cadvisor"
    port = DEFAULTS["ports"][role]
    ports = [] if monitoring else [{"internal": port, "external": cfg.docker.cadvisor_port, "ip": h.address, "protocol": "tcp"}]
    ro = [("/", "/rootfs"), ("/var/run", "/var/run"), ("/sys", "/sys"), ("/var/lib/docker", "/var/lib/docker"), ("/dev/disk", "/dev/disk")]
    return ContainerSpec(
        role, h.name, container_name(role), DEFAULTS["images"][role],
        # Docker containers only, and no container_label_* series: one per Docker label would
        # multiply the series count by whatever labels images happen to carry
        command=[f"--port={port}", "--docker_only=true", "--store_container_labels=false", "--housekeeping_interval=15s"],
        mounts=[{"type": "bind", "source": src, "target": dst, "read_only": True} for src, dst in ro],
        devices=[{"host_path": "/dev/kmsg", "container_path": "/dev/kmsg", "permissions": "r"}],
        ports=ports, aliases=[role], labels=labels(role, loaded, h.name),
    )


def dcgm_exporter(loaded: LoadedConfig, h: m.DockerHost, pool: m.GpuPool, monitoring: bool) -> ContainerSpec:
    cfg = loaded.config
    role = "dcgm-exporter"
    port = DEFAULTS["ports"][role]
    csv = dcgm_fields.collectors_csv(dcgm_fields.counters(pool.profiling, pool.extra_counters))
    caps: dict[str, list[str]] = {"drops": ["ALL"]}
    if pool.profiling:
        caps["adds"] = ["SYS_ADMIN"]  # DCGM profiling (DCGM_FI_PROF_*) needs it
    ports = [] if monitoring else [{"internal": port, "external": cfg.docker.dcgm_exporter_port, "ip": h.address, "protocol": "tcp"}]
    return ContainerSpec(
        role, h.name, container_name(role), pool.image or DEFAULTS["images"][role],
        envs=[f"DCGM_EXPORTER_LISTEN=:{port}", f"DCGM_EXPORTER_COLLECTORS={DEFAULTS['collectors_path']}"],
        uploads=[Upload(DEFAULTS["collectors_path"], csv)],
        # every GPU of the host, through the NVIDIA Container Toolkit
        device_requests=[{"driver": "nvidia", "count": -1, "capabilities": ["gpu"]}],
        capabilities=caps, ports=ports, aliases=[role], labels={**labels(role, loaded, h.name), "io.infermon.gpu-pool": pool.name},
    )


PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
PROMETHEUS_RULES_DIR = "/etc/prometheus/rules"
ALERTMANAGER_CONFIG = "/etc/alertmanager/alertmanager.yml"
