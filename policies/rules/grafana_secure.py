"""Grafana: admin login from a Secret, no default password, no anonymous admin."""

from ._common import Resource, Rule, kps_values

DEFAULT_PASSWORDS = {"admin", "prom-operator", "password", "changeme"}


def _docker(r: Resource) -> list[str]:
    """The Grafana container of a Docker host, configured through GF_* variables."""
    envs = dict(e.split("=", 1) for e in r.props.get("envs") or [] if "=" in e)
    if not any(k.startswith("GF_") for k in envs):
        return []
    out = []
    if "GF_SECURITY_ADMIN_PASSWORD" in envs:
        out.append("GF_SECURITY_ADMIN_PASSWORD is a plain environment value; use GF_SECURITY_ADMIN_PASSWORD__FILE")
    elif "GF_SECURITY_ADMIN_PASSWORD__FILE" not in envs:
        out.append("no admin password file: Grafana falls back to its default admin password")
    if envs.get("GF_AUTH_ANONYMOUS_ENABLED", "false").lower() == "true":
        out.append("anonymous access is enabled")
    return out


def validate(r: Resource, config) -> list[str]:
    if r.type == "docker:index/container:Container":
        return _docker(r)
    values = kps_values(r)
    if values is None:
        return []
    g = values.get("grafana") or {}
    if g.get("enabled") is False:
        return []
    out = []
    if not (g.get("admin") or {}).get("existingSecret"):
        out.append("grafana.admin.existingSecret is not set: the chart falls back to its default admin password")
    if g.get("adminPassword") in DEFAULT_PASSWORDS or (g.get("adminPassword") and not (g.get("admin") or {}).get("existingSecret")):
        out.append("grafana.adminPassword is set in Helm values")
    anon = ((g.get("grafana.ini") or {}).get("auth.anonymous") or {})
    if anon.get("enabled") is True and str(anon.get("org_role", "Viewer")).lower() in ("admin", "editor"):
        out.append(f"anonymous users get the {anon.get('org_role')} role")
    elif anon.get("enabled") is True:
        out.append("anonymous access is enabled")
    return out


RULE = Rule("grafana-secure", "Grafana has no anonymous admin and no default password.", validate)
