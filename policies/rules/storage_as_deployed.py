"""Prometheus storage changes only through the operator's resize procedure.

CrossGuard shows a policy the new inputs only, never the deployed ones, so the storage the
cluster's volumes really have is recorded in the policy pack config
(``"prometheus-storage-as-deployed": {"size": "200Gi", "storageClass": "gp3"}``). A change of
``prometheus.storage`` that is not matched there is stopped: the StatefulSet's volume claim
templates are immutable, so ``pulumi up`` would report it applied while every volume kept its
old size and class. After the procedure, the record is updated in the same pull request.
"""

from ._common import Resource, Rule, kps_values

RESIZE_PROCEDURE = (
    "the operator changes the StatefulSet's volumeClaimTemplates, which Kubernetes does not allow in place: the existing "
    "volumes keep their old size and class. The operator's documented procedure "
    "(https://prometheus-operator.dev/docs/platform/storage/#resizing-volumes): apply this change, then patch each PVC (`kubectl -n monitoring patch pvc <claim> -p "
    "'{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"<size>\"}}}}'`, the StorageClass must allow volume expansion), "
    "then `kubectl -n monitoring delete statefulset <name> --cascade=orphan` so the operator recreates it with the new template; "
    "a new storage class needs new volumes (the data is not moved: keep the old claims until retention has passed)")


def validate(r: Resource, config) -> list[str]:
    values = kps_values(r)
    recorded = {k: config[k] for k in ("size", "storageClass") if k in config}
    if values is None or not recorded:
        return []
    claim = ((((values.get("prometheus") or {}).get("prometheusSpec") or {}).get("storageSpec") or {}).get("volumeClaimTemplate") or {}).get("spec") or {}
    declared = {"size": ((claim.get("resources") or {}).get("requests") or {}).get("storage"), "storageClass": claim.get("storageClassName")}
    moved = [f"{k} {recorded[k]!r} → {declared[k]!r}" for k in recorded if declared[k] != recorded[k]]
    if not moved:
        return []
    return [f"Prometheus storage differs from the volumes deployed ({'; '.join(moved)}, recorded in the policy config): "
            f"{RESIZE_PROCEDURE}. Then record the new values under prometheus-storage-as-deployed in the policy config."]


RULE = Rule("prometheus-storage-as-deployed", "Prometheus storage (size, class) changes only with the resize procedure: it must match "
            "the volumes recorded as deployed in the policy config.", validate,
            config_schema={"size": {"type": "string"}, "storageClass": {"type": "string"}})
