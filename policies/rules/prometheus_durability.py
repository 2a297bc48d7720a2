"""Production Prometheus keeps its data: persistent storage, 15 days at least, resource requests."""

from ._common import Resource, Rule, duration_days, kps_values


def validate(r: Resource, config) -> list[str]:
    values = kps_values(r)
    if values is None or not config.get("production"):
        return []
    spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
    out = []
    if not (spec.get("storageSpec") or {}).get("volumeClaimTemplate"):
        out.append("prometheusSpec.storageSpec has no volumeClaimTemplate: the TSDB is lost on every restart")
    if duration_days(spec.get("retention", "10d")) < 15:
        out.append(f"prometheusSpec.retention is {spec.get('retention', '10d')!r}; production keeps at least 15d")
    if not (spec.get("resources") or {}).get("requests"):
        out.append("prometheusSpec.resources.requests is not set")
    return out


RULE = Rule("prod-prometheus-durability", "Production Prometheus: persistent storage, retention of at least 15 days, resource requests.",
            validate, production_only=True)
