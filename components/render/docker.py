"""What a docker stack's render writes: its containers, networks, volumes and their files.

Resource files come from the registrations (``docker/<host>/containers/<name>.yaml`` …) with
the image id the mock engine returned mapped back to the pinned reference. A container's
uploads are secret as a whole when one of them holds a credential, so their contents come
from the same plan the component registered (``components.docker.plan``); credentials stay
``[secret]``.
"""

from __future__ import annotations

from typing import Any


from ..config import LoadedConfig
from ..docker import containers as c
from ..docker.grafana_provisioning import PROVISIONING
from ..docker.plan import hosts
from .side import dump_yaml

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"


ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"


def render_path(host: str, role: str, file: str) -> str:
    """Where an uploaded file is written in the render (shared paths with the Kubernetes render)."""
    if file == c.PROMETHEUS_CONFIG:
        return "prometheus/prometheus.yml"
    if file.startswith(c.PROMETHEUS_RULES_DIR + "/"):
        return "prometheus/rules/" + file.rsplit("/", 1)[-1]
    if file == c.ALERTMANAGER_CONFIG:
        return ALERTMANAGER_FILE
    if file.startswith(PROVISIONING + "/"):
        return "grafana/provisioning/" + file[len(PROVISIONING) + 1:]
    if file.startswith(c.DEFAULTS["dashboards_dir"] + "/"):
        return "grafana/" + file[len(c.DEFAULTS["dashboards_dir"]) + 1:]
    return f"docker/{host}/{role}{file}"


def files(entries: list[dict[str, Any]], loaded: LoadedConfig) -> dict[str, str]:
    out: dict[str, str] = {}
    from .engine import image_id

    plans = {p.host.name: p for p in hosts(loaded)}
    refs = {image_id(e["inputs"]["name"]): e["inputs"]["name"] for e in entries if e["type"] == IMAGE}
    for e in entries:
        inputs = dict(e["inputs"])
        host = _host(e, loaded.stack, list(plans))
        if e["type"] == CONTAINER:
            spec = next(s for s in plans[host].containers if s.name == inputs["name"])
            inputs["image"] = refs.get(inputs.get("image"), inputs.get("image"))
            inputs["uploads"] = [{"file": u.file, "permissions": u.permissions, **({"owner": u.owner} if u.owner else {}),
                                  "content": "[secret]" if u.secret else f"rendered as {render_path(host, spec.role, u.file)}"}
                                 for u in spec.uploads]
            out[f"docker/{host}/containers/{inputs['name']}.yaml"] = dump_yaml(inputs)
            for u in spec.uploads:
                if not u.secret:
                    out[render_path(host, spec.role, u.file)] = u.content
        elif e["type"] == NETWORK:
            out[f"docker/{host}/networks/{inputs['name']}.yaml"] = dump_yaml(inputs)
        elif e["type"] == VOLUME:
            out[f"docker/{host}/volumes/{inputs['name']}.yaml"] = dump_yaml(inputs)
    images: dict[str, list[str]] = {}
    for e in entries:
        if e["type"] == IMAGE:
            images.setdefault(_host(e, loaded.stack, list(plans)), []).append(e["inputs"]["name"])
    for host, names in images.items():
        out[f"docker/{host}/images.yaml"] = dump_yaml(sorted(names))
    return out


def _host(entry: dict[str, Any], stack: str, host_names: list[str]) -> str:
    """The host of a docker resource: resource names are ``<stack>-<host>-<what>``."""
    matches = [h for h in host_names if entry["name"].startswith(f"{stack}-{h}-")]
    return max(matches, key=len) if matches else "_"
