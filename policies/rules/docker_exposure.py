"""Docker hosts: no UI or exporter published on every interface, no privileged container."""

from ._common import Resource, Rule

CONTAINER = "docker:index/container:Container"
ANY = ("", "0.0.0.0", "::")


def validate(r: Resource, config) -> list[str]:
    if r.type != CONTAINER:
        return []
    out = []
    for p in r.props.get("ports") or []:
        if str(p.get("ip") or "") in ANY:
            out.append(f"port {p.get('internal')} is published on every interface of the host (ip {p.get('ip') or 'unset'}); "
                       "bind it to loopback or a private address (docker.bindAddress, docker.hosts[].address)")
    if r.props.get("privileged") is True:
        out.append("the container runs privileged: it can do anything root on the host can")
    return out


RULE = Rule("docker-exposure", "Docker containers publish ports only on chosen addresses and never run privileged.", validate)
