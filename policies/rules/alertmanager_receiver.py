"""Production Alertmanager sends alerts somewhere."""

from ._common import Resource, Rule, kps_values


def validate(r: Resource, config) -> list[str]:
    values = kps_values(r)
    if values is None or not config.get("production"):
        return []
    am = values.get("alertmanager") or {}
    if am.get("enabled") is False:
        return ["Alertmanager is disabled"]
    receivers = (am.get("config") or {}).get("receivers") or []
    real = [rc for rc in receivers if any(k.endswith("_configs") and rc[k] for k in rc)]
    return [] if real else ["Alertmanager has no receiver with a notification integration: alerts reach nobody"]


RULE = Rule("prod-alertmanager-receiver", "Production Alertmanager has a real receiver.", validate, production_only=True)
