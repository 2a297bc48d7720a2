"""DockerObservability: the whole monitoring of one environment on Docker hosts (pulumi-docker).

Per host: a provider for its daemon, one bridge network, the pinned images, cAdvisor and (on
GPU hosts) the DCGM exporter; on the monitoring host also Prometheus, Alertmanager and Grafana
with their named volumes. Containers are the plain specs of ``components.docker.containers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from ..config import LoadedConfig, secret_output
from . import containers as c
from .plan import hosts


@dataclass(frozen=True)
class DockerObservabilityArgs:
    loaded: LoadedConfig
    """The validated stack config (``cluster.platform: docker``)."""


def _label_list(cls, labels: dict[str, str]) -> list:
    return [cls(label=k, value=v) for k, v in sorted(labels.items())]


class DockerObservability(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, cAdvisor and DCGM exporters as containers."""

    def __init__(self, name: str, args: DockerObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:docker:Observability", name, None, opts)
        import pulumi_docker as docker  # only docker stacks load the provider SDK

        loaded = args.loaded
        cfg = loaded.config
        self.plans = hosts(loaded)
        password = None
        if cfg.grafana.enabled and not cfg.grafana.admin_password_secret:
            import pulumi_random as random

            password = random.RandomPassword(f"{name}-grafana-admin-password", length=32, special=False,
                                             opts=pulumi.ResourceOptions(parent=self)).result

        for plan in self.plans:
            h = plan.host
            prefix = f"{name}-{h.name}"
            provider = docker.Provider(f"{prefix}-docker", host=h.daemon,
                                       ssh_opts=["-o", "BatchMode=yes"] if h.daemon.startswith("ssh://") else None,
                                       opts=pulumi.ResourceOptions(parent=self))
            on_host = pulumi.ResourceOptions(parent=self, provider=provider)
            network = docker.Network(f"{prefix}-network", name=cfg.docker.network, driver="bridge",
                                     labels=_label_list(docker.NetworkLabelArgs, c.labels("network", loaded, h.name)), opts=on_host)
            volumes = {v: docker.Volume(f"{prefix}-{v}", name=v, labels=_label_list(docker.VolumeLabelArgs, c.labels("volume", loaded, h.name)),
                                        opts=on_host) for v in plan.volumes}
            images: dict[str, docker.RemoteImage] = {}
            for spec in plan.containers:
                if spec.image not in images:
                    images[spec.image] = docker.RemoteImage(f"{prefix}-image-{spec.role}", name=spec.image, keep_locally=True, opts=on_host)
                deps = [network] + [volumes[mnt["source"]] for mnt in spec.mounts if mnt["type"] == "volume"]
                self._container(docker, f"{prefix}-{spec.role}", spec, images[spec.image], cfg.docker.network, password,
                                pulumi.ResourceOptions(parent=self, provider=provider, depends_on=deps))
        mon = c.monitoring_host(cfg)
        self.register_outputs({"hosts": len(self.plans)})
        self.monitoring_host = mon.name

    @staticmethod
    def _container(docker, resource_name: str, spec: c.ContainerSpec, image, network: str, password, opts: pulumi.ResourceOptions) -> None:
        def content(u: c.Upload):
            if not u.secret:
                return u.content
            return pulumi.Output.secret(password) if u.content == c.GENERATED_PASSWORD else secret_output(u.content.key)

        docker.Container(
            resource_name,
            name=spec.name,
            image=image.image_id,
            command=spec.command or None,
            envs=spec.envs or None,
            uploads=[docker.ContainerUploadArgs(file=u.file, content=content(u), permissions=u.permissions, owner=u.owner, group=u.owner)
                     for u in spec.uploads] or None,
            mounts=[docker.ContainerMountArgs(type=mnt["type"], source=mnt["source"], target=mnt["target"], read_only=mnt.get("read_only"))
                    for mnt in spec.mounts] or None,
            ports=[docker.ContainerPortArgs(**p) for p in spec.ports] or None,
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network, aliases=spec.aliases)],
            hosts=[docker.ContainerHostArgs(**x) for x in spec.hosts] or None,
            devices=[docker.ContainerDeviceArgs(**x) for x in spec.devices] or None,
            device_requests=[docker.ContainerDeviceRequestArgs(**x) for x in spec.device_requests] or None,
            capabilities=docker.ContainerCapabilitiesArgs(**spec.capabilities) if spec.capabilities else None,
            memory=spec.memory_mb,
            cpus=spec.cpus,
            restart=c.DEFAULTS["restart"],
            log_driver="json-file",
            log_opts=c.DEFAULTS["log_opts"],
            security_opts=c.DEFAULTS["security_opts"],
            # uploads holding a credential are secret as a whole, so a preview cannot show
            # which file changed: this label changes with the content of the other files
            labels=_label_list(docker.ContainerLabelArgs, {**spec.labels, "io.infermon.image": spec.image,
                                                           "io.infermon.files-sha256": c.files_digest(spec)}),
            opts=opts,
        )

    def outputs(self) -> dict[str, object]:
        """What a user needs next; exported as stack outputs. No secrets."""
        cfg_hosts = [p.host.name for p in self.plans]
        out: dict[str, object] = {"platform": "docker", "hosts": cfg_hosts, "monitoringHost": self.monitoring_host}
        for p in self.plans:
            for spec in p.containers:
                for port in spec.ports:
                    if p.monitoring and spec.role in ("grafana", "prometheus", "alertmanager"):
                        out[f"{spec.role}Url"] = f"http://{port['ip']}:{port['external']}"
        out["gpuExporterHosts"] = sorted(p.host.name for p in self.plans if p.host.gpu_pool)
        return out
